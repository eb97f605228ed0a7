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
    public var serialized: String {
        var out = ""
        write(to: &out)
        return out
    }

    public func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n):
            if n.isFinite, n == n.rounded(), abs(n) < 1e15 { out += String(Int64(n)) } else if n.isFinite { out += String(n) } else { out += "null" }
        case .string(let s): JSONValue.writeString(s, to: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case .object(let pairs):
            out += "{"
            for (i, pair) in pairs.enumerated() {
                if i > 0 { out += "," }
                JSONValue.writeString(pair.0, to: &out)
                out += ":"
                pair.1.write(to: &out)
            }
            out += "}"
        }
    }

    /// Writes `s` as a JSON string. Runs of bytes that need no escape are copied whole; `<`,
    /// `>`, U+2028 and U+2029 are escaped too, so the output is safe inside HTML and JavaScript.
    static func writeString(_ s: String, to out: inout String) {
        out += "\""
        var s = s
        let needsNoEscape = s.withUTF8 { bytes -> Bool in
            var runStart = 0
            var i = 0
            while i < bytes.count {
                let byte = bytes[i]
                var width = 1
                let escape: String
                switch byte {
                case 0x22: escape = "\\\""
                case 0x5C: escape = "\\\\"
                case 0x0A: escape = "\\n"
                case 0x0D: escape = "\\r"
                case 0x09: escape = "\\t"
                case 0x3C: escape = "\\u003c"
                case 0x3E: escape = "\\u003e"
                case 0x00..<0x20: escape = "\\u00" + (byte < 0x10 ? "0" : "1") + String(byte & 0x0f, radix: 16)
                case 0xE2 where i + 2 < bytes.count && bytes[i + 1] == 0x80 && (bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9):
                    escape = bytes[i + 2] == 0xA8 ? "\\u2028" : "\\u2029"   // line/paragraph separators end lines in JavaScript
                    width = 3
                default:
                    i += 1
                    continue
                }
                if runStart < i { out += String(decoding: UnsafeBufferPointer(rebasing: bytes[runStart..<i]), as: UTF8.self) }
                out += escape
                i += width
                runStart = i
            }
            if runStart == 0 { return true }   // nothing escaped: append the string itself, no copy
            if runStart < bytes.count { out += String(decoding: UnsafeBufferPointer(rebasing: bytes[runStart...]), as: UTF8.self) }
            return false
        }
        if needsNoEscape { out += s }
        out += "\""
    }
}
