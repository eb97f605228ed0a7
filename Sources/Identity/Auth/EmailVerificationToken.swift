import Crypto
import Foundation
import StoaCore

/// Better Auth's email-verification token: a stateless HS256 JWT signed with the auth secret,
/// claims `{email, updateTo?, requestType?, iat, exp}` (`createEmailVerificationToken`). A link
/// minted by Better Auth verifies in Stoa and the other way round, as long as both share the secret.
public struct EmailVerificationToken: Sendable, Equatable {
    /// The address being verified (for a change of email: the current one), lowercased.
    public var email: String
    /// The new address of a change of email, lowercased.
    public var updateTo: String?
    /// `change-email-verification` or `change-email-confirmation` for the two-step change; nil otherwise.
    public var requestType: String?
    /// Seconds since 1970.
    public var issuedAt: Int
    public var expiresAt: Int

    public init(email: String, updateTo: String? = nil, requestType: String? = nil, issuedAt: Int, expiresAt: Int) {
        self.email = email.lowercased()
        self.updateTo = updateTo?.lowercased()
        self.requestType = requestType
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
    }

    public static let changeEmailVerification = "change-email-verification"
    public static let changeEmailConfirmation = "change-email-confirmation"

    /// Why a token was refused.
    public enum Failure: Error, Sendable, Equatable {
        /// Malformed, signed with another key or algorithm, or its claims are not Better Auth's.
        case invalid
        /// Well signed, but `exp` has passed.
        case expired
    }

    /// The longest token looked at; Better Auth's are about 200 characters.
    public static let maxLength = 4096

    /// The signed token: header `{"alg":"HS256"}` (jose's `SignJWT` as Better Auth uses it) and the
    /// claims in Better Auth's order.
    public func signed(secret: String) -> String {
        var claims: [(String, JSONValue)] = [("email", .string(email))]
        if let updateTo { claims.append(("updateTo", .string(updateTo))) }
        if let requestType { claims.append(("requestType", .string(requestType))) }
        claims += [("iat", .number(Double(issuedAt))), ("exp", .number(Double(expiresAt)))]
        let input = Base64URL.encode(JSONValue.object([("alg", .string("HS256"))]).serializedBytes) + "."
            + Base64URL.encode(JSONValue.object(claims).serializedBytes)
        let mac = HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return input + "." + Base64URL.encode(Data(mac))
    }

    /// Checks `token` as jose's `jwtVerify(token, secret, {algorithms: ["HS256"]})` does, trying
    /// each secret (newest first, so a rotated secret still verifies recent links), then reads the
    /// claims as Better Auth's schema does. `now` is in seconds since 1970.
    public static func verify(_ token: String, secrets: [String], now: Int) throws(Failure) -> EmailVerificationToken {
        guard token.utf8.count <= maxLength else { throw .invalid }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerData = Base64URL.decode(String(parts[0])), let claimsData = Base64URL.decode(String(parts[1])),
              let signature = Base64URL.decode(String(parts[2])) else { throw .invalid }
        // jose: the header is a JSON object naming an allowed algorithm, with no `crit` it does not know.
        guard case .object(let header)? = JSONValue.parse(headerData, limits: .request), header.first(where: { $0.0 == "alg" })?.1 == .string("HS256"),
              !header.contains(where: { $0.0 == "crit" || $0.0 == "b64" }) else { throw .invalid }
        let input = Data(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        // HMAC's own check compares in constant time.
        guard secrets.contains(where: { HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: input, using: SymmetricKey(data: Data($0.utf8))) })
        else { throw .invalid }
        guard case .object(let claims)? = JSONValue.parse(claimsData, limits: .request) else { throw .invalid }
        func claim(_ name: String) -> JSONValue? { claims.first(where: { $0.0 == name })?.1 }
        func number(_ name: String) throws(Failure) -> Int? {
            switch claim(name) {
            case nil: return nil
            case .number(let n)?: guard n.isFinite, abs(n) < 1e15 else { throw .invalid }; return Int(n.rounded(.down))
            default: throw .invalid
            }
        }
        func text(_ name: String) throws(Failure) -> String? {
            switch claim(name) {
            case nil: return nil
            case .string(let s)?: return s
            default: throw .invalid
            }
        }
        let exp = try number("exp"), iat = try number("iat"), nbf = try number("nbf")
        // Better Auth always sets `exp`; a token without one is not one of its links.
        guard let exp else { throw .invalid }
        if let nbf, nbf > now { throw .invalid }
        guard exp > now else { throw .expired }
        guard let email = try text("email"), EmailAddress.isValid(email) else { throw .invalid }
        let updateTo = try text("updateTo")
        if let updateTo, !EmailAddress.isValid(updateTo) { throw .invalid }
        return EmailVerificationToken(email: email, updateTo: updateTo, requestType: try text("requestType"), issuedAt: iat ?? 0, expiresAt: exp)
    }
}
