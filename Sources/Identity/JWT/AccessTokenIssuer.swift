import Foundation
import StoaCore
import Synchronization

/// Signs access JWTs in Better Auth's shape (contract §5): header `{alg, kid}`; claims `iat`,
/// every user field, `sub`, `exp`, `iss`, `aud`, plus Stoa's `sid`.
public struct AccessTokenIssuer: Sendable {
    public let keys: KeyRing
    public let issuer: String
    public let audience: String
    public let lifetime: TimeInterval
    let clock: any StoaClock
    /// Tokens signed in the last ``reuseWindow`` seconds, by key id and claims (without `iat`/`exp`).
    let recent = RecentTokens()
    /// How long a signed token is handed out again for the same session, key and claims: every
    /// `get-session` sends one (`set-auth-jwt`), and an Ed25519 signature was a third of its cost.
    /// A tenth of the lifetime at most, so a reused token always has 90 % of its life left.
    var reuseWindow: TimeInterval { min(30, lifetime / 10) }

    public init(keys: KeyRing, issuer: String, audience: String, lifetime: TimeInterval, clock: any StoaClock) {
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.lifetime = lifetime
        self.clock = clock
    }

    /// A signed token for `user`; `lifetime` overrides the default (the CLI uses it).
    public func issue(for user: User, sessionID: String?, lifetime: TimeInterval? = nil) async throws -> String {
        let key = try await keys.signingKey()
        let now = clock.now().timeIntervalSince1970
        let iat = Int64(now)
        var fields: [(String, JSONValue)] = []
        if case .object(let userFields) = user.json { fields += userFields }
        fields += [("sub", .string(user.id))]
        var tail: [(String, JSONValue)] = [("iss", .string(issuer)), ("aud", .string(audience))]
        if let sessionID { tail.append(("sid", .string(sessionID))) }
        // The same session, key and claims within the reuse window: the token already signed.
        let reuseKey = lifetime == nil && sessionID != nil ? key.kid + "\u{1}" + JSONValue.object(fields + tail).serialized : nil
        if let reuseKey, let token = recent.token(for: reuseKey, now: now, window: reuseWindow) { return token }
        let claims: [(String, JSONValue)] = [("iat", .number(Double(iat)))] + fields
            + [("exp", .number(Double(iat + Int64(lifetime ?? self.lifetime))))] + tail
        let header = JSONValue.object([("alg", .string(key.algorithm.rawValue)), ("kid", .string(key.kid))])
        let input = Base64URL.encode(header.serializedBytes) + "." + Base64URL.encode(JSONValue.object(claims).serializedBytes)
        let signature = try key.sign(Data(input.utf8))
        let token = input + "." + Base64URL.encode(signature)
        if let reuseKey { recent.remember(token, for: reuseKey, signedAt: Double(iat)) }
        return token
    }
}

/// Recently signed access tokens (see ``AccessTokenIssuer/reuseWindow``). Bounded: beyond
/// ``capacity`` entries it starts over. Keys hold claims, never secrets; the tokens are what the
/// same caller was just given.
final class RecentTokens: Sendable {
    static let capacity = 10_000
    private let entries = Mutex<[String: (token: String, signedAt: TimeInterval)]>([:])

    func token(for key: String, now: TimeInterval, window: TimeInterval) -> String? {
        entries.withLock { entries in
            guard let entry = entries[key] else { return nil }
            guard now - entry.signedAt < window, now >= entry.signedAt else { entries[key] = nil; return nil }
            return entry.token
        }
    }

    func remember(_ token: String, for key: String, signedAt: TimeInterval) {
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = (token, signedAt)
        }
    }
}
