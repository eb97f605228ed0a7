import Crypto
import CryptoExtras
import Foundation
import StoaCore

/// Better Auth's password format (`@better-auth/utils/password`): scrypt N=16384, r=16, p=1,
/// 64-byte key over the NFKC-normalised password, salted with the *hex text* of 16 random
/// bytes, stored as `saltHex:keyHex`. Pure and synchronous: call it through ``HashingPool``.
public struct ScryptPasswordHasher: Sendable {
    public init() {}

    /// Hashes with a fresh random salt.
    public func hash(_ password: String) throws -> String {
        try hash(password, saltHex: RandomID.hex(bytes: 16))
    }

    /// Hashes with a given salt (tests use the contract's vector).
    public func hash(_ password: String, saltHex: String) throws -> String {
        "\(saltHex):\(try derive(password, salt: saltHex).hexString)"
    }

    /// Checks `password` against a stored `saltHex:keyHex`. A malformed hash throws.
    public func verify(_ password: String, hash stored: String) throws -> Bool {
        let parts = stored.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].count == 128 else { throw MalformedHash() }
        let key = try derive(password, salt: String(parts[0]))
        return ConstantTime.equal(Array(key.hexString.utf8), Array(parts[1].lowercased().utf8))
    }

    /// Spends the same work as a real verification; used when there is no user, so that
    /// "no such user" and "wrong password" take the same time.
    public func burn(_ password: String) {
        _ = try? derive(password, salt: "00000000000000000000000000000000")
    }

    func derive(_ password: String, salt: String) throws -> [UInt8] {
        let normalized = password.precomposedStringWithCompatibilityMapping
        let key = try KDF.Scrypt.deriveKey(
            from: Data(normalized.utf8), salt: Data(salt.utf8), outputByteCount: 64,
            rounds: 16_384, blockSize: 16, parallelism: 1)
        return key.withUnsafeBytes { Array($0) }
    }

    /// The stored hash does not have the `salt:key` shape.
    public struct MalformedHash: Error {}
}

/// Comparisons that take the same time whatever the inputs share.
public enum ConstantTime {
    public static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }
    public static func equal(_ a: String, _ b: String) -> Bool { equal(Array(a.utf8), Array(b.utf8)) }
}
