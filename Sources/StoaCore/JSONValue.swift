import Foundation

/// A JSON document that keeps object key order and tells `null` from a missing key,
/// so response bodies match Better Auth's byte for byte and request bodies can be
/// validated field by field with Better Auth's messages.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)):
            // JSON objects are unordered: equal when they hold the same keys and values.
            guard a.count == b.count else { return false }
            return a.allSatisfy { pair in b.contains { $0.0 == pair.0 && $0.1 == pair.1 } }
        default: return false
        }
    }

    /// The value under `key` when this is an object.
    public subscript(_ key: String) -> JSONValue? {
        guard case .object(let pairs) = self else { return nil }
        return pairs.first(where: { $0.0 == key })?.1
    }

    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var isObject: Bool { if case .object = self { return true } else { return false } }

    /// The name JavaScript's `typeof`-style messages use ("string", "number", …).
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    public static func date(_ date: Date) -> JSONValue { .string(ISO8601.string(from: date)) }
    public static func optional(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }

    /// Compact JSON text, keys in insertion order.
    public var serialized: String { String(decoding: serializedBytes, as: UTF8.self) }

    /// Compact JSON as UTF-8 bytes (what a response body needs, without a String in between).
    public var serializedBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(to: &out)
        return out
    }

    public func write(to out: inout [UInt8]) {
        switch self {
        case .null: out += "null".utf8
        case .bool(let b): out += (b ? "true" : "false").utf8
        case .number(let n):
            if n.isFinite, n == n.rounded(), abs(n) < 1e15 { out += String(Int64(n)).utf8 } else if n.isFinite { out += String(n).utf8 } else { out += "null".utf8 }
        case .string(let s): JSONValue.writeString(s, to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                item.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let pairs):
            out.append(UInt8(ascii: "{"))
            for (i, pair) in pairs.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONValue.writeString(pair.0, to: &out)
                out.append(UInt8(ascii: ":"))
                pair.1.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Writes `s` as a JSON string. Runs of bytes that need no escape are copied whole; `<`,
    /// `>`, U+2028 and U+2029 are escaped too, so the output is safe inside HTML and JavaScript.
    /// Whether any of eight bytes may need escaping: a control character, `"`, `\\`, `<`, `>`
    /// or a non-ASCII byte (checked one by one then). Bit tricks, no branches per byte.
    @inline(__always)
    static func needsEscape(_ x: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, high: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func hasZero(_ v: UInt64) -> UInt64 { (v &- ones) & ~v & high }
        let below = (x &- ones &* 0x20) & ~x & high
        let special = hasZero(x ^ (ones &* 0x22)) | hasZero(x ^ (ones &* 0x5C)) | hasZero(x ^ (ones &* 0x3C)) | hasZero(x ^ (ones &* 0x3E))
        return (below | special | (x & high)) != 0
    }

    public static func writeString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { bytes in
            var runStart = 0
            var i = 0
            func escape(_ text: StaticString) {
                text.withUTF8Buffer { out.append(contentsOf: $0) }
            }
            while i < bytes.count {
                // Eight plain ASCII bytes at a time (most of a message is).
                if i + 8 <= bytes.count, let base = bytes.baseAddress,
                   !Self.needsEscape(UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)) {
                    i += 8
                    continue
                }
                let byte = bytes[i]
                var width = 1
                switch byte {
                case 0x22, 0x5C, 0x0A, 0x0D, 0x09, 0x3C, 0x3E, 0x00..<0x20: break
                case 0xE2 where i + 2 < bytes.count && bytes[i + 1] == 0x80 && (bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9):
                    width = 3   // line/paragraph separators end lines in JavaScript
                default:
                    i += 1
                    continue
                }
                if runStart < i { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i])) }
                switch byte {
                case 0x22: escape("\\\"")
                case 0x5C: escape("\\\\")
                case 0x0A: escape("\\n")
                case 0x0D: escape("\\r")
                case 0x09: escape("\\t")
                case 0x3C: escape("\\u003c")
                case 0x3E: escape("\\u003e")
                case 0xE2: escape(bytes[i + 2] == 0xA8 ? "\\u2028" : "\\u2029")
                default:
                    escape("\\u00")
                    out.append(byte < 0x10 ? UInt8(ascii: "0") : UInt8(ascii: "1"))
                    let low = byte & 0x0f
                    out.append(low < 10 ? UInt8(ascii: "0") + low : UInt8(ascii: "a") + low - 10)
                }
                i += width
                runStart = i
            }
            if runStart < bytes.count { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...])) }
        }
        out.append(UInt8(ascii: "\""))
    }
}
