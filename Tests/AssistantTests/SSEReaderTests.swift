@testable import Assistant
import Testing

/// The byte-level SSE reader against WHATWG HTML §9.2: line ends of every kind and split anywhere,
/// UTF-8 split across reads, fields, comments, dispatch rules, the size limit, and linear work on
/// inputs built to make a naive parser rescan.
@Suite struct SSEReaderTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// Feeds `chunks` one by one and then finishes the stream, returning every event in order.
    static func read(_ chunks: [[UInt8]], maxEventBytes: Int = 4 << 20) throws -> [SSEEvent] {
        var reader = SSEReader(maxEventBytes: maxEventBytes)
        var events: [SSEEvent] = []
        for chunk in chunks { events += try reader.feed(chunk) }
        return events + reader.finish()
    }

    static func read(_ text: String) throws -> [SSEEvent] { try read([bytes(text)]) }

    /// The stream whole, split in two at every position, and one byte at a time.
    static func everySplit(_ stream: [UInt8]) throws -> [[SSEEvent]] {
        var results = [try read([stream])]
        for cut in 0...stream.count { results.append(try read([Array(stream[..<cut]), Array(stream[cut...])])) }
        results.append(try read(stream.map { [$0] }))
        return results
    }

    static let openAIStream: String = {
        func chunk(_ delta: String, finish: String = "null") -> String {
            #"data: {"id":"chatcmpl-9x","object":"chat.completion.chunk","created":1718000000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":\#(delta),"finish_reason":\#(finish)}]}"# + "\n\n"
        }
        return ": OPENROUTER PROCESSING\n\n"
            + chunk(#"{"role":"assistant","content":""}"#)
            + chunk(#"{"content":"Café "}"#)
            + chunk(#"{"content":"ready 🎉 — 東京"}"#)
            + chunk(#"{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"add_task","arguments":""}}]}"#)
            + chunk(#"{"tool_calls":[{"index":0,"function":{"arguments":"{\"title\":\"buy milk\"}"}}]}"#)
            + chunk("{}", finish: #""tool_calls""#)
            + "data: [DONE]\n\n"
    }()

    @Test func utf8SplitAtEveryBytePositionStaysIntact() throws {
        for text in ["é", "🎉", "a é 🎉 東京 z"] {
            let stream = Self.bytes("data: \(text)\n\n")
            for events in try Self.everySplit(stream) {
                #expect(events == [SSEEvent(data: text)])
            }
        }
    }

    @Test func invalidUTF8BecomesReplacementCharacters() throws {
        #expect(try Self.read([[0x64, 0x61, 0x74, 0x61, 0x3A, 0xFF, 0x41, 0x0A, 0x0A]]) == [SSEEvent(data: "\u{FFFD}A")])
        // A truncated sequence does not swallow the line end after it.
        #expect(try Self.read([Self.bytes("data: x") + [0xE2, 0x82], Self.bytes("\n\ndata: y\n\n")])
                == [SSEEvent(data: "x\u{FFFD}"), SSEEvent(data: "y")])
    }

    @Test func multiLineDataJoinsWithLineFeeds() throws {
        #expect(try Self.read("data: a\ndata: b\ndata:\ndata: c\n\n") == [SSEEvent(data: "a\nb\n\nc")])
        #expect(try Self.read("data: {\ndata:   \"k\": 1\ndata: }\n\n") == [SSEEvent(data: "{\n  \"k\": 1\n}")])
    }

    @Test func commentsAreIgnored() throws {
        #expect(try Self.read(": keep-alive\ndata: x\n: between\n\n:\n\n") == [SSEEvent(data: "x")])
        #expect(try Self.read(":only comments\n:\n\n") == [])
        // A colon later in the line is a separator, not a comment.
        #expect(try Self.read("data: a:b\n\n") == [SSEEvent(data: "a:b")])
    }

    @Test func lineEndsOfEveryKind() throws {
        let expected = [SSEEvent(data: "a\nb"), SSEEvent(event: "x", data: "c")]
        #expect(try Self.read("data: a\r\ndata: b\r\n\r\nevent: x\r\ndata: c\r\n\r\n") == expected)
        #expect(try Self.read("data: a\rdata: b\r\revent: x\rdata: c\r\r") == expected)
        #expect(try Self.read("data: a\ndata: b\r\n\revent: x\rdata: c\n\r\n") == expected)
    }

    @Test func crlfSplitAcrossFeedsIsOneLineEnd() throws {
        // Read as two line ends, the LF would be a blank line dispatching "a" on its own.
        #expect(try Self.read([Self.bytes("data: a\r"), Self.bytes("\ndata: b\r"), Self.bytes("\n\r"), Self.bytes("\n")])
                == [SSEEvent(data: "a\nb")])
        #expect(try Self.read([Self.bytes("data: a\r"), [], Self.bytes("\n\r\n")]) == [SSEEvent(data: "a")])
    }

    @Test func leadingByteOrderMarkIsSkippedOnce() throws {
        #expect(try Self.read("\u{FEFF}data: a\n\n") == [SSEEvent(data: "a")])
        for events in try Self.everySplit(Self.bytes("\u{FEFF}data: a\n\n")) { #expect(events == [SSEEvent(data: "a")]) }
        // Only at the very start: a second BOM belongs to the field name, so the field is unknown.
        #expect(try Self.read("\u{FEFF}\u{FEFF}data: a\n\ndata: b\n\n") == [SSEEvent(data: "b")])
        #expect(try Self.read("data: a\n\n\u{FEFF}data: b\n\n") == [SSEEvent(data: "a")])
        // The first bytes of a BOM that turns out not to be one are content, line end included.
        #expect(try Self.read([[0xEF, 0xBB], Self.bytes("\ndata: b\n\n")]) == [SSEEvent(data: "b")])
        #expect(try Self.read([[0xEF], [0xBB], [0x0A], Self.bytes("data: b\n\n")]) == [SSEEvent(data: "b")])
    }

    /// Inputs `scripts/fuzz` (Tests/Fuzz/sse) found; each failed before the fix named beside it.
    @Test func regressionsFoundByFuzzing() throws {
        // The bytes of a BOM that stops matching within the same chunk were dropped, turning the
        // unknown field "\u{EF}data" into "data" (crash-5cc3e97ed8973c78cf87bae0183a73be5f600a1e).
        let crash: [UInt8] = [0xEF] + Self.bytes(#"data: {"id":"ch"#) + [0xBB] + Self.bytes("h") + [0x00, 0xBF] + Self.bytes(":")
            + [0x00, 0x00] + Self.bytes("atcmpl-") + [0x00] + Self.bytes("9") + [0x00, 0x00]
        for events in try Self.everySplit(crash) { #expect(events == []) }
        for events in try Self.everySplit([0xEF] + Self.bytes("data: x\n\ndata: y\n\n")) { #expect(events == [SSEEvent(data: "y")]) }
        for events in try Self.everySplit([0xEF, 0xBB] + Self.bytes(":\ndata: y\n\n")) { #expect(events == [SSEEvent(data: "y")]) }
    }

    @Test func eventAndIDFields() throws {
        #expect(try Self.read("event: delta\nid: 7\ndata: x\n\ndata: y\n\nid\ndata: z\n\n")
                == [SSEEvent(event: "delta", data: "x", id: "7"), SSEEvent(data: "y", id: "7"), SSEEvent(data: "z")])
        // An id holding NUL is ignored; an id set by an event without data still carries over.
        #expect(try Self.read("id: 1\n\nid: a\u{0}b\ndata: q\n\n") == [SSEEvent(data: "q", id: "1")])
        // The event type is reset by every blank line, dispatched or not.
        #expect(try Self.read("event: x\n\ndata: y\n\nevent: a\nevent: b\ndata: z\n\n")
                == [SSEEvent(data: "y"), SSEEvent(event: "b", data: "z")])
        #expect(try Self.read("retry: 1000\nfoo: bar\nDATA: no\ndata: x\n\n") == [SSEEvent(data: "x")])
    }

    @Test func onlyOneLeadingSpaceOfTheValueIsRemoved() throws {
        #expect(try Self.read("data:x\n\n") == [SSEEvent(data: "x")])
        #expect(try Self.read("data:  x \n\n") == [SSEEvent(data: " x ")])
        #expect(try Self.read("data:\tx\n\n") == [SSEEvent(data: "\tx")])
        #expect(try Self.read("event:type\ndata:x\n\n") == [SSEEvent(event: "type", data: "x")])
    }

    @Test func fieldWithoutColonHasAnEmptyValue() throws {
        #expect(try Self.read("data\n\n") == [SSEEvent(data: "")])
        #expect(try Self.read("data\ndata\ndata: x\n\n") == [SSEEvent(data: "\n\nx")])
        #expect(try Self.read("event\ndata: x\n\n") == [SSEEvent(data: "x")])
    }

    @Test func emptyDataStillDispatchesButNoDataDoesNot() throws {
        #expect(try Self.read("data:\n\n") == [SSEEvent(data: "")])
        #expect(try Self.read("data: \n\n") == [SSEEvent(data: "")])
        #expect(try Self.read("\n\n\r\n\r\r") == [])
        #expect(try Self.read("event: ping\n\n") == [])
    }

    @Test func finishDispatchesAPendingEventWithData() throws {
        var reader = SSEReader()
        #expect(try reader.feed(Self.bytes("data: a\n\n")) == [SSEEvent(data: "a")])
        #expect(reader.finish() == [])

        reader = SSEReader()
        #expect(try reader.feed(Self.bytes("data: a\n\ndata: b\n")) == [SSEEvent(data: "a")])
        #expect(reader.finish() == [SSEEvent(data: "b")])

        // The last line counts even without its line end.
        reader = SSEReader()
        #expect(try reader.feed(Self.bytes("event: e\ndata: [DONE]")) == [])
        #expect(reader.finish() == [SSEEvent(event: "e", data: "[DONE]")])

        reader = SSEReader()
        #expect(try reader.feed(Self.bytes("event: e\n: comment")) == [])
        #expect(reader.finish() == [])

        // finish() leaves the reader ready for a new stream, BOM included.
        #expect(try reader.feed(Self.bytes("\u{FEFF}data: again\n\n")) == [SSEEvent(data: "again")])
    }

    @Test func anyCollectionOfBytesCanBeFed() throws {
        var reader = SSEReader()
        let text = "data: é\n\n"
        #expect(try reader.feed(text.utf8) == [SSEEvent(data: "é")])
        #expect(try reader.feed(Self.bytes(text)[...]) == [SSEEvent(data: "é")])
        #expect(try reader.feed(Self.bytes(text).lazy.map { $0 }) == [SSEEvent(data: "é")])   // not contiguous
    }

    @Test func realisticOpenAIStreamGivesTheSameEventsAtEverySplit() throws {
        for lineEnd in ["\n", "\r\n", "\r"] {
            let stream = Self.bytes(Self.openAIStream.replacing("\n", with: lineEnd))
            let whole = try Self.read([stream])
            #expect(whole.count == 7)
            #expect(whole.last == SSEEvent(data: "[DONE]"))
            #expect(whole[2].data.contains("ready 🎉 — 東京"))
            for events in try Self.everySplit(stream) { #expect(events == whole) }
        }
    }

    @Test func aHugeEventThrows() throws {
        // A line of exactly the limit is fine; one byte more is not.
        let fits = "data: " + String(repeating: "x", count: 94)
        #expect(try Self.read([Self.bytes(fits + "\n\n")], maxEventBytes: 100).count == 1)
        #expect(throws: SSEReader.Error.eventTooLarge) { try Self.read([Self.bytes(fits + "x\n\n")], maxEventBytes: 100) }
        // Too large whether it arrives at once, in pieces, or as many small data lines.
        #expect(throws: SSEReader.Error.eventTooLarge) {
            try Self.read(Array(repeating: Self.bytes("xxxxxxxxxx"), count: 20).prepending(Self.bytes("data: ")), maxEventBytes: 100)
        }
        #expect(throws: SSEReader.Error.eventTooLarge) {
            try Self.read([Self.bytes(String(repeating: "data: 0123456789\n", count: 20) + "\n")], maxEventBytes: 100)
        }
        // Events are bounded one at a time, not the stream; comments are never buffered.
        #expect(try Self.read([Self.bytes(String(repeating: "data: 0123456789\n\n", count: 100))], maxEventBytes: 100).count == 100)
        #expect(try Self.read([Self.bytes(":" + String(repeating: "c", count: 1000) + "\ndata: x\n\n")], maxEventBytes: 100) == [SSEEvent(data: "x")])

        // Once failed, the reader stays failed.
        var reader = SSEReader(maxEventBytes: 10)
        #expect(throws: SSEReader.Error.eventTooLarge) { try reader.feed(Self.bytes("data: 0123456789")) }
        #expect(throws: SSEReader.Error.eventTooLarge) { try reader.feed(Self.bytes("\n\n")) }
        #expect(reader.finish() == [])
    }

    @Test func pathologicalInputsFinishInLinearTime() throws {
        let megabyte = 1 << 20
        let chunked: ([UInt8]) -> [[UInt8]] = { stream in stride(from: 0, to: stream.count, by: 4096).map { Array(stream[$0..<min($0 + 4096, stream.count)]) } }

        let noNewline = Self.bytes("data: ") + Array(repeating: UInt8(ascii: "a"), count: megabyte)
        let events = try Self.read(chunked(noNewline))
        #expect(events.count == 1 && events.first?.data.utf8.count == megabyte)

        #expect(try Self.read(chunked(Array(repeating: UInt8(ascii: "\r"), count: megabyte))) == [])
        #expect(try Self.read(chunked(Array(String(repeating: "\r\n", count: megabyte / 2).utf8))) == [])
        #expect(try Self.read(chunked(Array(String(repeating: ":\n", count: megabyte / 2).utf8))) == [])
        #expect(try Self.read(chunked(Array(repeating: UInt8(ascii: ":"), count: megabyte))) == [])
        let manyLines = try Self.read(chunked(Array(String(repeating: "data:\n", count: megabyte / 6).utf8)))
        #expect(manyLines.count == 1 && manyLines.first?.data.utf8.count == megabyte / 6 - 1)
    }
}

private extension Array {
    func prepending(_ element: Element) -> [Element] { [element] + self }
}
