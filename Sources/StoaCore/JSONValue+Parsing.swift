import Foundation

/// How much a parse may take in: bounds that keep hostile input cheap. Request bodies are read
/// with ``request``; text Stoa wrote itself (saved tool calls, provider answers) with ``trusted``.
public struct JSONLimits: Sendable, Equatable {
    /// The deepest nesting of arrays and objects.
    public var maxDepth: Int
    /// The most members one object may have (after merging repeated keys, every one counts).
    public var maxMembers: Int
    /// The most elements one array may have.
    public var maxElements: Int
    /// The longest string (key or value), in UTF-8 bytes as written (escapes counted as written).
    public var maxStringBytes: Int

    public init(maxDepth: Int, maxMembers: Int, maxElements: Int, maxStringBytes: Int) {
        self.maxDepth = maxDepth
        self.maxMembers = maxMembers
        self.maxElements = maxElements
        self.maxStringBytes = maxStringBytes
    }

    /// Request bodies: 32 levels, 1,000 members per object, 10,000 elements per array, strings of 256 KiB.
    public static let request = JSONLimits(maxDepth: 32, maxMembers: 1_000, maxElements: 10_000, maxStringBytes: 256 << 10)
    /// Stoa's own stored JSON and providers' answers: only the depth is bounded (the stack).
    public static let trusted = JSONLimits(maxDepth: 512, maxMembers: .max, maxElements: .max, maxStringBytes: .max)
}

/// Why a parse failed: a message fit for a `400` answer (no input is echoed).
public enum JSONParseError: Error, Equatable, CustomStringConvertible {
    case invalid(offset: Int)
    case tooDeep(limit: Int)
    case tooManyMembers(limit: Int)
    case tooManyElements(limit: Int)
    case stringTooLong(limit: Int)

    public var description: String {
        switch self {
        case .invalid(let offset): return "the body is not valid JSON (at byte \(offset))"
        case .tooDeep(let limit): return "the body nests arrays and objects deeper than \(limit) levels"
        case .tooManyMembers(let limit): return "an object in the body has more than \(limit) members"
        case .tooManyElements(let limit): return "an array in the body has more than \(limit) elements"
        case .stringTooLong(let limit): return "a string in the body is longer than \(limit) bytes"
        }
    }
}

extension JSONValue {
    /// Parses JSON text (RFC 8259); `nil` when it is not valid JSON.
    ///
    /// A hand-written parser over the UTF-8 bytes: about ten times faster than `JSONDecoder` with
    /// `Decodable` (every chat turn reads its context's tool calls back from JSON text), and it
    /// keeps object keys in document order. A repeated key keeps its first position and its last
    /// value, as `JSON.parse` does. Any value may stand at the top level; a UTF-8 byte-order mark
    /// is skipped; numbers beyond `Double`'s range are refused; a lone UTF-16 surrogate in a `\u`
    /// escape becomes U+FFFD. Time is linear in the input (repeated keys are found through a
    /// hash table once an object grows past a few members).
    public static func parse<Bytes: Collection>(_ bytes: Bytes, limits: JSONLimits = .trusted) -> JSONValue? where Bytes.Element == UInt8 {
        try? parseOrThrow(bytes, limits: limits)
    }

    /// Parses JSON text held in a `String`.
    public static func parse(_ text: String) -> JSONValue? {
        var text = text
        return text.withUTF8 { try? parse(buffer: $0, limits: .trusted) }
    }

    /// Parses JSON text, saying why it was refused.
    public static func parseOrThrow<Bytes: Collection>(_ bytes: Bytes, limits: JSONLimits) throws(JSONParseError) -> JSONValue where Bytes.Element == UInt8 {
        let parsed: Result<JSONValue, JSONParseError>? = bytes.withContiguousStorageIfAvailable { buffer in
            do throws(JSONParseError) { return .success(try parse(buffer: buffer, limits: limits)) } catch { return .failure(error) }
        }
        if let parsed { return try parsed.get() }
        return try Array(bytes).withUnsafeBufferPointer { buffer throws(JSONParseError) in try parse(buffer: buffer, limits: limits) }
    }

    /// The deepest nesting of arrays and objects ``parse(_:limits:)`` accepts by default.
    public static let maxDepth = JSONLimits.trusted.maxDepth

    static func parse(buffer: UnsafeBufferPointer<UInt8>, limits: JSONLimits) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(bytes: buffer, limits: limits)
        if buffer.count >= 3, buffer[0] == 0xEF, buffer[1] == 0xBB, buffer[2] == 0xBF { parser.index = 3 }
        do {
            let value = try parser.value(depth: 0)
            parser.skipWhitespace()
            guard parser.index == buffer.count else { throw JSONParser.Invalid() }
            return value
        } catch {
            throw parser.failure ?? .invalid(offset: parser.index)
        }
    }
}

/// The state of one parse: a position in the bytes. Recursive descent, one byte of look-ahead.
private struct JSONParser {
    struct Invalid: Error {}

    let bytes: UnsafeBufferPointer<UInt8>
    let limits: JSONLimits
    var index = 0
    /// Set when a limit (rather than the syntax) ended the parse.
    var failure: JSONParseError?

    init(bytes: UnsafeBufferPointer<UInt8>, limits: JSONLimits) {
        self.bytes = bytes
        self.limits = limits
    }

    mutating func refuse(_ error: JSONParseError) -> Invalid {
        failure = error
        return Invalid()
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    mutating func value(depth: Int) throws(Invalid) -> JSONValue {
        skipWhitespace()
        guard index < bytes.count else { throw Invalid() }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw Invalid()
        }
    }

