import ArgumentParser
import Foundation
import Identity
import StoaCore
import Storage

/// `stoa audit list`: the audit trail (`auth_event`), newest first.
struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read the audit trail: sign-ups, sign-ins (and failures), sign-outs, revoked sessions, password changes and resets, user updates and deletions, key rotations.",
        subcommands: [List.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List audit events, newest first.",
            discussion: """
            --user takes an email or a user id; with an email it also finds failed sign-ins and reset requests that named it.
            A deleted user's rows keep their user id but no email, address or user agent: find them by id.
            --since takes an ISO-8601 time (2026-01-02T03:04:05Z) or a duration back from now: 30m, 24h, 7d, 2w.
            """)
        @Option(help: "Only events of this user (email or id).") var user: String?
        @Option(help: "Only events since this time: ISO-8601, or a duration such as 24h or 7d.") var since: String?
        @Option(help: "At most this many events (1–100000).") var limit: Int = 100
        @Flag(help: "Print a JSON array instead of a table.") var json = false

        func validate() throws {
            guard (1...100_000).contains(limit) else { throw ValidationError("--limit must be a whole number from 1 to 100000") }
            if let since, Audit.parseSince(since, now: Date()) == nil {
                throw ValidationError("--since must be an ISO-8601 time (2026-01-02T03:04:05Z) or a duration like 30m, 24h, 7d, 2w (got \"\(since.prefix(40))\")")
            }
            if let user, user.isEmpty || user.count > 320 { throw ValidationError("--user must be an email or a user id") }
        }

        func run() async throws {
            let sinceDate = since.flatMap { Audit.parseSince($0, now: Date()) }
            try await Admin.withDatabase { db in
                let events = AuthEventStore(database: db)
                var userID: String? = nil, email: String? = nil
                if let user {
                    if let found = try await AdminStore(database: db).findUser(user) {
                        userID = found.id
                        email = found.email
                    } else if user.contains("@") {
                        email = user
                    } else {
                        userID = user   // a deleted user's id still finds their rows
                    }
                }
                let rows = try await events.search(userID: userID, email: email, since: sinceDate, limit: limit)
                if json {
                    print(JSONValue.array(rows.map(\.json)).serialized)
                    return
                }
                Audit.printTable(rows)
                FileHandle.standardError.write(Data("\(rows.count) event(s)\n".utf8))
            }
        }
    }

    /// An ISO-8601 time, or `now` minus a duration (`90s`, `30m`, `24h`, `7d`, `2w`); nil when
    /// neither, or in the future.
    static func parseSince(_ text: String, now: Date) -> Date? {
        if let date = ISO8601.date(from: text) { return date <= now ? date : nil }
        guard let unit = text.last, let amount = Int(text.dropLast()), amount >= 0, amount <= 1_000_000 else { return nil }
        let seconds: Int
        switch unit {
        case "s": seconds = 1
        case "m": seconds = 60
        case "h": seconds = 3600
        case "d": seconds = 86_400
        case "w": seconds = 604_800
        default: return nil
        }
        return now.addingTimeInterval(-TimeInterval(amount * seconds))
    }

    static func printTable(_ rows: [AuthEvent]) {
        let header = ["time", "type", "user", "email", "ip", "user agent", "detail"]
        let lines = rows.map { event in
            [ISO8601.string(from: event.createdAt), event.type.rawValue, event.userID ?? "-", event.email ?? "-", event.ipAddress ?? "-",
             shorten(event.userAgent ?? "-", 40), event.detail.map { $0.serialized } ?? ""]
        }
        var widths = header.map(\.count)
        for line in lines { for (i, cell) in line.enumerated() { widths[i] = max(widths[i], cell.count) } }
        for line in [header] + lines {
            print(line.enumerated().map { i, cell in i == line.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  "))
        }
    }

    /// `text` cut to `count` characters with an ellipsis; control characters shown as spaces.
    static func shorten(_ text: String, _ count: Int) -> String {
        let clean = String(text.map { $0.isASCII && ($0.asciiValue ?? 32) < 32 ? " " : $0 })
        return clean.count <= count ? clean : String(clean.prefix(count - 1)) + "…"
    }
}
