import ArgumentParser

/// The `stoa` command: runs the server and looks after its database.
struct Stoa: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stoa",
        abstract: "An AI chat assistant server with real user accounts (Better Auth compatible).",
        discussion: "Configuration comes from flags, then environment variables, then a .env file in the working directory. "
            + "See README.md for every variable (DATABASE_URL, BETTER_AUTH_SECRET, …).",
        subcommands: [Serve.self, Migrate.self, Users.self, Sessions.self, Accounts.self, Keys.self, Audit.self, Docs.self, MCPCommand.self, Mail.self, Dev.self])
}
