import Conversations
import Foundation
import StoaCore
import Tasks
import Testing
@testable import StoaServer

/// The typed `/api` answers as clients read them: api.md's field order, `null` for an absent
/// value, ISO-8601 dates with milliseconds, and `truncated` only on a cut-short reply.
@Suite struct ResponseEncodingTests {
    let date = Date(timeIntervalSince1970: 1_767_323_045.678)   // 2026-01-02T03:04:05.678Z

    @Test func taskKeepsFieldOrderAndWritesNull() throws {
        let task = TaskItem(id: "t1", title: "Buy \"milk\"", description: nil, completed: false, dueAt: nil, createdAt: date, updatedAt: date)
        let text = try OrderedJSONEncoder.encode(TaskResponse(task)).serialized
        #expect(text == #"{"id":"t1","title":"Buy \"milk\"","description":null,"completed":false,"dueAt":null,"createdAt":"2026-01-02T03:04:05.678Z","updatedAt":"2026-01-02T03:04:05.678Z"}"#)
    }

    @Test func messageWritesTruncatedOnlyWhenTrue() throws {
        var message = Message(id: "m1", conversationId: "c1", role: .assistant, content: "a<b", sources: .array([.object([("n", .number(1))])]),
                              createdAt: date)
        let whole = try OrderedJSONEncoder.encode(MessageResponse(message))
        guard case .object(let pairs) = whole else { Issue.record("not an object"); return }
        #expect(pairs.map(\.0) == ["id", "conversationId", "role", "content", "html", "sources", "toolCalls", "createdAt"])
        #expect(whole["sources"] == .array([.object([("n", .number(1))])]))
        message.truncated = true
        #expect(try OrderedJSONEncoder.encode(MessageResponse(message))["truncated"] == .bool(true))
    }

    @Test func conversationPageNestsAndEndsWithNullCursor() throws {
        let conversation = Conversation(id: "c1", title: "", pinned: true, archived: false, createdAt: date, updatedAt: date,
                                        messageCount: 2, lastMessage: (role: .user, preview: "hi"))
        let bare = Conversation(id: "c2", title: "t", pinned: false, archived: false, createdAt: date, updatedAt: date)
        let last = try OrderedJSONEncoder.encode(PageResponse(Page(items: [conversation, bare], nextCursor: nil), ConversationResponse.init))
        #expect(last["nextCursor"] == .null)
        guard case .array(let items)? = last["items"], items.count == 2 else { Issue.record("items"); return }
        #expect(items[0]["lastMessage"] == .object([("role", .string("user")), ("preview", .string("hi"))]))
        #expect(items[0]["messageCount"] == .number(2))
        #expect(items[1]["lastMessage"] == .null)
        let more = try OrderedJSONEncoder.encode(PageResponse(Page(items: [bare], nextCursor: PageCursor(["x"])), ConversationResponse.init))
        #expect(more["nextCursor"] == .string(PageCursor(["x"]).encoded))
    }

    @Test func chatReplyUsesTheCompatibilityFieldNames() throws {
        let reply = try OrderedJSONEncoder.encode(ChatReplyResponse(response: "ok", sessionID: "c1", messageID: "m1", sources: .array([])))
        guard case .object(let pairs) = reply else { Issue.record("not an object"); return }
        #expect(pairs.map(\.0) == ["response", "session_id", "message_id", "sources"])
    }

    @Test func emptyAndHostileStringsRoundTrip() throws {
        let hostile = "\u{0}\u{1F}\"\\</script>\u{2028}é" + String(repeating: "x", count: 100_000)
        let task = TaskItem(id: "t", title: hostile, description: "", completed: true, dueAt: date, createdAt: date, updatedAt: date)
        let text = try OrderedJSONEncoder.encode(TaskResponse(task)).serialized
        let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect(parsed?["title"] as? String == hostile)
        #expect(parsed?["description"] as? String == "")
    }

    /// Message pages are written straight to bytes (``JSONBytesWritable``): the same bytes as the
    /// encoder gives, for generated messages with hostile text, any sources and tool calls, either
    /// kind of page end.
    @Test func messagePagesWrittenAsBytesMatchTheEncoder() throws {
        let pieces = ["a", "é", "😀", "\"", "\\", "\n", "\r", "\t", "\u{0}", "\u{1F}", "<", ">", "&", "\u{2028}", "\u{2029}", "</script>", " ", "x y"]
        var random = SplitMix64(seed: 0x4157)
        func text() -> String { (0..<Int(random.next() % 12)).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }.joined() }
        func json(_ depth: Int = 0) -> JSONValue {
            switch random.next() % (depth > 2 ? 4 : 6) {
            case 0: return .null
            case 1: return .bool(random.next() % 2 == 0)
            case 2: return .number(Double(Int64(random.next() % 2_000_000) - 1_000_000) / 8)
            case 3: return .string(text())
            case 4: return .array((0..<Int(random.next() % 4)).map { _ in json(depth + 1) })
            default: return .object((0..<Int(random.next() % 4)).map { _ in (text(), json(depth + 1)) })
            }
        }
        for round in 0..<300 {
            let messages = (0..<Int(random.next() % 5)).map { _ in
                var message = Message(id: text(), conversationId: text(), role: random.next() % 2 == 0 ? .user : .assistant, content: text(),
                                      sources: json(), toolCalls: json(), createdAt: Date(timeIntervalSince1970: Double(random.next() % 4_000_000_000_000) / 1000))
                message.truncated = random.next() % 3 == 0
                return message
            }
            let page = PageResponse(Page(items: messages, nextCursor: random.next() % 2 == 0 ? nil : PageCursor([text()])), MessageResponse.init)
            let written = String(decoding: page.jsonBytes, as: UTF8.self)
            let encoded = try OrderedJSONEncoder.encode(page).serialized
            #expect(written == encoded, "round \(round)")
            if written != encoded { return }
        }
    }
}
