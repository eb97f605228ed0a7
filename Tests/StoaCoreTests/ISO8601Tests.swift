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

    @Test("formatting matches printf's zero padding from gmtime, as a String and as bytes, from year 0 to 9999 and beyond")
    func formatsLikePrintf() {
        var generator = SystemRandomNumberGenerator()
        let edges: [Int64] = [0, -1, 999, 1000, -62_167_219_200_000, 253_402_300_799_999, 1_767_323_045_678]
        for ms in edges + (0..<3000).map({ _ in Int64.random(in: -62_167_219_200_000...253_402_300_799_999, using: &generator) }) {
            let date = Date(timeIntervalSince1970: Double(ms) / 1000)
            var t = time_t(Int(ms.dividedRoundingDown(by: 1000)))
            var parts = tm()
            gmtime_r(&t, &parts)
            let expected = String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                                  parts.tm_hour, parts.tm_min, parts.tm_sec, Int32(ms - ms.dividedRoundingDown(by: 1000) * 1000))
            #expect(ISO8601.string(from: date) == expected, "\(ms)")
            var bytes: [UInt8] = []
            ISO8601.write(date, to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == expected, "\(ms)")
        }
        // Outside four-digit years the same form, wider (and the bytes agree).
        for date in [Date(timeIntervalSince1970: 253_402_300_800), Date(timeIntervalSince1970: -62_167_219_201)] {
            var bytes: [UInt8] = []
            ISO8601.write(date, to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == ISO8601.string(from: date))
        }
        #expect(ISO8601.string(from: Date(timeIntervalSince1970: 253_402_300_800)) == "10000-01-01T00:00:00.000Z")
    }
}

extension Int64 {
    func dividedRoundingDown(by divisor: Int64) -> Int64 {
        let q = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? q - 1 : q
    }
}
