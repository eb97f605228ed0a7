import Foundation
import JWTKit
import Logging
import StoaCore

/// Verifies access JWTs offline against a JWKS, the way any backend would: signature with a
/// key from the set (only the algorithms the set declares; never `none` or HMAC), `exp`, `iat`
/// and `nbf` with leeway, `iss`, `aud`, and a required `sub`. Keys are cached; an unknown
/// `kid` triggers at most one refetch per `refreshThrottle`, and when the source is down the
/// cached keys keep working.
public actor TokenVerifier {
    public struct Settings: Sendable {
        public var issuer: String
        public var audience: String
        public var leeway: TimeInterval = 30
        public var maxTokenBytes: Int = 8 * 1024
        public var refreshThrottle: TimeInterval = 30
        public init(issuer: String, audience: String) { self.issuer = issuer; self.audience = audience }
    }

    let source: any JWKSSource
    public let settings: Settings
    let now: @Sendable () -> Date
    let logger: Logger

    private var collection: JWTKeyCollection? = nil
    private var knownKids: Set<String> = []
    private var allowedAlgorithms: Set<String> = []
    private var lastFetchAttempt: Date? = nil
    /// How many times the source was asked for keys (for tests and metrics).
    public private(set) var fetchCount = 0
    /// Tokens already verified (see ``VerifiedTokenCache``).
    let cache = VerifiedTokenCache()

    public init(source: any JWKSSource, settings: Settings, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) {
        self.source = source
        self.settings = settings
        self.logger = logger
        self.now = now
    }

    /// Checks a token and returns its claims, or throws a ``TokenRejection``. A token verified
    /// before is answered from ``VerifiedTokenCache`` (its expiry checked again) without
    /// entering the actor.
    public nonisolated func verify(_ token: String) async throws(TokenRejection) -> VerifiedToken {
        guard token.utf8.count <= settings.maxTokenBytes else { throw .invalid("token too large") }
        let key = VerifiedTokenCache.key(token)
        if let cached = cache.lookup(key, now: now().timeIntervalSince1970) { return cached }
        let generation = cache.generation
        let verified = try await verifySignatureAndClaims(token)
        cache.store(.init(token: verified, usableUntil: verified.expiresAt.timeIntervalSince1970 + settings.leeway),
                    for: key, generation: generation, now: now().timeIntervalSince1970)
        return verified
    }

    /// The full check: header, key, signature, then the claims.
    func verifySignatureAndClaims(_ token: String) async throws(TokenRejection) -> VerifiedToken {
        let header: JWTHeader
        do {
            header = try DefaultJWTParser().parse(Array(token.utf8), as: AccessClaims.self).header
        } catch {
            throw .invalid("malformed token")
        }
        guard let alg = header.alg, !alg.lowercased().hasPrefix("hs"), alg.lowercased() != "none" else {
            throw .invalid("algorithm not allowed")
        }
        guard let kid = header.kid, !kid.isEmpty, kid.count <= 256 else { throw .invalid("token has no key id") }

        if !knownKids.contains(kid) { await refresh(reason: "unknown kid") }
        guard knownKids.contains(kid), let collection else { throw .invalid("unknown signing key") }
        guard allowedAlgorithms.contains(alg) else { throw .invalid("algorithm not allowed") }

        let claims: AccessClaims
        do {
            claims = try await collection.verify(token, as: AccessClaims.self)
        } catch {
            throw .invalid("bad signature")
        }
        return try check(claims)
    }

    func check(_ claims: AccessClaims) throws(TokenRejection) -> VerifiedToken {
        let now = self.now().timeIntervalSince1970
        guard let sub = claims.sub, !sub.isEmpty else { throw .invalid("token has no subject") }
        guard let exp = claims.exp else { throw .invalid("token has no expiry") }
        guard let iat = claims.iat else { throw .invalid("token has no issue time") }
        if exp + settings.leeway < now { throw .expired }
        if iat - settings.leeway > now { throw .invalid("token issued in the future") }
        if let nbf = claims.nbf, nbf - settings.leeway > now { throw .invalid("token not yet valid") }
        guard claims.iss == settings.issuer else { throw .invalid("wrong issuer") }
        guard claims.aud?.values.contains(settings.audience) == true else { throw .invalid("wrong audience") }
        return VerifiedToken(subject: sub, sessionID: claims.sid, expiresAt: Date(timeIntervalSince1970: exp), email: claims.email)
    }

    /// Loads keys now (at start-up, so the first request does not wait).
    public func prime() async { await refresh(reason: "prime", force: true) }

    /// The signing keys changed somewhere (a rotation heard from the database): the next token
    /// with an unknown `kid` refetches the JWKS at once instead of waiting out the throttle.
    public func keysChanged() {
        lastFetchAttempt = nil
    }

    private func refresh(reason: String, force: Bool = false) async {
        let now = self.now()
        if !force, let last = lastFetchAttempt, now.timeIntervalSince(last) < settings.refreshThrottle { return }
        lastFetchAttempt = now
        fetchCount += 1
        do {
            let data = try await source.fetchJWKS()
            let jwks = try JSONDecoder().decode(JWKS.self, from: data)
            let fresh = JWTKeyCollection()
            var kids: Set<String> = []
            var algs: Set<String> = []
            for key in jwks.keys {
                guard let kid = key.keyIdentifier?.string, let alg = key.algorithm?.rawValue,
                      !alg.lowercased().hasPrefix("hs"), alg.lowercased() != "none" else { continue }
                do {
                    _ = try await fresh.add(jwk: key)
                    kids.insert(kid)
                    algs.insert(alg)
                } catch {
                    logger.warning("ignoring a JWKS key that cannot be used", metadata: ["kid": "\(kid)"])
                }
            }
            collection = fresh
            cache.clear()   // verifications under the previous key set do not carry over
            knownKids = kids
            allowedAlgorithms = algs
        } catch {
            // Keep the cached keys: an auth server outage must not take the API down.
            logger.warning("could not refresh the JWKS; using cached keys", metadata: ["reason": "\(reason)", "error": "\(error)"])
        }
    }
}

/// Why a token was refused.
public enum TokenRejection: Error, Sendable, Equatable {
    case expired
    case invalid(String)
}

/// What a verified token says.
public struct VerifiedToken: Sendable, Equatable {
    public let subject: String
    public let sessionID: String?
    public let expiresAt: Date
    public let email: String?
}

/// The claims the verifier reads; everything optional so missing ones give clear errors.
struct AccessClaims: JWTPayload {
    var sub: String?
    var exp: Double?
    var iat: Double?
    var nbf: Double?
    var iss: String?
    var aud: Audience?
    var sid: String?
    var email: String?

    func verify(using algorithm: some JWTAlgorithm) async throws {}

    /// `aud` may be a string or an array of strings.
    struct Audience: Codable, Sendable {
        let values: [String]
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let one = try? container.decode(String.self) { values = [one] } else { values = try container.decode([String].self) }
        }
        func encode(to encoder: Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(values)
        }
    }
}
