import ArgumentParser
import Foundation
import Identity
import StoaCore
import Storage

/// Output shared by the admin commands: a table for people, `--json` (one JSON document) for scripts.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print JSON instead of a table.") var json = false
}

/// `stoa users list|show|create|update|delete`.
struct Users: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Look after user accounts (works on SQLite and PostgreSQL).",
        subcommands: [List.self, Show.self, Create.self, Update.self, Delete.self],
        defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users, oldest first (streams in pages; fine for millions).")
        @OptionGroup var output: OutputOptions
        @Option(help: "Only users whose email or name contains this.") var query: String?
        @Option(help: "Stop after this many users.") var limit: Int?

        func run() async throws {
            try await Admin.withDatabase { db in
                let store = AdminStore(database: db)
                var cursor: (Date, String)? = nil
                var printed = 0
                if output.json { print("[", terminator: "") } else { Admin.row(["id", "email", "name", "verified", "created"]) }
                while true {
                    let want = min(500, (limit ?? Int.max) - printed)
                    guard want > 0 else { break }
                    let page = try await store.users(after: cursor, limit: want, matching: query)
                    for user in page {
                        if output.json { print((printed > 0 ? "," : "") + user.json.serialized, terminator: "") } else {
                            Admin.row([user.id, user.email, user.name, user.emailVerified ? "yes" : "no", ISO8601.string(from: user.createdAt)])
                        }
                        printed += 1
                    }
                    guard page.count == want, let last = page.last else { break }
                    cursor = (last.createdAt, last.id)
                }
                if output.json { print("]") } else { FileHandle.standardError.write(Data("\(printed) user(s)\n".utf8)) }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one user with their sessions and accounts.")
        @Argument(help: "Email or user id.") var user: String
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await Admin.withDatabase { db in
                let store = AdminStore(database: db)
                let user = try await Admin.requireUser(store, self.user)
                let sessions = try await store.sessions(userID: user.id)
                let accounts = try await store.accounts(userID: user.id)
                if output.json {
                    print(JSONValue.object([("user", user.json), ("sessions", .array(sessions.map(Admin.sessionJSON))),
                                            ("accounts", .array(accounts.map(Admin.accountJSON)))]).serialized)
                } else {
                    print("id:        \(user.id)\nemail:     \(user.email)\nname:      \(user.name)\nverified:  \(user.emailVerified)")
                    print("created:   \(ISO8601.string(from: user.createdAt))\nsessions:  \(sessions.count)\naccounts:  \(accounts.map(\.providerId).joined(separator: ", "))")
                }
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a user with a password (Better Auth's scrypt format).",
            discussion: "Without --password-stdin a random password is generated and printed once.")
        @Option(help: "Email address.") var email: String
        @Option(help: "Display name.") var name: String
        @Flag(help: "Read the password from standard input (first line).") var passwordStdin = false
        @Flag(help: "Mark the email as verified.") var verified = false
        @OptionGroup var output: OutputOptions

        func run() async throws {
            guard EmailAddress.isValid(email) else { CLI.fail("\(email) is not a valid email address") }
            let (password, generated) = try Admin.password(fromStdin: passwordStdin)
            try await Admin.withDatabase { db in
                let now = Date()
                let user = User(id: RandomID.generate(), name: name, email: email.lowercased(), emailVerified: verified, image: nil, createdAt: now, updatedAt: now)
                let account = Account(id: RandomID.generate(), accountId: user.id, providerId: "credential", issuer: "local:credential",
                                      userId: user.id, password: try ScryptPasswordHasher().hash(password), createdAt: now, updatedAt: now)
                do {
                    try await SQLAuthStore(database: db).createUser(user, account: account)
                } catch AuthStoreError.emailTaken {
                    CLI.fail("a user with email \(email.lowercased()) already exists")
                }
                if output.json {
                    var pairs: [(String, JSONValue)] = [("user", user.json)]
                    if generated { pairs.append(("password", .string(password))) }
                    print(JSONValue.object(pairs).serialized)
                } else {
                    print("Created user \(user.id) <\(user.email)>")
                    if generated { print("Generated password (shown once): \(password)") }
                }
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a user's name, email, verified flag or password.")
        @Argument(help: "Email or user id.") var user: String
        @Option(help: "New display name.") var name: String?
        @Option(help: "New email address.") var email: String?
        @Option(help: "Set the email-verified flag (true or false).") var verified: Bool?
        @Flag(help: "Read a new password from standard input; signs the user out everywhere.") var passwordStdin = false
        @OptionGroup var output: OutputOptions

        func run() async throws {
            if name == nil && email == nil && verified == nil && !passwordStdin { CLI.fail("nothing to update: give --name, --email, --verified or --password-stdin") }
            if let email, !EmailAddress.isValid(email) { CLI.fail("\(email) is not a valid email address") }
            let password = passwordStdin ? try Admin.password(fromStdin: true).0 : nil
            try await Admin.withDatabase { db in
                let admin = AdminStore(database: db)
                let auth = SQLAuthStore(database: db)
                let user = try await Admin.requireUser(admin, self.user)
                let now = Date()
                let byCLI = JSONValue.object([("by", .string("cli"))])
                if let name {
                    _ = try await auth.updateUser(id: user.id, name: name, image: nil, at: now,
                                                  event: AuthEvent(userID: user.id, type: .userUpdated, detail: byCLI, createdAt: now))
                }
                if let email {
                    do { try await admin.setEmail(userID: user.id, email: email, at: now) } catch AuthStoreError.emailTaken {
                        CLI.fail("a user with email \(email.lowercased()) already exists")
                    }
                }
                if let verified { try await admin.setVerified(userID: user.id, verified: verified, at: now) }
                if let password {
                    try await auth.updatePassword(userID: user.id, hash: try ScryptPasswordHasher().hash(password), at: now,
                                                  event: AuthEvent(userID: user.id, type: .passwordChanged, detail: byCLI, createdAt: now))
                    _ = try await admin.revokeSessions(userID: user.id)
                }
                let updated = try await Admin.requireUser(admin, user.id)
                print(output.json ? updated.json.serialized : "Updated user \(updated.id) <\(updated.email)>")
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a user and everything they own (conversations, tasks, sessions…).")
        @Argument(help: "Email or user id.") var user: String
        @Flag(help: "Confirm the deletion (required).") var yes = false

        func run() async throws {
            guard yes else { CLI.fail("deleting a user cannot be undone; add --yes to confirm") }
            try await Admin.withDatabase { db in
                let user = try await Admin.requireUser(AdminStore(database: db), self.user)
                let store = SQLAuthStore(database: db)
                try await store.deleteUser(id: user.id, event: AuthEvent(userID: user.id, type: .userDeleted,
                                                                         detail: .object([("by", .string("cli"))]), createdAt: Date()))
                print("Deleted user \(user.id) <\(user.email)> and everything they owned.")
            }
        }
    }
}

/// `stoa sessions list|revoke`.
struct Sessions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List or revoke sign-in sessions.", subcommands: [List.self, Revoke.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List sessions, newest first (of one user with --user).")
        @Option(help: "Email or user id.") var user: String?
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await Admin.withDatabase { db in
                let store = AdminStore(database: db)
                let userID = try await Admin.userID(store, self.user)
                let sessions = try await store.sessions(userID: userID)
                if output.json { print(JSONValue.array(sessions.map(Admin.sessionJSON)).serialized); return }
                Admin.row(["id", "user", "created", "expires", "ip"])
                for s in sessions { Admin.row([s.id, s.userId, ISO8601.string(from: s.createdAt), ISO8601.string(from: s.expiresAt), s.ipAddress ?? ""]) }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke one session (by id) or every session of a user (--user).")
        @Argument(help: "Session id.") var session: String?
        @Option(help: "Revoke all sessions of this user (email or id).") var user: String?

        func run() async throws {
            guard (session == nil) != (user == nil) else { CLI.fail("give a session id or --user, not both") }
            try await Admin.withDatabase { db in
                let store = AdminStore(database: db)
                if let user {
                    let found = try await Admin.requireUser(store, user)
                    print("Revoked \(try await store.revokeSessions(userID: found.id)) session(s) of \(found.email).")
                } else if let session {
                    let count = try await store.revokeSession(idOrToken: session)
                    if count == 0 { CLI.fail("no such session") }
                    print("Revoked 1 session.")
                }
            }
        }
    }
}

/// `stoa accounts list`.
struct Accounts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List linked accounts (credential, OAuth); secrets are never shown.",
                                                    subcommands: [List.self], defaultSubcommand: List.self)
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List accounts (of one user with --user).")
        @Option(help: "Email or user id.") var user: String?
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await Admin.withDatabase { db in
                let store = AdminStore(database: db)
                let userID = try await Admin.userID(store, self.user)
                let accounts = try await store.accounts(userID: userID)
                if output.json { print(JSONValue.array(accounts.map(Admin.accountJSON)).serialized); return }
                Admin.row(["id", "user", "provider", "issuer", "created"])
                for a in accounts { Admin.row([a.id, a.userId, a.providerId, a.issuer, ISO8601.string(from: a.createdAt)]) }
            }
        }
    }
}

