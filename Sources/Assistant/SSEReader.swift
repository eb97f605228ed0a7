/// One server-sent event (WHATWG HTML §9.2 "event stream interpretation").
public struct SSEEvent: Sendable, Equatable {
    /// The `event:` field, or nil when the event had none (or an empty one): the spec's default type "message".
    public var event: String?
    /// The `data:` lines of the event joined with "\n".
    public var data: String
    /// The stream's last event ID when the event was dispatched. As in the spec it carries over to later
    /// events until another `id:` line changes it; nil when none was set (or an empty `id:` reset it).
    public var id: String?

    public init(event: String? = nil, data: String, id: String? = nil) {
        self.event = event
        self.data = data
        self.id = id
    }
}

/// Incremental parser: feed bytes as they arrive, get complete events.
///
/// Bytes are split into lines (CRLF, LF or CR, even when a CRLF pair straddles two reads) and each
/// line is decoded as UTF-8 only once it is complete, so a character split across network reads
/// stays intact; genuinely invalid bytes become U+FFFD, as the spec's stream decoding does. Each
/// byte is looked at once: work is linear in the input, and comment lines are skipped without
/// being buffered.
///
/// ```swift
/// var reader = SSEReader()
/// for try await buffer in body { for event in try reader.feed(buffer.readableBytesView) { … } }
/// for event in reader.finish() { … }
/// ```
public struct SSEReader: Sendable {
    /// Thrown when one event (its data so far plus the line being read) outgrows `maxEventBytes`.
    /// The events of that `feed` call are lost and the reader stays failed: later feeds throw again.
    public enum Error: Swift.Error { case eventTooLarge }

    private static let lineFeed: UInt8 = 0x0A, carriageReturn: UInt8 = 0x0D, colon: UInt8 = 0x3A, space: UInt8 = 0x20
    private static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    private let maxEventBytes: Int
    /// The current line, not yet terminated (never a comment: those are skipped, see `skippingComment`).
    private var line: [UInt8] = []
    private var skippingComment = false
    /// The previous byte ended a line with CR: an LF right after it belongs to the same line end.
    private var afterCarriageReturn = false
    /// How many bytes of a leading BOM have been seen; nil once the start of the stream is behind us.
    private var byteOrderMarkSeen: Int? = 0
    private var data: [UInt8] = []
    private var hasData = false
    private var eventType: String?
    private var lastEventID: String?
    private var failed = false

    public init(maxEventBytes: Int = 4 << 20) {
        self.maxEventBytes = maxEventBytes
    }

    /// Parses the next bytes of the stream and returns the events they complete, in order.
    public mutating func feed<C: Collection>(_ bytes: C) throws(SSEReader.Error) -> [SSEEvent] where C.Element == UInt8 {
        if failed { throw .eventTooLarge }
        var events: [SSEEvent] = []
        let result = bytes.withContiguousStorageIfAvailable { buffer in consume(buffer, into: &events) }
            ?? Array(bytes).withUnsafeBufferPointer { buffer in consume(buffer, into: &events) }
        if case .failure(let error) = result {
            fail()
            throw error
        }
        return events
    }

    /// Ends the stream: the last line is read even without its line end, and a pending event that has
    /// data is dispatched even without the closing blank line (lenient: providers sometimes omit it,
    /// where the spec would drop it). The reader is then ready for a new stream.
    public mutating func finish() -> [SSEEvent] {
        if failed { return [] }
        var events: [SSEEvent] = []
        if let seen = byteOrderMarkSeen, seen > 0 { line.append(contentsOf: Self.byteOrderMark[..<seen]) }
        if !line.isEmpty || skippingComment { endLine(into: &events) }
        if hasData { dispatch(into: &events) }
        self = SSEReader(maxEventBytes: maxEventBytes)
        return events
    }

    private mutating func fail() {
        self = SSEReader(maxEventBytes: maxEventBytes)
        failed = true
    }

