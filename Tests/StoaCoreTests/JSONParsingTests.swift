import Foundation
import StoaCore
import Testing

@Suite struct JSONParsingTests {
    @Test("values of every kind, keys in document order") func values() throws {
        let text = #" {"b": [1, -2.5, 1e3, 0, -0.25E-2, true, false, null], "a": {"nested": "x"}, "s": "q\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"} "#
        let value = try #require(JSONValue.parse(text))
        guard case .object(let pairs) = value else { Issue.record("not an object"); return }
        #expect(pairs.map(\.0) == ["b", "a", "s"])
        #expect(value["b"] == .array([.number(1), .number(-2.5), .number(1000), .number(0), .number(-0.0025), .bool(true), .bool(false), .null]))
        #expect(value["a"]?["nested"] == .string("x"))
        #expect(value["s"] == .string("q\"\\/\u{08}\u{0C}\n\r\t\u{E9}\u{1F600}"))
    }

    @Test("top-level scalars, a byte-order mark, big and precise numbers") func scalars() {
        #expect(JSONValue.parse("42") == .number(42))
        #expect(JSONValue.parse(" \"x\" ") == .string("x"))
        #expect(JSONValue.parse("null") == .null)
        #expect(JSONValue.parse([0xEF, 0xBB, 0xBF] + Array("[1]".utf8)) == .array([.number(1)]))
        #expect(JSONValue.parse("12345678901234567890") == .number(12345678901234567890))
        #expect(JSONValue.parse("0.1") == .number(0.1))
        #expect(JSONValue.parse("-9007199254740993") == .number(-9007199254740993))
    }

    @Test("a repeated key keeps its first place and its last value") func duplicates() throws {
        let value = try #require(JSONValue.parse(#"{"a":1,"b":2,"a":3}"#))
        guard case .object(let pairs) = value else { Issue.record("not an object"); return }
        #expect(pairs.map(\.0) == ["a", "b"])
        #expect(value["a"] == .number(3))
    }

    @Test("lone surrogates become U+FFFD; raw UTF-8 passes through") func unicode() {
        #expect(JSONValue.parse(#""\ud800x""#) == .string("\u{FFFD}x"))
        #expect(JSONValue.parse(#""\udc00\ud83d\ude00""#) == .string("\u{FFFD}\u{1F600}"))
        #expect(JSONValue.parse("\"héllo – 😀\"") == .string("héllo – 😀"))
    }

    @Test("invalid JSON is refused", arguments: [
        "", " ", "{", "}", "[1,]", "[,1]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "[1 2]", "01", "1.", ".5", "1e", "-", "+1",
        "tru", "nul", "True", "\"abc", "\"a\\x\"", "\"\\u12g4\"", "\"tab\there\"", "[1]x", "{} {}", "NaN", "Infinity", "1e400",
        "'single'", "[\"\u{0}\"]",
    ]) func invalid(text: String) {
        #expect(JSONValue.parse(text) == nil)
    }

    @Test("invalid UTF-8 and overly deep nesting are refused") func limits() {
        #expect(JSONValue.parse([UInt8(ascii: "\""), 0xC3, 0x28, UInt8(ascii: "\"")]) == nil)
        let deep = String(repeating: "[", count: JSONValue.maxDepth) + String(repeating: "]", count: JSONValue.maxDepth)
        #expect(JSONValue.parse(deep) != nil)
        let tooDeep = String(repeating: "[", count: JSONValue.maxDepth + 1) + String(repeating: "]", count: JSONValue.maxDepth + 1)
        #expect(JSONValue.parse(tooDeep) == nil)
        #expect(JSONValue.parse(String(repeating: "[", count: 100_000)) == nil)
    }

    @Test("agrees with Foundation on generated documents, and round-trips through serialized") func agreesWithFoundation() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let value = Self.randomValue(depth: 0, using: &generator)
            let text = value.serialized
            let parsed = try #require(JSONValue.parse(text), "\(text)")
            #expect(parsed == value)
            let foundation = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
            let again = try JSONSerialization.data(withJSONObject: foundation, options: [.fragmentsAllowed])
            #expect(JSONValue.parse(again) == value)
        }
    }

    @Test("strings are escaped exactly: quotes, backslashes, control characters, <, >, U+2028/9; the rest is copied", arguments: [
        ("plain", #""plain""#),
        ("", #""""#),
        ("say \"hi\"", #""say \"hi\"""#),
        ("back\\slash", #""back\\slash""#),
        ("line\nbreak\r\ttab", #""line\nbreak\r\ttab""#),
        ("\u{0}\u{1}\u{1f}", #""\u0000\u0001\u001f""#),
        ("<script>", #""\u003cscript\u003e""#),
        ("a\u{2028}b\u{2029}c", #""a\u2028b\u2029c""#),
        ("é–😀 \u{2027}\u{202a}", "\"é–😀 \u{2027}\u{202a}\""),
        ("\"", #""\"""#),
        ("ends with <", #""ends with \u003c""#),
    ])
    func escaping(raw: String, expected: String) {
        #expect(JSONValue.string(raw).serialized == expected)
        #expect(JSONValue.parse(expected) == .string(raw))
    }

    static func randomValue(depth: Int, using generator: inout SystemRandomNumberGenerator) -> JSONValue {
        let pick = Int.random(in: 0..<(depth > 3 ? 4 : 6), using: &generator)
        switch pick {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &generator))
        case 2: return .number([0, 1, -7, 3.25, 1e-7, 123456789012, -0.5][Int.random(in: 0..<7, using: &generator)])
        case 3:
            let alphabet = Array("aZ9 \"\\/\n\t<>é–😀\u{1}\u{2028}")
            return .string(String((0..<Int.random(in: 0...12, using: &generator)).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }))
        case 4: return .array((0..<Int.random(in: 0...4, using: &generator)).map { _ in randomValue(depth: depth + 1, using: &generator) })
        default:
            return .object((0..<Int.random(in: 0...4, using: &generator)).map { i in ("k\(i)", randomValue(depth: depth + 1, using: &generator)) })
        }
    }
}
