/// Random identifiers in Better Auth's format: `[A-Za-z0-9]`, unbiased, from the system CSPRNG.
public enum RandomID {
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)

    /// A string of `length` characters from `[A-Za-z0-9]` (Better Auth's `generateId`).
    public static func generate(_ length: Int = 32) -> String {
        var rng = SystemRandomNumberGenerator()
        var bytes = [UInt8]()
        bytes.reserveCapacity(length)
        for _ in 0..<length {
            // `random(in:using:)` rejects out-of-range draws, so every character is equally likely.
            bytes.append(alphabet[Int.random(in: 0..<alphabet.count, using: &rng)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `count` random bytes as lowercase hex.
    public static func hex(bytes count: Int) -> String {
        var rng = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }.hexString
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
