import Foundation
import StoaCore
import Storage

/// Conversations and their messages. Every method takes the owner's id and puts it in the
/// `WHERE` clause: another user's ids simply are not found.
public protocol ConversationStore: Sendable {
    func create(userID: String, id: String?, title: String, at: Date) async throws -> Conversation
    func get(userID: String, id: String) async throws -> Conversation?
    func list(userID: String, archived: Bool, query: String?, page: PageRequest) async throws -> Page<Conversation>
    func update(userID: String, id: String, title: String?, pinned: Bool?, archived: Bool?, at: Date) async throws -> Conversation?
    func delete(userID: String, id: String) async throws -> Bool

    /// Adds a message and bumps the conversation's `updated_at`; the first user message also
    /// titles an untitled conversation. `nil` when the conversation is not the user's.
    func append(userID: String, conversationID: String, role: MessageRole, content: String,
                sources: JSONValue, toolCalls: JSONValue, truncated: Bool, at: Date) async throws -> Message?
    /// Newest first. `nil` when the conversation is not the user's.
    func messages(userID: String, conversationID: String, page: PageRequest) async throws -> Page<Message>?
    /// Oldest first, all of them (export). `nil` when the conversation is not the user's.
    func allMessages(userID: String, conversationID: String) async throws -> [Message]?
    /// The newest `limit` messages, oldest first (the model's context); empty when not the user's.
    func recentMessages(userID: String, conversationID: String, limit: Int) async throws -> [ContextMessage]
    /// Saves the user's new message and reads the `limit` messages before it, oldest first (a
    /// chat turn's first step). `nil` when the conversation is not the user's; nothing is saved then.
    func appendUserMessage(userID: String, conversationID: String, content: String, at: Date,
                           contextLimit limit: Int) async throws -> (message: Message, earlier: [ContextMessage])?
    /// The user's messages across conversations, newest first.
    func history(userID: String, page: PageRequest) async throws -> Page<Message>
    func message(userID: String, id: String) async throws -> Message?
    /// Records feedback on one of the user's messages; `nil` when the message is not theirs.
    func addFeedback(userID: String, messageID: String, rating: String, comment: String?, at: Date) async throws -> String?
}

/// ``ConversationStore`` over SQLite or PostgreSQL.
public struct SQLConversationStore: ConversationStore {
    let db: any Database
    public init(database: any Database) { db = database }

    /// One conversation's messages, if they are the user's (binds: conversation id, user id).
    /// The user test is written `"user_id" || '' = ?` so that no planner serves it from the
    /// per-user index: SQLite, without statistics, picked `message_user_idx` and walked all of
    /// the user's messages, where `message_conversation_idx` reads just the conversation's.
    static let inConversation = #""conversation_id" = ? AND "user_id" || '' = ?"#

