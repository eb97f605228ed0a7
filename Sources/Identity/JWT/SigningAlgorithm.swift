/// The JWT algorithms Stoa signs with (`STOA_JWT_ALG`). No HMAC: verifiers only ever need public keys.
public enum SigningAlgorithm: String, Sendable, CaseIterable {
    /// Ed25519 (the default, as in Better Auth).
    case eddsa = "EdDSA"
    /// ECDSA P-256 with SHA-256.
    case es256 = "ES256"
    /// RSASSA-PKCS1-v1_5 with SHA-256, 2048-bit keys.
    case rs256 = "RS256"

    /// Parses `STOA_JWT_ALG` case-insensitively.
    public init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.rawValue.lowercased() == name.lowercased() }) else { return nil }
        self = match
    }
}
