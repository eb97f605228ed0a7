import ArgumentParser
import Foundation
import Identity
import Logging
import MCP
import StoaCore
import StoaServer
import Storage

/// `stoa mcp --user EMAIL`: the assistant's tools over MCP on standard input and output, for
/// an agent on the same machine, acting as one user.
///
/// Trust model: no token is asked for. Whoever can run this binary with the server's database
/// configuration (`DATABASE_URL`, or the data directory's SQLite file and secret) can already
/// read and change every row, so naming a user grants nothing new. Remote agents use
/// `POST /mcp` with a bearer token instead.
struct MCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve the assistant's tools (add_task, list_tasks, …) over MCP on stdin/stdout as one user.",
        discussion: """
        For a local agent that starts Stoa as a subprocess (MCP stdio transport). Standard output carries \
        only the protocol; logs go to standard error. Uses the same configuration as `serve` \
        (DATABASE_URL, STOA_DATA_DIR, .env).
        Trust model: no token is needed, because whoever can run this with the database configuration \
        already has the database. Remote agents use POST /mcp with `Authorization: Bearer <JWT>`.
        """)

    @Option(help: "Email (or id) of the user the tools act as.") var user: String
    @Option(help: "Directory for the SQLite file and the secret (env STOA_DATA_DIR).") var dataDir: String?

    func run() async throws {
        var flags: [String: String] = [:]
        if let dataDir { flags["STOA_DATA_DIR"] = dataDir }
        var config = try CLI.loadConfiguration(flags: flags)
        // Standard output is the protocol: CLI logging writes to standard error only.
        let logger = CLI.commandLogging(config)
        CLI.ensureSecret(&config)
        let database = try await CLI.openDatabase(config, logger: logger)
        let services = AppServices.make(configuration: config, database: database, logger: logger)
        do {
            if config.migrateOnStart { try await MigrationRunner(database: database, logger: logger).up() }
            let account = try await Admin.requireUser(AdminStore(database: database), user)
            let server = await MCPToolServer.make(toolbox: services.toolbox(userID: account.id), logger: logger)
            try await server.start(transport: StdioTransport(logger: logger))
            logger.notice("serving MCP on stdio", metadata: ["user": "\(account.id)"])
            await server.waitUntilCompleted()
            await server.stop()
        } catch {
            await services.hashingPool.shutdown()
            await database.close()
            CLI.fail("\(error)")
        }
        await services.hashingPool.shutdown()
        await database.close()
    }
}
