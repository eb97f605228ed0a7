import Foundation
import StoaCore
import Testing

/// UUIDv7 and Better Auth–style random ids: format, order and alphabet.
@Suite struct IdentifierTests {
    @Test("UUIDv7: canonical lowercase form, version 7, RFC variant, the millisecond up front") func uuidFormat() throws {
        let date = Date(timeIntervalSince1970: 1_764_000_000.123)
        let id = UUIDv7.generate(at: date)
        #expect(UUIDv7.isValid(id) && id == id.lowercased() && id.count == 36)
        let parts = id.split(separator: "-").map(String.init)
        #expect(parts.map(\.count) == [8, 4, 4, 4, 12])
        #expect(parts[2].first == "7")
        #expect(["8", "9", "a", "b"].contains(parts[3].first.map(String.init)))
        // The process's ids never go backwards, so a test that ran earlier with a later clock
        // may have moved the millisecond on; it is never earlier, and never years away.
        let ms = try #require(UInt64(parts[0] + parts[1], radix: 16))
        #expect(ms >= 1_764_000_000_123 && ms - 1_764_000_000_123 < 10 * 365 * 86_400_000, "\(ms)")
    }

    @Test("UUIDv7: strictly increasing within one millisecond and across them") func uuidOrder() {
        let date = Date(timeIntervalSince1970: 1_764_000_000)
        let sameMillisecond = (0..<2_000).map { _ in UUIDv7.generate(at: date) }
        #expect(zip(sameMillisecond, sameMillisecond.dropFirst()).allSatisfy { $0 < $1 })
        #expect(Set(sameMillisecond).count == sameMillisecond.count)
        #expect(UUIDv7.generate(at: date.addingTimeInterval(1)) > sameMillisecond.last!)
    }

    @Test("RandomID: the requested length from [A-Za-z0-9], every character in use") func randomIDs() {
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        for length in [1, 10, 11, 32, 100] {
            let id = RandomID.generate(length)
            #expect(id.count == length && id.allSatisfy(alphabet.contains))
        }
        // 62 symbols over 62,000 draws: each appears about 1,000 times; a skewed or truncated
        // alphabet (a lost "8" or "9", a doubled "A") shows up far outside this band.
        var counts: [Character: Int] = [:]
        for _ in 0..<1_000 { for c in RandomID.generate(62) { counts[c, default: 0] += 1 } }
        #expect(Set(counts.keys) == alphabet)
        #expect(counts.values.allSatisfy { (800...1_200).contains($0) }, "\(counts.sorted { $0.key < $1.key })")
        #expect(RandomID.generate() != RandomID.generate())
    }

    @Test("RandomID.hex: lowercase hex, two digits per byte") func hex() {
        let hex = RandomID.hex(bytes: 16)
        #expect(hex.count == 32 && hex.allSatisfy { "0123456789abcdef".contains($0) })
        #expect([0x00, 0x0f, 0xa0, 0xff].hexString == "000fa0ff")
    }
}