/// Helpers for the admin commands.
enum Admin {
    static func withDatabase(_ body: (any Database) async throws -> Void) async throws {
        try await withDatabase { database, _ in try await body(database) }
    }

    /// The same, for commands that also need the configuration (loaded once).
    static func withDatabase(_ body: (any Database, StoaConfiguration) async throws -> Void) async throws {
        let config = try CLI.loadConfiguration()
        let logger = CLI.commandLogging(config)
        let database = try await CLI.openDatabase(config, oneShot: true, logger: logger)
        do {
            try await MigrationRunner(database: database, logger: logger).up()
            try await body(database, config)
        } catch {
            await database.close()
            CLI.fail("\(error)")
        }
        await database.close()
    }

    static func requireUser(_ store: AdminStore, _ emailOrID: String) async throws -> User {
        guard let user = try await store.findUser(emailOrID) else { CLI.fail("no user with email or id \(emailOrID)") }
        return user
    }

    /// The id of `--user` when given (failing clearly when unknown), else nil for "everyone".
    static func userID(_ store: AdminStore, _ emailOrID: String?) async throws -> String? {
        guard let emailOrID else { return nil }
        return try await requireUser(store, emailOrID).id
    }

    static func password(fromStdin: Bool) throws -> (String, generated: Bool) {
        guard fromStdin else { return (RandomID.generate(20), true) }
        guard let line = readLine(strippingNewline: true), !line.isEmpty else { CLI.fail("no password on standard input") }
        if line.utf16.count < PasswordService.minLength || line.utf16.count > PasswordService.maxLength {
            CLI.fail("the password must be \(PasswordService.minLength) to \(PasswordService.maxLength) characters")
        }
        return (line, false)
    }

    static func row(_ columns: [String]) {
        let widths = [32, 32, 24, 26, 24]
        print(columns.enumerated().map { i, c in i < columns.count - 1 ? c.padding(toLength: max(widths[min(i, 4)], c.count), withPad: " ", startingAt: 0) : c }
            .joined(separator: "  "))
    }

    static func sessionJSON(_ s: Session) -> JSONValue {
        // Tokens are credentials: never printed.
        .object([("id", .string(s.id)), ("userId", .string(s.userId)), ("createdAt", .date(s.createdAt)), ("expiresAt", .date(s.expiresAt)),
                 ("ipAddress", .optional(s.ipAddress)), ("userAgent", .optional(s.userAgent))])
    }

    static func accountJSON(_ a: Account) -> JSONValue {
        .object([("id", .string(a.id)), ("userId", .string(a.userId)), ("providerId", .string(a.providerId)), ("issuer", .string(a.issuer)),
                 ("accountId", .string(a.accountId)), ("createdAt", .date(a.createdAt))])
    }
}

