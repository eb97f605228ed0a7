import Foundation
import StoaCore
import Testing

/// Base64url maps the alphabet byte by byte; it must agree with Foundation's base64 on every length.
@Suite struct Base64URLTests {
    @Test("round-trips every length 0…66 and agrees with base64 under the RFC 4648 §5 mapping")
    func roundTrip() {
        var generator = SystemRandomNumberGenerator()
        for count in 0...66 {
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let encoded = Base64URL.encode(bytes)
            let reference = Data(bytes).base64EncodedString().map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 }.filter { $0 != "=" }
            #expect(encoded == String(reference))
            #expect(!encoded.contains("=") && !encoded.contains("+") && !encoded.contains("/"))
            #expect(Base64URL.decode(encoded) == Data(bytes))
        }
        #expect(Base64URL.encode([0xfb, 0xff]) == "-_8")
        #expect(Base64URL.decode("-_8") == Data([0xfb, 0xff]))
    }

    @Test("hostile input: not base64, odd lengths, huge strings give nil, never a trap")
    func hostile() {
        for bad in ["%%%", "a", "é", String(repeating: "*", count: 100_000)] {
            #expect(Base64URL.decode(bad) == nil, "\(bad.prefix(10))")
        }
        #expect(Base64URL.decode(String(repeating: "A", count: 400_000))?.count == 300_000)
        #expect(PageCursor(encoded: "not a cursor") == nil)
        let cursor = PageCursor(["2026-11-18T20:26:40.000Z", "0193"])
        #expect(PageCursor(encoded: cursor.encoded)?.values == cursor.values)
    }
}
