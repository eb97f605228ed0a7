/// Random identifiers in Better Auth's format: `[A-Za-z0-9]`, unbiased, from the system CSPRNG.
public enum RandomID {
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)

    /// A string of `length` characters from `[A-Za-z0-9]` (Better Auth's `generateId`).
    public static func generate(_ length: Int = 32) -> String {
        var rng = SystemRandomNumberGenerator()
        var bytes = [UInt8]()
        bytes.reserveCapacity(length)
        // Six bits at a time from 64-bit draws; values 62 and 63 are skipped (rejection), so
        // every character is equally likely and one draw serves about ten characters.
        var pool: UInt64 = 0, bitsLeft = 0
        while bytes.count < length {
            if bitsLeft < 6 { pool = rng.next(); bitsLeft = 64 }
            let sixBits = Int(pool & 0x3f)
            pool >>= 6; bitsLeft -= 6
            if sixBits < alphabet.count { bytes.append(alphabet[sixBits]) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `count` random bytes as lowercase hex.
    public static func hex(bytes count: Int) -> String {
        var rng = SystemRandomNumberGenerator()
        var bytes = [UInt8]()
        bytes.reserveCapacity(count + 7)
        while bytes.count < count { withUnsafeBytes(of: rng.next()) { bytes.append(contentsOf: $0) } }   // eight bytes per draw
        return bytes.prefix(count).hexString
    }
}

extension Sequence where Element == UInt8 {
    /// Lowercase hexadecimal.
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for b in self {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
