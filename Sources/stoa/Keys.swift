import ArgumentParser
import Foundation
import Identity
import Logging
import StoaCore
import StoaServer
import Storage

/// `stoa keys list|rotate|prune|issue`: the JWT signing keys in the `jwks` table.
struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the JWT signing keys (list, rotate, prune) and issue tokens for operators.",
        discussion: """
        Uses the same configuration as `serve` (DATABASE_URL, BETTER_AUTH_SECRET(S), STOA_JWT_ALG, …).
        Running servers on PostgreSQL use a key rotated here within a second (on SQLite within 60 seconds).
        """,
        subcommands: [List.self, Rotate.self, Prune.self, Issue.self],
        defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys: id, algorithm, created, signs until, published until.")
        func run() async throws {
            try await Keys.withKeyRing { ring, config in
                let now = Date()
                print("kid                               alg    created                   state")
                for key in try await ring.allKeys() {
                    let state: String
                    if let expires = key.expiresAt, expires <= now {
                        let until = expires.addingTimeInterval(TimeInterval(config.jwt.gracePeriod))
                        state = until > now ? "retired, published until \(ISO8601.string(from: until))" : "expired (prunable)"
                    } else if key.isLive(at: now) {
                        state = key.expiresAt.map { "signing until \(ISO8601.string(from: $0))" } ?? "signing"
                    } else {
                        state = "published only (private key unreadable with the configured secrets)"
                    }
                    print("\(key.kid)  \(key.algorithm.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0))  \(ISO8601.string(from: key.createdAt))  \(state)")
                }
            }
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Mint a new signing key; current keys stop signing but stay in the JWKS for the grace period (STOA_JWT_GRACE).")
        func run() async throws {
            try await Keys.withKeyRing { ring, _ in
                let key = try await ring.rotate()
                print("New signing key \(key.kid) (\(key.algorithm.rawValue)). Running servers use it within a second on PostgreSQL, within 60 s on SQLite.")
            }
        }
    }

    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete keys whose grace period has ended.")
        func run() async throws {
            try await Keys.withKeyRing { ring, _ in
                let removed = try await ring.prune()
                print(removed.isEmpty ? "Nothing to prune." : "Removed \(removed.count) key(s): \(removed.joined(separator: ", "))")
            }
        }
    }

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print an access token for a user (operator use: debugging a backend, tests).",
            discussion: "The token is signed with the current key and carries no session id. A negative --ttl makes an already-expired token.")
        @Option(help: "The user's email.") var email: String
        @Option(parsing: .unconditional, help: "Lifetime in seconds (default: STOA_JWT_EXPIRATION); may be negative.") var ttl: Int?

        func run() async throws {
            try await Keys.withKeyRing { ring, config in
                let store = SQLAuthStore(database: ring.database)
                guard let user = try await store.user(email: email.lowercased()) else { CLI.fail("no user with email \(email)") }
                let issuer = AccessTokenIssuer(keys: ring.keyRing, issuer: config.tokenIssuer, audience: config.tokenAudience,
                                               lifetime: TimeInterval(config.jwt.expiration), clock: SystemClock())
                print(try await issuer.issue(for: user, sessionID: nil, lifetime: ttl.map(TimeInterval.init)))
            }
        }
    }

    /// The key ring plus the database it reads (closed afterwards).
    struct Ring {
        let keyRing: KeyRing
        let database: any Database
        func allKeys() async throws -> [SigningKey] { try await keyRing.allKeys() }
        func rotate() async throws -> SigningKey { try await keyRing.rotate() }
        func prune() async throws -> [String] { try await keyRing.prune() }
    }

    static func withKeyRing(_ body: (Ring, StoaConfiguration) async throws -> Void) async throws {
        var config = try CLI.loadConfiguration()
        let logger = CLI.commandLogging(config)
        CLI.ensureSecret(&config)
        let database = try await CLI.openDatabase(config, oneShot: true, logger: logger)
        do {
            try await MigrationRunner(database: database, logger: logger).up()
            let ring = AppServices.makeKeyRing(configuration: config, database: database, clock: SystemClock(), logger: logger)
            try await body(Ring(keyRing: ring, database: database), config)
        } catch {
            await database.close()
            CLI.fail("\(error)")
        }
        await database.close()
    }
}
