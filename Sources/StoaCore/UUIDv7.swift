import Foundation
import Synchronization

/// Time-ordered UUIDs (RFC 9562 version 7), lowercase. Ids made by this process are strictly
/// increasing, so rows created in the same millisecond still sort in creation order.
public enum UUIDv7 {
    private static let state = Mutex<(ms: UInt64, seq: UInt16)>((0, 0))

    public static func generate(at date: Date = Date()) -> String {
        var rng = SystemRandomNumberGenerator()
        let now = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        let (ms, seq) = state.withLock { s -> (UInt64, UInt16) in
            if now > s.ms {
                s = (now, UInt16.random(in: 0..<0x400, using: &rng))
            } else if s.seq < 0x0FFF {
                s.seq += 1
            } else {
                s = (s.ms + 1, 0)
            }
            return s
        }
        // 48 bits of milliseconds, version 7 and 12 bits of sequence, then the variant and 62
        // random bits (one draw from the CSPRNG).
        let high = ms << 16 | 0x7000 | UInt64(seq & 0x0fff)
        let low = rng.next() & 0x3fff_ffff_ffff_ffff | 0x8000_0000_0000_0000
        return String(unsafeUninitializedCapacity: 36) { out in
            let digits: StaticString = "0123456789abcdef"
            var i = 0
            func put(_ value: UInt64, nibbles: Int) {
                for n in stride(from: nibbles - 1, through: 0, by: -1) {
                    if i == 8 || i == 13 || i == 18 || i == 23 { out[i] = UInt8(ascii: "-"); i += 1 }
                    out[i] = digits.utf8Start[Int((value >> (4 * UInt64(n))) & 0xf)]
                    i += 1
                }
            }
            put(high, nibbles: 16)
            put(low, nibbles: 16)
            return i
        }
    }

    /// Whether `s` is a lowercase or uppercase UUID in its canonical 8-4-4-4-12 form.
    public static func isValid(_ s: String) -> Bool {
        let chars = Array(s.utf8)
        guard chars.count == 36 else { return false }
        for (i, c) in chars.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 { if c != 45 { return false } } else if !(c >= 48 && c <= 57 || c >= 97 && c <= 102 || c >= 65 && c <= 70) { return false }
        }
        return true
    }
}