    mutating func literal(_ word: StaticString) throws(Invalid) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw Invalid() }
        let start = word.utf8Start
        for offset in 0..<count where bytes[index + offset] != start[offset] { throw Invalid() }
        index += count
    }

    mutating func object(depth: Int) throws(Invalid) -> JSONValue {
        guard depth <= limits.maxDepth else { throw refuse(.tooDeep(limit: limits.maxDepth)) }
        index += 1   // {
        var pairs: [(String, JSONValue)] = []
        var positions: [String: Int] = [:]   // key → index in `pairs`, once there are more than a few
        var members = 0
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(pairs) }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw Invalid() }
            let key = try string()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw Invalid() }
            index += 1
            let item = try value(depth: depth)
            members += 1
            guard members <= limits.maxMembers else { throw refuse(.tooManyMembers(limit: limits.maxMembers)) }
            if let existing = position(of: key, in: pairs, index: &positions) { pairs[existing].1 = item } else { pairs.append((key, item)) }
            skipWhitespace()
            guard index < bytes.count else { throw Invalid() }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"): index += 1; return .object(pairs)
            default: throw Invalid()
            }
        }
    }

    /// Where `key` already stands in `pairs`: a linear look for small objects, a hash table
    /// (built on first need) for larger ones, so many keys cost linear time, not quadratic.
    func position(of key: String, in pairs: [(String, JSONValue)], index table: inout [String: Int]) -> Int? {
        let small = 8
        if pairs.count <= small { return pairs.firstIndex(where: { $0.0 == key }) }
        if table.isEmpty { for (i, pair) in pairs.enumerated() { table[pair.0] = i } }
        if let found = table[key] { return found }
        table[key] = pairs.count   // it is appended next
        return nil
    }

    mutating func array(depth: Int) throws(Invalid) -> JSONValue {
        guard depth <= limits.maxDepth else { throw refuse(.tooDeep(limit: limits.maxDepth)) }
        index += 1   // [
        var items: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
        while true {
            guard items.count < limits.maxElements else { throw refuse(.tooManyElements(limit: limits.maxElements)) }
            items.append(try value(depth: depth))
            skipWhitespace()
            guard index < bytes.count else { throw Invalid() }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"): index += 1; return .array(items)
            default: throw Invalid()
            }
        }
    }

    /// A string starting at the opening quote. Runs without escapes are copied as they stand
    /// (checked as UTF-8); escapes are decoded one by one.
    mutating func string() throws(Invalid) -> String {
        index += 1   // "
        let start = index
        var runStart = index
        var result: String? = nil   // only built when the string holds an escape
        while index < bytes.count {
            if index - start > limits.maxStringBytes { throw refuse(.stringTooLong(limit: limits.maxStringBytes)) }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let run = try text(runStart..<index)
                index += 1
                guard var built = result else { return run }
                built += run
                return built
            }
            if byte < 0x20 { throw Invalid() }
            if byte == UInt8(ascii: "\\") {
                var built = result ?? ""
                built += try text(runStart..<index)
                index += 1
                guard index < bytes.count else { throw Invalid() }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""): built += "\""
                case UInt8(ascii: "\\"): built += "\\"
                case UInt8(ascii: "/"): built += "/"
                case UInt8(ascii: "b"): built += "\u{08}"
                case UInt8(ascii: "f"): built += "\u{0C}"
                case UInt8(ascii: "n"): built += "\n"
                case UInt8(ascii: "r"): built += "\r"
                case UInt8(ascii: "t"): built += "\t"
                case UInt8(ascii: "u"): built.unicodeScalars.append(try unicodeEscape())
                default: throw Invalid()
                }
                result = built
                runStart = index
                continue
            }
            index += 1
        }
        throw Invalid()   // no closing quote
    }

    func text(_ range: Range<Int>) throws(Invalid) -> String {
        if range.isEmpty { return "" }
        guard let text = String(validating: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) else { throw Invalid() }
        return text
    }

    /// The scalar of `\uXXXX` (the `\u` already read), joining a surrogate pair written as two escapes.
    mutating func unicodeEscape() throws(Invalid) -> Unicode.Scalar {
        let first = try hex4()
        if (0xD800...0xDBFF).contains(first), index + 6 <= bytes.count,
           bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
            let saved = index
            index += 2
            let second = try hex4()
            if (0xDC00...0xDFFF).contains(second) {
                return Unicode.Scalar(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)) ?? "\u{FFFD}"
            }
            index = saved   // not a pair: the second escape is read on its own
        }
        return Unicode.Scalar(first) ?? "\u{FFFD}"
    }

    mutating func hex4() throws(Invalid) -> UInt32 {
        guard index + 4 <= bytes.count else { throw Invalid() }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw Invalid()
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`; whole numbers of up to 15 digits are
    /// converted exactly without `strtod`.
    mutating func number() throws(Invalid) -> Double {
        let start = index
        var negative = false
        if bytes[index] == UInt8(ascii: "-") { negative = true; index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw Invalid() }
        var integer: Int64 = 0
        var digits = 0
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            digits = 1
        } else {
            while index < bytes.count, isDigit(bytes[index]) {
                if digits < 18 { integer = integer * 10 + Int64(bytes[index] - UInt8(ascii: "0")) }
                digits += 1
                index += 1
            }
        }
        var simple = true
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            simple = false
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw Invalid() }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            simple = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw Invalid() }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if simple && digits <= 15 {
            return negative ? -Double(integer) : Double(integer)
        }
        guard let text = String(validating: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self),
              let value = Double(text), value.isFinite else { throw Invalid() }
        return value
    }

    func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}
