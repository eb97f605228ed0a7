import Foundation
import Testing
@testable import StoaCore

/// `JSONValue.writeString` skips eight plain bytes at a time; these check it against a
/// character-by-character reference on every byte value at every position of the eight-byte window.
@Suite struct JSONStringWritingTests {
    /// What the writer must produce: `"`, `\`, newline, return and tab escaped by name, `<` and
    /// `>` and other control characters as `\u00XX`, U+2028/U+2029 as `\u2028`/`\u2029`.
    static func reference(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            case _ where scalar.value < 0x20 || scalar == "<" || scalar == ">":
                out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    @Test("every ASCII byte, at every offset of an eight-byte block, is written as the reference does")
    func everyByteEveryOffset() {
        for value in UInt8(0)..<0x80 {
            for offset in 0..<17 {
                let s = String(repeating: "a", count: offset) + String(UnicodeScalar(value)) + String(repeating: "b", count: 16 - offset)
                #expect(JSONValue.string(s).serialized == Self.reference(s), "byte \(value) at \(offset)")
            }
        }
    }

    @Test("multi-byte text, line separators and emoji inside long plain runs")
    func nonASCII() {
        let pieces = ["é", "\u{2028}", "\u{2029}", "€", "😀", "\u{2027}", "\u{202A}", "日本語", "\u{0}", "</script>"]
        for piece in pieces {
            for offset in [0, 3, 7, 8, 9, 15, 16] {
                let s = String(repeating: "x", count: offset) + piece + String(repeating: "y", count: 20)
                #expect(JSONValue.string(s).serialized == Self.reference(s), "\(piece) at \(offset)")
            }
        }
    }

    @Test("what is written parses back to the same string (random text)")
    func roundTrip() throws {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abc XYZ 0123 \"\\<>/\n\r\t\u{1}\u{1f}é€😀\u{2028}")
        for _ in 0..<500 {
            let s = String((0..<Int.random(in: 0...64, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
            let written = JSONValue.string(s).serialized
            #expect(written == Self.reference(s))
            let back = try JSONSerialization.jsonObject(with: Data(written.utf8), options: [.fragmentsAllowed]) as? String
            #expect(back == s)
        }
    }
}
