import ArgumentParser
import Foundation
import Identity
import StoaCore
import Storage

/// `stoa dev …`: tools for developers and benchmarks.
struct Dev: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Developer tools (seeding data for benchmarks).", subcommands: [Seed.self])

    struct Seed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fill the database with users, conversations and messages (batched inserts, progress bar).",
            discussion: "Every seeded user signs in with the password password123. Emails look like user<N>.<run>@seed.stoa.test.")
        @Option(help: "Number of users.") var users: Int = 100
        @Option(help: "Conversations per user.") var conversationsPerUser: Int = 10
        @Option(help: "Messages per conversation.") var messagesPerConversation: Int = 20
        @Option(help: "Tasks per user.") var tasksPerUser: Int = 5

        func validate() throws {
            guard users > 0, users <= 10_000_000 else { throw ValidationError("--users must be from 1 to 10,000,000") }
            guard (0...100_000).contains(conversationsPerUser), (0...100_000).contains(messagesPerConversation), (0...100_000).contains(tasksPerUser) else {
                throw ValidationError("per-user counts must be from 0 to 100,000")
            }
        }

        func run() async throws {
            try await Admin.withDatabase { db in
                let seeder = Seeder(db: db, conversationsPerUser: conversationsPerUser, messagesPerConversation: messagesPerConversation, tasksPerUser: tasksPerUser)
                try await seeder.run(users: users)
            }
        }
    }
}

/// Writes seed data in batches of users, one transaction per batch, with a progress bar on stderr.
struct Seeder {
    let db: any Database
    let conversationsPerUser: Int
    let messagesPerConversation: Int
    let tasksPerUser: Int
    let run = RandomID.generate(6).lowercased()
    static let passwordHash = "00112233445566778899aabbccddeeff:73122e887cfc14f91396cdef78dfe4b9dec28d459037601c4904cedba5a637ab97b39b40c236df5d42881d0109ca8cf0f85e39dbaba2911c190915bd8f30fe85"
    static let words = ["garden", "budget", "travel", "recipe", "meeting", "invoice", "python", "swift", "deadline", "birthday",
                        "report", "database", "holiday", "training", "project", "review", "music", "weather", "coffee", "library"]

    func run(users: Int) async throws {
        let start = Date()
        let perMessageRows = max(1, conversationsPerUser * messagesPerConversation)
        let batch = max(1, min(200, 20_000 / perMessageRows))
        var done = 0
        var messages = 0
        while done < users {
            let count = min(batch, users - done)
            messages += try await insertBatch(from: done, count: count)
            done += count
            progress(done: done, total: users, messages: messages, since: start)
        }
        FileHandle.standardError.write(Data("\n".utf8))
        let seconds = Date().timeIntervalSince(start)
        print(String(format: "Seeded %d users, %d conversations, %d messages, %d tasks in %.1f s (%.0f messages/s). Password: password123",
                     users, users * conversationsPerUser, messages, users * tasksPerUser, seconds, Double(messages) / max(seconds, 0.001)))
    }

    func progress(done: Int, total: Int, messages: Int, since start: Date) {
        let width = 30
        let filled = width * done / max(total, 1)
        let rate = Double(messages) / max(Date().timeIntervalSince(start), 0.001)
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        FileHandle.standardError.write(Data(String(format: "\r[%@] %3d%%  %d/%d users  %.0f messages/s", bar, 100 * done / max(total, 1), done, total, rate).utf8))
    }

