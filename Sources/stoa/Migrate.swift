import ArgumentParser
import Foundation
import Logging
import StoaCore
import Storage

/// `stoa migrate up|down|status`.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply, revert or list database migrations (uses DATABASE_URL, else the SQLite file).",
        subcommands: [Up.self, Down.self, Status.self],
        defaultSubcommand: Status.self)

    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply pending migrations.")
        @Option(help: "Stop at this version (default: the latest).") var to: Int?

        func run() async throws {
            try await Migrate.withRunner { runner in
                let applied = try await runner.up(to: to)
                print(applied.isEmpty ? "Already up to date (version \(runner.latestVersion))." : "Applied: \(applied.map(String.init).joined(separator: ", "))")
            }
        }
    }

    struct Down: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revert the last migration, or every migration above --to N (0 reverts all).")
        @Option(help: "Revert down to this version (0 = empty schema).") var to: Int?

        func run() async throws {
            if let to, to < 0 { CLI.fail("--to must be 0 or more") }
            try await Migrate.withRunner { runner in
                let reverted = try await runner.down(to: to)
                print(reverted.isEmpty ? "Nothing to revert." : "Reverted: \(reverted.map(String.init).joined(separator: ", "))")
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List migrations and whether they are applied.")

        func run() async throws {
            try await Migrate.withRunner { runner in
                for status in try await runner.status() {
                    let state = status.appliedAt.map { "applied \(ISO8601.string(from: $0))" } ?? "pending"
                    print(String(format: "%4d  %-10@  %@", status.version, state as NSString, status.name as NSString))
                }
            }
        }
    }

    static func withRunner(_ body: (MigrationRunner) async throws -> Void) async throws {
        let config = try CLI.loadConfiguration()
        let logger = CLI.commandLogging(config)
        let database = try await CLI.openDatabase(config, oneShot: true, logger: logger)
        do {
            try await body(MigrationRunner(database: database, logger: logger))
        } catch {
            await database.close()
            CLI.fail("\(error)")
        }
        await database.close()
    }
}
