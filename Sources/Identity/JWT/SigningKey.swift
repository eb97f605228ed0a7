import Crypto
import CryptoExtras
import Foundation
import StoaCore

/// One signing key of the key set: its public JWK (published at `/jwks`) and its private half.
public struct SigningKey: Sendable {
    public let kid: String
    public let algorithm: SigningAlgorithm
    public let createdAt: Date
    /// When the key stops signing (rotation); it stays published for the grace period after.
    public var expiresAt: Date?
    /// The public JWK members without `alg`/`kid` (as stored in `jwks.publicKey`).
    public let publicJWK: JSONValue
    let privateKey: PrivateKeyMaterial?

    enum PrivateKeyMaterial: Sendable {
        case ed25519(Curve25519.Signing.PrivateKey)
        case p256(P256.Signing.PrivateKey)
        case rsa(_RSA.Signing.PrivateKey)
    }

    /// Whether this key may sign at `now`.
    public func isLive(at now: Date) -> Bool { privateKey != nil && (expiresAt.map { $0 > now } ?? true) }

    /// The JWK as published: `{alg, crv?, …public members, kid}` — Better Auth's order, no `use`.
    public var publishedJWK: JSONValue {
        guard case .object(let members) = publicJWK else { return publicJWK }
        var pairs: [(String, JSONValue)] = [("alg", .string(algorithm.rawValue))]
        pairs += members.filter { $0.0 != "alg" && $0.0 != "kid" }
        pairs.append(("kid", .string(kid)))
        return .object(pairs)
    }

    /// Signs a JWS signing input (`header.payload`) and returns the raw signature.
    func sign(_ input: Data) throws -> Data {
        switch privateKey {
        case .ed25519(let key): return try key.signature(for: input)
        case .p256(let key): return try key.signature(for: input).rawRepresentation
        case .rsa(let key): return try key.signature(for: input, padding: .insecurePKCS1v1_5).rawRepresentation
        case nil: throw KeyError.noPrivateKey(kid)
        }
    }

    /// Makes a new key with a fresh random `kid`.
    public static func generate(_ algorithm: SigningAlgorithm, at now: Date, expiresAt: Date?) throws -> SigningKey {
        let material: PrivateKeyMaterial
        switch algorithm {
        case .eddsa: material = .ed25519(Curve25519.Signing.PrivateKey())
        case .es256: material = .p256(P256.Signing.PrivateKey())
        case .rs256: material = .rsa(try _RSA.Signing.PrivateKey(keySize: .bits2048))
        }
        return SigningKey(kid: RandomID.generate(32), algorithm: algorithm, createdAt: now, expiresAt: expiresAt,
                          publicJWK: try material.publicJWK(), privateKey: material)
    }

    public enum KeyError: Error, CustomStringConvertible {
        case noPrivateKey(String)
        case unreadable(String)
        public var description: String {
            switch self {
            case .noPrivateKey(let kid): return "key \(kid) has no usable private key"
            case .unreadable(let why): return "unreadable key: \(why)"
            }
        }
    }
}

extension SigningKey.PrivateKeyMaterial {
    /// The public JWK members, in Better Auth's order (`crv`, `x`, … , `kty`).
    func publicJWK() throws -> JSONValue {
        switch self {
        case .ed25519(let key):
            return .object([("crv", .string("Ed25519")), ("x", .string(Base64URL.encode(key.publicKey.rawRepresentation))), ("kty", .string("OKP"))])
        case .p256(let key):
            let raw = key.publicKey.rawRepresentation   // x || y, 32 bytes each
            return .object([("crv", .string("P-256")), ("x", .string(Base64URL.encode(raw.prefix(32)))),
                            ("y", .string(Base64URL.encode(raw.suffix(32)))), ("kty", .string("EC"))])
        case .rsa(let key):
            let primitives = try key.publicKey.getKeyPrimitives()
            return .object([("e", .string(Base64URL.encode(primitives.publicExponent))), ("n", .string(Base64URL.encode(primitives.modulus))),
                            ("kty", .string("RSA"))])
        }
    }

    /// The private key as text, before encryption.
    func serialized() -> String {
        switch self {
        case .ed25519(let key): return "ed25519:" + Base64URL.encode(key.rawRepresentation)
        case .p256(let key): return "p256:" + key.pemRepresentation
        case .rsa(let key): return "rsa:" + key.pemRepresentation
        }
    }

    static func parse(_ text: String) throws -> Self {
        if text.hasPrefix("ed25519:"), let raw = Base64URL.decode(String(text.dropFirst(8))) {
            return .ed25519(try Curve25519.Signing.PrivateKey(rawRepresentation: raw))
        }
        if text.hasPrefix("p256:") { return .p256(try P256.Signing.PrivateKey(pemRepresentation: String(text.dropFirst(5)))) }
        if text.hasPrefix("rsa:") { return .rsa(try _RSA.Signing.PrivateKey(pemRepresentation: String(text.dropFirst(4)))) }
        throw SigningKey.KeyError.unreadable("unknown private key format")
    }
}