    private mutating func consume(_ bytes: UnsafeBufferPointer<UInt8>, into events: inout [SSEEvent]) -> Result<Void, Error> {
        var start = 0
        if let seen = byteOrderMarkSeen {
            var matched = seen
            while matched < 3, start < bytes.count, bytes[start] == Self.byteOrderMark[matched] { matched += 1; start += 1 }
            if matched == 3 {
                byteOrderMarkSeen = nil
            } else if start == bytes.count {
                byteOrderMarkSeen = matched   // still a possible BOM: wait for more bytes
                return .success(())
            } else {
                // Not a BOM after all: the bytes held back from earlier chunks and this whole chunk are content.
                byteOrderMarkSeen = nil
                start = 0
                let heldBack = Self.byteOrderMark.withUnsafeBufferPointer { consumeLines(UnsafeBufferPointer(rebasing: $0[..<seen]), into: &events) }
                if let failure = heldBack { return .failure(failure) }
            }
        }
        if let failure = consumeLines(UnsafeBufferPointer(rebasing: bytes[start...]), into: &events) { return .failure(failure) }
        return .success(())
    }

    private mutating func consumeLines(_ bytes: UnsafeBufferPointer<UInt8>, into events: inout [SSEEvent]) -> Error? {
        var index = 0
        let end = bytes.count
        while index < end {
            if afterCarriageReturn {
                afterCarriageReturn = false
                if bytes[index] == Self.lineFeed { index += 1; continue }
            }
            var lineEnd = index
            while lineEnd < end, bytes[lineEnd] != Self.lineFeed, bytes[lineEnd] != Self.carriageReturn { lineEnd += 1 }
            if lineEnd > index, !skippingComment {
                if line.isEmpty, bytes[index] == Self.colon {
                    skippingComment = true
                } else {
                    if data.count + line.count + (lineEnd - index) > maxEventBytes { return .eventTooLarge }
                    line.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[index..<lineEnd]))
                }
            }
            if lineEnd == end { break }
            afterCarriageReturn = bytes[lineEnd] == Self.carriageReturn
            endLine(into: &events)
            if data.count > maxEventBytes { return .eventTooLarge }
            index = lineEnd + 1
        }
        return nil
    }

    /// Interprets one complete line (§9.2.6): blank dispatches, otherwise `field:value`.
    private mutating func endLine(into events: inout [SSEEvent]) {
        defer { line.removeAll(keepingCapacity: line.count <= 64 << 10) }
        if skippingComment { skippingComment = false; return }
        if line.isEmpty { dispatch(into: &events); return }
        let colonIndex = line.firstIndex(of: Self.colon) ?? line.endIndex
        var valueStart = colonIndex < line.endIndex ? colonIndex + 1 : colonIndex
        if valueStart < line.endIndex, line[valueStart] == Self.space { valueStart += 1 }
        let name = line[..<colonIndex], value = line[valueStart...]
        switch name.count {
        case 4 where name.elementsEqual("data".utf8):
            if hasData { data.append(Self.lineFeed) }
            data.append(contentsOf: value)
            hasData = true
        case 5 where name.elementsEqual("event".utf8):
            eventType = value.isEmpty ? nil : String(decoding: value, as: UTF8.self)
        case 2 where name.elementsEqual("id".utf8):
            if !value.contains(0) { lastEventID = value.isEmpty ? nil : String(decoding: value, as: UTF8.self) }
        default:
            break   // `retry` (reconnection is not ours to do) and unknown fields are ignored
        }
    }

    private mutating func dispatch(into events: inout [SSEEvent]) {
        if hasData {
            events.append(SSEEvent(event: eventType, data: String(decoding: data, as: UTF8.self), id: lastEventID))
        }
        data.removeAll(keepingCapacity: data.count <= 64 << 10)
        hasData = false
        eventType = nil
    }
}
