import ArgumentParser
import Foundation
import Identity
import StoaCore

/// `stoa mail list [--pending] [--json]`: the outbox, newest first, without the mails' bodies.
struct MailList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List queued and sent mails, newest first (never their text: it holds links).",
        discussion: "Status is pending (waiting for its next attempt), sending, sent or failed. A failed mail can be sent again with `stoa mail retry ID`.")
    @Flag(help: "Only mails not yet sent (pending or being sent).") var pending = false
    @Option(help: "At most this many mails (1–100000).") var limit: Int = 100
    @Flag(help: "Print a JSON array instead of a table.") var json = false

    func validate() throws {
        guard (1...100_000).contains(limit) else { throw ValidationError("--limit must be a whole number from 1 to 100000") }
    }

    func run() async throws {
        try await Admin.withDatabase { db in
            let rows = try await MailOutbox(database: db, clock: SystemClock()).list(pendingOnly: pending, limit: limit)
            if json {
                print(JSONValue.array(rows.map(\.json)).serialized)
                return
            }
            let header = ["id", "created", "kind", "to", "status", "attempts", "next attempt", "last error"]
            let lines = rows.map { entry in
                [entry.id, ISO8601.string(from: entry.createdAt), entry.kind.rawValue, entry.mail.to, entry.status.rawValue, String(entry.attempts),
                 entry.status == .pending ? ISO8601.string(from: entry.nextAttemptAt) : "-", Audit.shorten(entry.lastError ?? "", 60)]
            }
            var widths = header.map(\.count)
            for line in lines { for (i, cell) in line.enumerated() { widths[i] = max(widths[i], cell.count) } }
            for line in [header] + lines {
                print(line.enumerated().map { i, cell in i == line.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                    .joined(separator: "  "))
            }
            FileHandle.standardError.write(Data("\(rows.count) mail(s)\n".utf8))
        }
    }
}
