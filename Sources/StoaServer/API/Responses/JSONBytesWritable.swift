import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import StoaCore

/// A response that writes its own JSON bytes. The busiest lists (`GET /api/user/history`, a
/// conversation's messages) skip ``OrderedJSONEncoder``'s tree of nodes and the ``JSONValue``
/// built from it: about an eighth of such a request's CPU time under load.
///
/// The bytes are the ones the type's `Encodable` conformance gives through
/// ``OrderedJSONEncoder`` (same keys, order and values); `ResponseEncodingTests` holds the two
/// to each other.
protocol JSONBytesWritable {
    func writeJSON(to out: inout [UInt8])
}

extension MessageResponse: JSONBytesWritable {
    func writeJSON(to out: inout [UInt8]) {
        out += #"{"id":"#.utf8
        JSONValue.writeString(id, to: &out)
        out += #","conversationId":"#.utf8
        JSONValue.writeString(conversationId, to: &out)
        out += #","role":"#.utf8
        JSONValue.writeString(role, to: &out)
        out += #","content":"#.utf8
        JSONValue.writeString(content, to: &out)
        out += #","html":"#.utf8
        JSONValue.writeString(html, to: &out)
        out += #","sources":"#.utf8
        sources.write(to: &out)
        out += #","toolCalls":"#.utf8
        toolCalls.write(to: &out)
        out += #","createdAt":"#.utf8
        out.append(UInt8(ascii: "\""))
        ISO8601.write(createdAt, to: &out)   // digits and -:.TZ only: nothing to escape
        out.append(UInt8(ascii: "\""))
        if truncated { out += #","truncated":true"#.utf8 }
        out.append(UInt8(ascii: "}"))
    }
}

extension PageResponse: JSONBytesWritable where Item: JSONBytesWritable {
    func writeJSON(to out: inout [UInt8]) {
        out += #"{"items":["#.utf8
        for (i, item) in items.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            item.writeJSON(to: &out)
        }
        out += #"],"nextCursor":"#.utf8
        if let nextCursor { JSONValue.writeString(nextCursor, to: &out) } else { out += "null".utf8 }
        out.append(UInt8(ascii: "}"))
    }
}

extension JSONBytesWritable {
    /// The JSON text (for tests and logs).
    var jsonBytes: [UInt8] {
        var out: [UInt8] = []
        writeJSON(to: &out)
        return out
    }
}

extension Response {
    /// A JSON response written by the value itself (``JSONBytesWritable``).
    static func json(writing value: some JSONBytesWritable, status: HTTPResponse.Status = .ok) -> Response {
        json(bytes: .json(writing: value), status: status)
    }

    /// A JSON response of bytes written before (``ByteBuffer/json(writing:)``).
    static func json(bytes: ByteBuffer, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: bytes))
    }
}

extension ByteBuffer {
    /// The JSON text of a value that writes its own (``JSONBytesWritable``).
    static func json(writing value: some JSONBytesWritable) -> ByteBuffer {
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        value.writeJSON(to: &out)
        return ByteBuffer(bytes: out)
    }
}
