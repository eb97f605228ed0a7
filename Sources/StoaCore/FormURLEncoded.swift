import Foundation

/// `application/x-www-form-urlencoded` bodies, parsed as the WHATWG URL standard says: fields
/// split on `&`, name and value on the first `=`, `+` is a space, `%XX` a byte, and anything
/// else (a stray `%`, `%zz`, spaces, `#`, `<`, invalid UTF-8) kept as it stands (invalid UTF-8
/// becomes U+FFFD). It never fails on odd bytes and never traps; only the field count is
/// bounded. A repeated name keeps its first position and its last value, like a JSON object.
public enum FormURLEncoded {
    /// Refused when the body has more fields than `maxFields`.
    public struct TooManyFields: Error, Equatable {
        public let limit: Int
        public init(limit: Int) { self.limit = limit }
    }

    /// The fields of `bytes` in order. Linear in the body's size.
    public static func parse<Bytes: Collection>(_ bytes: Bytes, maxFields: Int = 1_000) throws(TooManyFields) -> [(String, String)]
        where Bytes.Element == UInt8 {
        var fields: [(String, String)] = []
        var positions: [String: Int] = [:]
        var count = 0
        for field in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            count += 1
            guard count <= maxFields else { throw TooManyFields(limit: maxFields) }
            let equals = field.firstIndex(of: UInt8(ascii: "="))
            let name = decode(field[field.startIndex..<(equals ?? field.endIndex)])
            let value = equals.map { decode(field[field.index(after: $0)...]) } ?? ""
            if let existing = positions[name] {
                fields[existing].1 = value
            } else {
                positions[name] = fields.count
                fields.append((name, value))
            }
        }
        return fields
    }

    /// Percent-decodes one name or value (`+` → space) and reads it as UTF-8, lossily.
    static func decode<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%") {
                let first = bytes.index(after: index)
                if first != bytes.endIndex, let high = hexValue(bytes[first]) {
                    let second = bytes.index(after: first)
                    if second != bytes.endIndex, let low = hexValue(bytes[second]) {
                        out.append(high << 4 | low)
                        index = bytes.index(after: second)
                        continue
                    }
                }
                out.append(byte)   // not an escape: kept as written
            } else {
                out.append(byte)
            }
            index = bytes.index(after: index)
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
