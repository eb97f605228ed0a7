import Foundation
import StoaCore
import Testing

@Suite struct ISO8601Tests {
    @Test("parsing agrees with the C library's timegm and round-trips through string(from:)") func agreesWithTimegm() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            // Any millisecond from 1901 to 2199, leap days included.
            let ms = Int64.random(in: -2_177_452_800_000...7_258_118_400_000, using: &generator)
            let date = Date(timeIntervalSince1970: Double(ms) / 1000)
            let text = ISO8601.string(from: date)
            let parsed = ISO8601.date(from: text)
            #expect(parsed.map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) } == ms, "\(text)")
            var t = time_t(Int(ms.dividedRoundingDown(by: 1000)))
            var parts = tm()
            gmtime_r(&t, &parts)
            #expect(timegm(&parts) == t)
        }
        #expect(ISO8601.date(from: "2024-02-29T12:00:00Z")?.timeIntervalSince1970 == 1_709_208_000)
        #expect(ISO8601.date(from: "2000-03-01T00:00:00Z")?.timeIntervalSince1970 == 951_868_800)
        #expect(ISO8601.date(from: "  2026-01-02T03:04:05Z ")?.timeIntervalSince1970 == 1_767_323_045)
        #expect(ISO8601.date(from: "2026-13-02T03:04:05Z") == nil)
        #expect(ISO8601.date(from: "2026-01-02T03:04:05X") == nil)
    }
}

extension Int64 {
    func dividedRoundingDown(by divisor: Int64) -> Int64 {
        let q = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? q - 1 : q
    }
}