    /// Inserts `count` users starting at index `first` with everything they own; returns the message count.
    func insertBatch(from first: Int, count: Int) async throws -> Int {
        let base = Date()
        var users: [[DatabaseValue]] = [], accounts: [[DatabaseValue]] = [], conversations: [[DatabaseValue]] = []
        var messages: [[DatabaseValue]] = [], tasks: [[DatabaseValue]] = []
        var rng = SystemRandomNumberGenerator()
        for i in first..<(first + count) {
            let userID = RandomID.generate()
            let created = base.addingTimeInterval(-Double(i))
            users.append([.text(userID), .text("Seed User \(i)"), .text("user\(i).\(run)@seed.stoa.test"), .bool(true), .date(created), .date(created)])
            accounts.append([.text(RandomID.generate()), .text(userID), .text("credential"), .text("local:credential"), .text(userID),
                             .text(Self.passwordHash), .date(created), .date(created)])
            for c in 0..<conversationsPerUser {
                // Conversations an hour apart, all in the past: a new message is always the newest.
                let start = created.addingTimeInterval(-Double(conversationsPerUser - c) * 3600)
                let conversationID = UUIDv7.generate(at: start)
                let topic = Self.words[Int.random(in: 0..<Self.words.count, using: &rng)]
                let updated = start.addingTimeInterval(Double(messagesPerConversation) * 30)
                conversations.append([.text(conversationID), .text(userID), .text("Conversation \(c + 1) about \(topic)"), .bool(c == 0), .bool(false),
                                      .date(start), .date(updated)])
                for m in 0..<messagesPerConversation {
                    let at = start.addingTimeInterval(Double(m) * 30)
                    let words = (0..<12).map { _ in Self.words[Int.random(in: 0..<Self.words.count, using: &rng)] }.joined(separator: " ")
                    let content = "Message \(m + 1) on \(topic): \(words)."
                    // With its HTML, as the chat route stores every message (reads then render nothing).
                    messages.append([.text(UUIDv7.generate(at: at)), .text(conversationID), .text(userID), .text(m % 2 == 0 ? "user" : "assistant"),
                                     .text(content), .text(MarkdownRenderer.html(content)), .text("[]"), .text("[]"), .bool(false), .date(at)])
                }
            }
            for t in 0..<tasksPerUser {
                tasks.append([.text(UUIDv7.generate(at: created)), .text(userID), .text("Task \(t + 1): \(Self.words[t % Self.words.count])"), .null,
                              .bool(t % 3 == 0), .null, .date(created), .date(created)])
            }
        }
        let finalMessages = messages
        let (u, a, c, t) = (users, accounts, conversations, tasks)
        try await db.transaction { tx in
            try await Self.bulkInsert(tx, "user", ["id", "name", "email", "emailVerified", "createdAt", "updatedAt"], u)
            try await Self.bulkInsert(tx, "account", ["id", "accountId", "providerId", "issuer", "userId", "password", "createdAt", "updatedAt"], a)
            try await Self.bulkInsert(tx, "conversation", ["id", "user_id", "title", "pinned", "archived", "created_at", "updated_at"], c)
            try await Self.bulkInsert(tx, "message", ["id", "conversation_id", "user_id", "role", "content", "html", "sources", "tool_calls", "truncated", "created_at"], finalMessages)
            try await Self.bulkInsert(tx, "task", ["id", "user_id", "title", "description", "completed", "due_at", "created_at", "updated_at"], t)
        }
        return messages.count
    }

    /// Multi-row INSERTs of at most ~30,000 parameters each (within both databases' limits).
    static func bulkInsert(_ tx: any SQLExecutor, _ table: String, _ columns: [String], _ rows: [[DatabaseValue]]) async throws {
        guard !rows.isEmpty else { return }
        let perStatement = max(1, 30_000 / columns.count)
        let head = #"INSERT INTO "\#(table)" (\#(columns.map { "\"\($0)\"" }.joined(separator: ", "))) VALUES "#
        let tuple = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
        var index = 0
        while index < rows.count {
            let chunk = rows[index..<min(index + perStatement, rows.count)]
            let sql = head + Array(repeating: tuple, count: chunk.count).joined(separator: ", ")
            _ = try await tx.query(sql, chunk.flatMap { $0 })
            index += chunk.count
        }
    }
}
