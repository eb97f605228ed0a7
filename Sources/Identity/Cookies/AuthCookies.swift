import StoaCore

/// Better Auth's cookie names and `Set-Cookie` lines (contract §2).
public struct AuthCookies: Sendable {
    public let secure: Bool
    public let prefix: String
    public let signer: CookieSigner
    public let sessionMaxAge: Int

    public init(prefix: String, secure: Bool, signer: CookieSigner, sessionMaxAge: Int) {
        self.prefix = prefix
        self.secure = secure
        self.signer = signer
        self.sessionMaxAge = sessionMaxAge
    }

    private func name(_ suffix: String) -> String { (secure ? "__Secure-" : "") + prefix + "." + suffix }
    public var sessionToken: String { name("session_token") }
    public var sessionData: String { name("session_data") }
    public var dontRemember: String { name("dont_remember") }

    /// `Set-Cookie` for a new session token; `remember == false` makes it a browser-session cookie.
    public func setSession(token: String, remember: Bool) -> [String] {
        var lines = [line(sessionToken, signer.cookieValue(token), maxAge: remember ? sessionMaxAge : nil)]
        if !remember { lines.append(line(dontRemember, signer.cookieValue("true"), maxAge: nil)) }
        return lines
    }

    /// `Set-Cookie` lines that remove every session cookie.
    public func clearSession() -> [String] {
        [sessionToken, sessionData, dontRemember].map { line($0, "", maxAge: 0) }
    }

    func line(_ name: String, _ value: String, maxAge: Int?) -> String {
        var s = "\(name)=\(value)"
        if let maxAge { s += "; Max-Age=\(maxAge)" }
        s += "; Path=/; HttpOnly"
        if secure { s += "; Secure" }
        s += "; SameSite=Lax"
        return s
    }

    /// Parses a `Cookie` request header into name/value pairs (first occurrence wins).
    public static func parse(_ header: String) -> [String: String] {
        var result: [String: String] = [:]
        for part in header.split(separator: ";" as Character) {
            let trimmed = part.trimmingWhitespace
            guard let eq = trimmed.firstIndex(of: "=") else { continue }
            let key = String(trimmed[..<eq])
            if result[key] == nil { result[key] = String(trimmed[trimmed.index(after: eq)...]) }
        }
        return result
    }

    /// The session token from request cookies, when its signature is valid. Also accepts
    /// the legacy `better-auth-session_token` name.
    public func sessionToken(from cookies: [String: String]) -> String? {
        let legacy = (secure ? "__Secure-" : "") + prefix + "-session_token"
        guard let raw = cookies[sessionToken] ?? cookies[legacy] else { return nil }
        return signer.unsign(raw)
    }

    /// Whether the request carries a valid `dont_remember` cookie.
    public func dontRemember(from cookies: [String: String]) -> Bool {
        guard let raw = cookies[dontRemember] else { return false }
        return signer.unsign(raw) == "true"
    }
}
