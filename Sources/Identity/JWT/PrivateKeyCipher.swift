import Crypto
import Foundation
import StoaCore

/// Encrypts private keys at rest under the server secret. The stored text is
/// `$stoa$1$<secret id>$<base64(nonce|ciphertext|tag)>` (AES-256-GCM, key = HKDF-SHA256(secret)).
/// The secret id names which of `BETTER_AUTH_SECRETS` encrypted it, so after the secret is
/// rotated, keys written under the old one still decrypt (as long as it stays in the list).
public struct PrivateKeyCipher: Sendable {
    let secrets: [String]

    public init(secrets: [String]) { self.secrets = secrets }

    /// A short public fingerprint of a secret (not reversible).
    static func secretID(_ secret: String) -> String {
        Array(SHA256.hash(data: Data(("stoa-secret-id:" + secret).utf8))).prefix(4).hexString
    }

    static func key(for secret: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: Data(secret.utf8)), salt: Data("stoa-jwks".utf8),
                               info: Data("Stoa JWKS private key encryption".utf8), outputByteCount: 32)
    }

    public func encrypt(_ plaintext: String) throws -> String {
        guard let secret = secrets.first else { throw CipherError.noSecret }
        let sealed = try AES.GCM.seal(Data(plaintext.utf8), using: Self.key(for: secret))
        guard let combined = sealed.combined else { throw CipherError.noSecret }
        return "$stoa$1$\(Self.secretID(secret))$\(combined.base64EncodedString())"
    }

    public func decrypt(_ stored: String) throws -> String {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: true)
        guard parts.count == 4, parts[0] == "stoa", parts[1] == "1", let combined = Data(base64Encoded: String(parts[3])) else {
            throw CipherError.unknownFormat
        }
        // Try the secret the id names first, then the others (ids could collide, however unlikely).
        let ordered = secrets.filter { Self.secretID($0) == parts[2] } + secrets.filter { Self.secretID($0) != parts[2] }
        for secret in ordered {
            if let box = try? AES.GCM.SealedBox(combined: combined),
               let plain = try? AES.GCM.open(box, using: Self.key(for: secret)) {
                return String(decoding: plain, as: UTF8.self)
            }
        }
        throw CipherError.noMatchingSecret
    }

    public enum CipherError: Error, CustomStringConvertible {
        case noSecret, unknownFormat, noMatchingSecret
        public var description: String {
            switch self {
            case .noSecret: return "no secret configured"
            case .unknownFormat: return "not a Stoa-encrypted key (written by another server?)"
            case .noMatchingSecret: return "encrypted with a secret that is no longer configured (keep the old secret in BETTER_AUTH_SECRETS)"
            }
        }
    }
}
