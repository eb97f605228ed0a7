// libFuzzer target for SSEReader (Sources/Assistant/SSEReader.swift), compiled into one module with it:
//   swiftc -sanitize=fuzzer -parse-as-library -O Tests/Fuzz/sse/main.swift Sources/Assistant/SSEReader.swift -o .build-fuzz/sse
// or `scripts/fuzz --only sse`. The input is the stream; its first byte also picks a split point.
// Traps if feeding the stream whole, split in two, or one byte at a time disagree with each other
// or with `reference` (a plain transcription of WHATWG HTML §9.2 over the decoded text), or if a
// small size limit changes the events of a stream it does not reject.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let stream = Array(UnsafeBufferPointer(start: data, count: size))
    let cut = size == 0 ? 0 : Int(stream[0]) * (size + 1) / 256
    let expected = reference(stream)

    let whole = read([stream[...]])
    let split = read([stream[..<cut], stream[cut...]])
    let byByte = read(stream.indices.map { stream[$0...$0] })
    check(whole, expected, "whole stream vs reference")
    check(split, expected, "split at \(cut) vs reference")
    check(byByte, expected, "one byte at a time vs reference")

    // A small limit either rejects the stream (whatever the split) or changes nothing.
    let limit = 64
    let limitedWhole = read([stream[...]], maxEventBytes: limit)
    let limitedSplit = read([stream[..<cut], stream[cut...]], maxEventBytes: limit)
    if (limitedWhole == nil) != (limitedSplit == nil) { fatalError("size limit: whole threw \(limitedWhole == nil), split threw \(limitedSplit == nil)") }
    if limitedWhole != nil { check(limitedWhole, expected, "limited reader vs reference") }
    if limitedSplit != nil { check(limitedSplit, expected, "limited reader, split, vs reference") }
    if limitedWhole == nil, size <= limit { fatalError("eventTooLarge on a \(size)-byte stream with a \(limit)-byte limit") }

    // finish() leaves the reader ready for a fresh stream.
    var reader = SSEReader()
    _ = try? reader.feed(stream)
    _ = reader.finish()
    check(try? reader.feed(Array("data: again\n\n".utf8)), [SSEEvent(data: "again")], "feed after finish()")
    return 0
}

/// Feeds the chunks and finishes; nil if the reader threw.
func read(_ chunks: [ArraySlice<UInt8>], maxEventBytes: Int = 4 << 20) -> [SSEEvent]? {
    var reader = SSEReader(maxEventBytes: maxEventBytes)
    var events: [SSEEvent] = []
    do {
        for chunk in chunks { events += try reader.feed(chunk) }
    } catch {
        return nil
    }
    return events + reader.finish()
}

func check(_ actual: [SSEEvent]?, _ expected: [SSEEvent], _ what: String) {
    guard let actual else { fatalError("\(what): threw eventTooLarge under the default limit") }
    // Byte for byte: String's == would accept canonically equivalent but different text.
    func bytes(_ events: [SSEEvent]) -> [[UInt8]?] { events.flatMap { [$0.event.map { Array($0.utf8) }, Array($0.data.utf8), $0.id.map { Array($0.utf8) }] } }
    if bytes(actual) != bytes(expected) { fatalError("\(what): got \(actual), expected \(expected)") }
}

/// The spec's algorithm, written for clarity rather than speed: decode the whole stream (dropping a
/// leading BOM), split into lines on CRLF/LF/CR, interpret each line; at the end, read an
/// unterminated last line and dispatch pending data (the reader's lenient `finish`).
func reference(_ bytes: [UInt8]) -> [SSEEvent] {
    let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? bytes.dropFirst(3) : bytes[...]
    var lines: [[Unicode.Scalar]] = [], current: [Unicode.Scalar] = [], previousWasCR = false
    for scalar in String(decoding: body, as: UTF8.self).unicodeScalars {
        defer { previousWasCR = scalar == "\r" }
        if scalar == "\n", previousWasCR { continue }
        if scalar == "\r" || scalar == "\n" { lines.append(current); current = [] } else { current.append(scalar) }
    }
    if !current.isEmpty { lines.append(current) }

    var events: [SSEEvent] = [], dataBuffer = "", eventType = "", lastEventID = ""
    func dispatch() {
        defer { dataBuffer = ""; eventType = "" }
        guard !dataBuffer.isEmpty else { return }
        if dataBuffer.hasSuffix("\n") { dataBuffer.removeLast() }
        events.append(SSEEvent(event: eventType.isEmpty ? nil : eventType, data: dataBuffer, id: lastEventID.isEmpty ? nil : lastEventID))
    }
    for line in lines {
        if line.isEmpty { dispatch(); continue }
        if line.first == ":" { continue }
        let colon = line.firstIndex(of: ":") ?? line.endIndex
        var value = colon < line.endIndex ? line[(colon + 1)...] : []
        if value.first == " " { value = value.dropFirst() }
        var text = ""
        text.unicodeScalars.append(contentsOf: value)
        let name = line[..<colon]   // compared scalar by scalar, as the spec does
        if name.elementsEqual("data".unicodeScalars) { dataBuffer += text + "\n" }
        if name.elementsEqual("event".unicodeScalars) { eventType = text }
        if name.elementsEqual("id".unicodeScalars), !value.contains("\u{0}") { lastEventID = text }
    }
    dispatch()
    return events
}
