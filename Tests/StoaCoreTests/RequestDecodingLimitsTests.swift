import Foundation
import StoaCore
import Testing

/// Request bodies are decoded in linear time within ``JSONLimits/request``; form bodies never trap.
@Suite struct RequestDecodingLimitsTests {
    static func object(keys: Int, distinct: Bool) -> [UInt8] {
        var text = "{"
        for i in 0..<keys { text += (i == 0 ? "" : ",") + (distinct ? "\"k\(i)\":1" : "\"a\":\(i)") }
        return Array((text + "}").utf8)
    }

    @Test("many distinct keys: parsed (trusted), refused past the member limit (request)") func manyKeys() throws {
        let body = Self.object(keys: 130_000, distinct: true)
        guard case .object(let pairs)? = JSONValue.parse(body) else { Issue.record("not parsed"); return }
        #expect(pairs.count == 130_000)
        #expect(pairs[129_999].0 == "k129999")
        #expect(throws: JSONParseError.tooManyMembers(limit: 1_000)) { try JSONValue.parseOrThrow(body, limits: .request) }
        let fits = Self.object(keys: 1_000, distinct: true)
        #expect(try JSONValue.parseOrThrow(fits, limits: .request).isObject)
    }

    @Test("repeated keys keep the first position and the last value, however many") func repeatedKeys() throws {
        guard case .object(let pairs)? = JSONValue.parse(Self.object(keys: 130_000, distinct: false)) else { Issue.record("not parsed"); return }
        #expect(pairs.count == 1)
        #expect(pairs[0].1 == .number(129_999))
        let mixed = JSONValue.parse(#"{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"a":11,"j":12,"k":13}"#)
        guard case .object(let kept)? = mixed else { Issue.record("not parsed"); return }
        #expect(kept.map(\.0) == ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"])
        #expect(kept[0].1 == .number(11))
        #expect(kept[9].1 == .number(12))
    }

    @Test("depth, array size and string length limits, each with its own message") func limits() throws {
        let deep = Array((String(repeating: "[", count: 33) + String(repeating: "]", count: 33)).utf8)
        #expect(throws: JSONParseError.tooDeep(limit: 32)) { try JSONValue.parseOrThrow(deep, limits: .request) }
        let veryDeep = Array(String(repeating: "{\"a\":", count: 100_000).utf8)
        #expect(throws: JSONParseError.tooDeep(limit: 32)) { try JSONValue.parseOrThrow(veryDeep, limits: .request) }
        #expect(JSONValue.parse(veryDeep) == nil)
        let wide = Array(("[" + Array(repeating: "0", count: 10_001).joined(separator: ",") + "]").utf8)
        #expect(throws: JSONParseError.tooManyElements(limit: 10_000)) { try JSONValue.parseOrThrow(wide, limits: .request) }
        let long = Array(("\"" + String(repeating: "x", count: (256 << 10) + 1) + "\"").utf8)
        #expect(throws: JSONParseError.stringTooLong(limit: 256 << 10)) { try JSONValue.parseOrThrow(long, limits: .request) }
        #expect(throws: JSONParseError.invalid(offset: 5)) { try JSONValue.parseOrThrow(Array(#"{"a":}"#.utf8), limits: .request) }
        for error in [JSONParseError.tooDeep(limit: 32), .tooManyMembers(limit: 1_000), .invalid(offset: 3)] {
            #expect(!error.description.isEmpty)
        }
    }

    @Test("hostile JSON: numbers, surrogates, invalid UTF-8, truncation all end in nil, never a trap") func hostileJSON() {
        let inputs: [[UInt8]] = [
            Array("1e999999".utf8), Array("-".utf8), Array(String(repeating: "9", count: 100_000).utf8),
            Array(#""\ud800""#.utf8), Array(#""\udc00\ud800x""#.utf8), [0x22, 0xff, 0xfe, 0x22], [0x22, 0xe0, 0xa4, 0x22],
            Array(#"{"a":"#.utf8), Array(#"["#.utf8), Array("\u{FEFF}".utf8), [], [0x00], Array(#""\u12"#.utf8),
        ]
        for input in inputs { _ = JSONValue.parse(input, limits: .request) }
        #expect(JSONValue.parse(Array(#""\ud800""#.utf8)) == .string("\u{FFFD}"))
        #expect(JSONValue.parse(Array(String(repeating: "9", count: 100_000).utf8)) == nil)
    }

    @Test("form bodies: WHATWG decoding, stray % and spaces kept, no trap") func forms() throws {
        func parse(_ text: String) throws -> [String] { try FormURLEncoded.parse(Array(text.utf8)).map { "\($0.0)=\($0.1)" } }
        #expect(try parse("name=x&email=a b") == ["name=x", "email=a b"])
        #expect(try parse("a=%zz&b=%&c=%%&d=%4") == ["a=%zz", "b=%", "c=%%", "d=%4"])
        #expect(try parse("a=#<>&b=1+2%2B3") == ["a=#<>", "b=1 2+3"])
        #expect(try parse("=&=&&") == ["="])
        #expect(try parse("k&k=2&j=%C3%A9") == ["k=2", "j=é"])
        #expect(try parse("a=%E0%A4") == ["a=\u{FFFD}"])
        #expect(try parse(String(repeating: "&", count: 100_000)).isEmpty)
        let many = (0..<1_001).map { "f\($0)=1" }.joined(separator: "&")
        #expect(throws: FormURLEncoded.TooManyFields(limit: 1_000)) { try FormURLEncoded.parse(Array(many.utf8)) }
        let big = "v=" + String(repeating: "%41", count: 300_000)
        #expect(try FormURLEncoded.parse(Array(big.utf8)).first?.1.count == 300_000)
    }
}