    static let columns = #"""
        c."id", c."title", c."pinned", c."archived", c."created_at", c."updated_at",
        (SELECT COUNT(*) FROM "message" m WHERE m."conversation_id" = c."id") AS "message_count",
        (SELECT m."role" FROM "message" m WHERE m."conversation_id" = c."id" ORDER BY m."created_at" DESC, m."id" DESC LIMIT 1) AS "last_role",
        (SELECT substr(m."content", 1, 160) FROM "message" m WHERE m."conversation_id" = c."id" ORDER BY m."created_at" DESC, m."id" DESC LIMIT 1) AS "last_preview"
        """#
    static let messageColumns = #""id", "conversation_id", "role", "content", "html", "sources", "tool_calls", "truncated", "created_at""#

    public func create(userID: String, id: String?, title: String, at: Date) async throws -> Conversation {
        let id = id ?? UUIDv7.generate(at: at)
        try await db.execute(
            #"INSERT INTO "conversation" ("id", "user_id", "title", "pinned", "archived", "created_at", "updated_at") VALUES (?, ?, ?, ?, ?, ?, ?)"#,
            id, userID, title, false, false, at, at)
        return Conversation(id: id, title: title, pinned: false, archived: false, createdAt: at, updatedAt: at)
    }

    public func get(userID: String, id: String) async throws -> Conversation? {
        try await db.first(#"SELECT \#(Self.columns) FROM "conversation" c WHERE c."id" = ? AND c."user_id" = ?"#, id, userID).map(Self.conversation)
    }

    public func list(userID: String, archived: Bool, query: String?, page: PageRequest) async throws -> Page<Conversation> {
        var sql = #"SELECT \#(Self.columns) FROM "conversation" c WHERE c."user_id" = ? AND c."archived" = ?"#
        var binds: [DatabaseValue] = [.text(userID), .bool(archived)]
        if let query, !FullTextQuery.words(query).isEmpty {
            if db.dialect == .postgres {
                sql += #" AND (c."search" @@ plainto_tsquery('english', ?) OR EXISTS (SELECT 1 FROM "message" m WHERE m."conversation_id" = c."id" AND m."search" @@ plainto_tsquery('english', ?)))"#
                let text = FullTextQuery.words(query).joined(separator: " ")
                binds += [.text(text), .text(text)]
            } else if let match = FullTextQuery.fts5(query) {
                sql += #" AND (c."rowid" IN (SELECT "rowid" FROM "conversation_fts" WHERE "conversation_fts" MATCH ?) OR c."id" IN (SELECT m."conversation_id" FROM "message" m WHERE m."user_id" = ? AND m."rowid" IN (SELECT "rowid" FROM "message_fts" WHERE "message_fts" MATCH ?)))"#
                binds += [.text(match), .text(userID), .text(match)]
            }
        }
        if let cursor = page.cursor {
            guard cursor.values.count == 3, let pinned = Bool(cursor.values[0]), let updated = cursor.date(1) else {
                throw InvalidInput.badCursor
            }
            sql += #" AND (c."pinned" < ? OR (c."pinned" = ? AND (c."updated_at" < ? OR (c."updated_at" = ? AND c."id" < ?))))"#
            binds += [.bool(pinned), .bool(pinned), .date(updated), .date(updated), .text(cursor.values[2])]
        }
        sql += #" ORDER BY c."pinned" DESC, c."updated_at" DESC, c."id" DESC LIMIT ?"#
        binds.append(.int(Int64(page.limit + 1)))
        let rows = try await db.query(sql, binds).map(Self.conversation)
        let items = Array(rows.prefix(page.limit))
        let next = rows.count > page.limit ? items.last.map { PageCursor([String($0.pinned), ISO8601.string(from: $0.updatedAt), $0.id]) } : nil
        return Page(items: items, nextCursor: next)
    }

    public func update(userID: String, id: String, title: String?, pinned: Bool?, archived: Bool?, at: Date) async throws -> Conversation? {
        var sets: [String] = []
        var binds: [DatabaseValue] = []
        if let title { sets.append(#""title" = ?"#); binds.append(.text(title)) }
        if let pinned { sets.append(#""pinned" = ?"#); binds.append(.bool(pinned)) }
        if let archived { sets.append(#""archived" = ?"#); binds.append(.bool(archived)) }
        if !sets.isEmpty {
            sets.append(#""updated_at" = ?"#)
            binds += [.date(at), .text(id), .text(userID)]
            try await db.query(#"UPDATE "conversation" SET \#(sets.joined(separator: ", ")) WHERE "id" = ? AND "user_id" = ?"#, binds)
        }
        return try await get(userID: userID, id: id)
    }

    public func delete(userID: String, id: String) async throws -> Bool {
        !(try await db.query(#"DELETE FROM "conversation" WHERE "id" = ? AND "user_id" = ? RETURNING "id""#, [.text(id), .text(userID)]).isEmpty)
    }

    public func append(userID: String, conversationID: String, role: MessageRole, content: String,
                       sources: JSONValue, toolCalls: JSONValue, truncated: Bool, at: Date) async throws -> Message? {
        let message = Message(id: UUIDv7.generate(at: at), conversationId: conversationID, role: role, content: content,
                              sources: sources, toolCalls: toolCalls, truncated: truncated, createdAt: at)
        if db.dialect == .postgres {
            // One statement, one round trip: touch the conversation (titling it from the first
            // user message) and insert the message only if the conversation is the user's.
            let rows = try await db.query(prepared: AppendMessage.self, [.date(at), .bool(role == .user), .text(Self.title(from: content)), .text(conversationID), .text(userID),
                       .text(message.id), .text(userID), .text(role.rawValue), .text(content), .text(message.html), .text(sources.serialized),
                       .text(toolCalls.serialized), .bool(truncated), .date(at)])
            return rows.isEmpty ? nil : message
        }
        return try await db.transaction { tx in
            guard let row = try await tx.first(#"SELECT "title" FROM "conversation" WHERE "id" = ? AND "user_id" = ?"#, conversationID, userID) else {
                return nil
            }
            try await tx.execute(
                #"INSERT INTO "message" ("id", "conversation_id", "user_id", "role", "content", "html", "sources", "tool_calls", "truncated", "created_at") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"#,
                message.id, conversationID, userID, role.rawValue, content, message.html, sources.serialized, toolCalls.serialized, truncated, at)
            if role == .user, (try row.string("title")).isEmpty {
                try await tx.execute(#"UPDATE "conversation" SET "title" = ?, "updated_at" = ? WHERE "id" = ? AND "user_id" = ?"#,
                                     Self.title(from: content), at, conversationID, userID)
            } else {
                try await tx.execute(#"UPDATE "conversation" SET "updated_at" = ? WHERE "id" = ? AND "user_id" = ?"#, at, conversationID, userID)
            }
            return message
        }
    }

    public func appendUserMessage(userID: String, conversationID: String, content: String, at: Date,
                                  contextLimit limit: Int) async throws -> (message: Message, earlier: [ContextMessage])? {
        guard db.dialect == .postgres else {
            // SQLite statements cost microseconds: read the context, then save the message.
            let earlier = try await recentMessages(userID: userID, conversationID: conversationID, limit: limit)
            guard let message = try await append(userID: userID, conversationID: conversationID, role: .user, content: content,
                                                 sources: .array([]), toolCalls: .array([]), truncated: false, at: at) else { return nil }
            return (message, earlier)
        }
        // PostgreSQL: the context is read on a second connection while the message is saved, so
        // the turn waits for one round trip, not two. (One statement doing both was measured
        // slower: the server then does the two parts one after the other.)
        // The read may or may not see the new message, so it asks for one more and drops it.
        async let earlier = recentMessages(userID: userID, conversationID: conversationID, limit: limit + 1)
        guard let message = try await append(userID: userID, conversationID: conversationID, role: .user, content: content,
                                             sources: .array([]), toolCalls: .array([]), truncated: false, at: at) else {
            _ = try? await earlier
            return nil
        }
        return (message, Array(try await earlier.filter { $0.id != message.id }.suffix(limit)))
    }

    /// A title from the first user message: trimmed, one line, at most 80 characters.
    static func title(from content: String) -> String {
        let line = content.split(whereSeparator: \.isNewline).first.map(String.init) ?? content
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        return trimmed.count > 80 ? String(trimmed.prefix(79)) + "…" : trimmed
    }

    public func messages(userID: String, conversationID: String, page: PageRequest) async throws -> Page<Message>? {
        guard try await db.first(#"SELECT "id" FROM "conversation" WHERE "id" = ? AND "user_id" = ?"#, conversationID, userID) != nil else { return nil }
        return try await messagePage(Self.inConversation, [.text(conversationID), .text(userID)], page: page)
    }

    public func history(userID: String, page: PageRequest) async throws -> Page<Message> {
        // Prepared (the busiest read of an API replica): a first page, or a page after a cursor.
        let rows: [DatabaseRow]
        if let cursor = try NewestFirstPage.cursorBinds(page) {
            rows = try await db.query(prepared: HistoryAfterCursor.self, [.text(userID)] + cursor + [NewestFirstPage.limitBind(page)])
        } else {
            rows = try await db.query(prepared: HistoryFirstPage.self, [.text(userID), NewestFirstPage.limitBind(page)])
        }
        return NewestFirstPage.page(try rows.map(Self.message), page) { ($0.createdAt, $0.id) }
    }

    /// `GET /api/user/history`, first page (binds: user id, limit).
    enum HistoryFirstPage: PreparedSQL {
        static let sql = #"SELECT \#(messageColumns) FROM "message" WHERE "user_id" = ?"# + NewestFirstPage.orderAndLimit
    }

    /// `GET /api/user/history` after a cursor (binds: user id, the cursor's three values, limit).
    enum HistoryAfterCursor: PreparedSQL {
        static let sql = #"SELECT \#(messageColumns) FROM "message" WHERE "user_id" = ?"# + NewestFirstPage.afterCursor + NewestFirstPage.orderAndLimit
    }

    func messagePage(_ condition: String, _ binds: [DatabaseValue], page: PageRequest) async throws -> Page<Message> {
        var sql = #"SELECT \#(Self.messageColumns) FROM "message" WHERE \#(condition)"#
        var binds = binds
        try NewestFirstPage.finish(&sql, &binds, page: page)
        return NewestFirstPage.page(try await db.query(sql, binds).map(Self.message), page) { ($0.createdAt, $0.id) }
    }

    public func allMessages(userID: String, conversationID: String) async throws -> [Message]? {
        guard try await db.first(#"SELECT "id" FROM "conversation" WHERE "id" = ? AND "user_id" = ?"#, conversationID, userID) != nil else { return nil }
        return try await db.query(
            #"SELECT \#(Self.messageColumns) FROM "message" WHERE \#(Self.inConversation) ORDER BY "created_at", "id""#,
            [.text(conversationID), .text(userID)]).map(Self.message)
    }

    public func recentMessages(userID: String, conversationID: String, limit: Int) async throws -> [ContextMessage] {
        try await db.query(prepared: RecentMessages.self, [.text(conversationID), .text(userID), .int(Int64(limit))]).map { row in
            ContextMessage(id: try row.string("id"), role: MessageRole(rawValue: try row.string("role")) ?? .user,
                           content: try row.string("content"), toolCalls: SavedJSON(text: row.optionalString("tool_calls")))
        }.reversed()
    }

    // MARK: - The chat turn's statements, prepared once per PostgreSQL connection

    /// Touches the conversation (titling it from the first user message) and inserts the
    /// message only if the conversation is the user's: one statement, one round trip.
    enum AppendMessage: PreparedSQL {
        static let sql = #"""
            WITH c AS (UPDATE "conversation" SET "updated_at" = ?,
                           "title" = CASE WHEN "title" = '' AND ? THEN ? ELSE "title" END
                       WHERE "id" = ? AND "user_id" = ? RETURNING "id")
            INSERT INTO "message" ("id", "conversation_id", "user_id", "role", "content", "html", "sources", "tool_calls", "truncated", "created_at")
            SELECT ?, c."id", ?, ?, ?, ?, ?, ?, ?, ? FROM c RETURNING "id"
            """#
    }

    /// The newest messages of a conversation (binds: conversation id, user id, limit).
    enum RecentMessages: PreparedSQL {
        static let sql = #"SELECT "id", "role", "content", "tool_calls" FROM "message" WHERE \#(inConversation) ORDER BY "created_at" DESC, "id" DESC LIMIT ?"#
    }

    public func message(userID: String, id: String) async throws -> Message? {
        try await db.first(#"SELECT \#(Self.messageColumns) FROM "message" WHERE "id" = ? AND "user_id" = ?"#, id, userID).map(Self.message)
    }

    public func addFeedback(userID: String, messageID: String, rating: String, comment: String?, at: Date) async throws -> String? {
        guard try await message(userID: userID, id: messageID) != nil else { return nil }
        let id = UUIDv7.generate(at: at)
        try await db.execute(#"INSERT INTO "feedback" ("id", "message_id", "user_id", "rating", "comment", "created_at") VALUES (?, ?, ?, ?, ?, ?)"#,
                             id, messageID, userID, rating, comment, at)
        return id
    }

    static func conversation(_ row: DatabaseRow) throws -> Conversation {
        let role = row.optionalString("last_role").flatMap(MessageRole.init(rawValue:))
        return Conversation(
            id: try row.string("id"), title: try row.string("title"), pinned: try row.bool("pinned"), archived: try row.bool("archived"),
            createdAt: try row.date("created_at"), updatedAt: try row.date("updated_at"), messageCount: Int(try row.int("message_count")),
            lastMessage: role.map { ($0, String((row.optionalString("last_preview") ?? "").prefix(120))) })
    }

    static func message(_ row: DatabaseRow) throws -> Message {
        Message(id: try row.string("id"), conversationId: try row.string("conversation_id"),
                role: MessageRole(rawValue: try row.string("role")) ?? .user, content: try row.string("content"),
                html: row.optionalString("html"), sources: SavedJSON.value(of: row.optionalString("sources")), toolCalls: SavedJSON.value(of: row.optionalString("tool_calls")),
                truncated: (try? row.bool("truncated")) ?? false, createdAt: try row.date("created_at"))
    }
}
