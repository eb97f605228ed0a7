import Foundation
import StoaCore

/// Signs access JWTs in Better Auth's shape (contract §5): header `{alg, kid}`; claims `iat`,
/// every user field, `sub`, `exp`, `iss`, `aud`, plus Stoa's `sid`.
public struct AccessTokenIssuer: Sendable {
    public let keys: KeyRing
    public let issuer: String
    public let audience: String
    public let lifetime: TimeInterval
    let clock: any StoaClock

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
        let iat = Int64(clock.now().timeIntervalSince1970)
        var claims: [(String, JSONValue)] = [("iat", .number(Double(iat)))]
        if case .object(let fields) = user.json { claims += fields }
        claims += [
            ("sub", .string(user.id)),
            ("exp", .number(Double(iat + Int64(lifetime ?? self.lifetime)))),
            ("iss", .string(issuer)),
            ("aud", .string(audience)),
        ]
        if let sessionID { claims.append(("sid", .string(sessionID))) }
        let header = JSONValue.object([("alg", .string(key.algorithm.rawValue)), ("kid", .string(key.kid))])
        let input = Base64URL.encode(Data(header.serialized.utf8)) + "." + Base64URL.encode(Data(JSONValue.object(claims).serialized.utf8))
        let signature = try key.sign(Data(input.utf8))
        return input + "." + Base64URL.encode(signature)
    }
}
