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
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<6 { bytes[i] = UInt8((ms >> (8 * (5 - UInt64(i)))) & 0xff) }
        bytes[6] = 0x70 | UInt8((seq >> 8) & 0x0f)
        bytes[7] = UInt8(seq & 0xff)
        for i in 8..<16 { bytes[i] = UInt8.random(in: 0...255, using: &rng) }
        bytes[8] = (bytes[8] & 0x3f) | 0x80
        let hex = bytes.hexString
        let h = Array(hex)
        return String(h[0..<8]) + "-" + String(h[8..<12]) + "-" + String(h[12..<16]) + "-" + String(h[16..<20]) + "-" + String(h[20..<32])
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
