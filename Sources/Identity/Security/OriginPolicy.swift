import Foundation

/// Which origins and redirect targets Stoa trusts (contract §8): the base URL's origin,
/// `BETTER_AUTH_TRUSTED_ORIGINS`, with `*`, `**` and `?` wildcards and custom schemes.
public struct OriginPolicy: Sendable {
    public let baseOrigin: String
    let patterns: [String]

    public init(baseURL: String, trustedOrigins: [String]) {
        baseOrigin = OriginPolicy.origin(of: baseURL) ?? baseURL
        patterns = [baseOrigin] + trustedOrigins.map { $0.hasSuffix("/") && !$0.hasSuffix("://") ? String($0.dropLast()) : $0 }
    }

    /// `scheme://host[:port]` of a URL, lowercased; `nil` when it has none.
    public static func origin(of url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else { return nil }
        guard let host = components.host?.lowercased(), !host.isEmpty else {
            // Custom schemes such as `myapp://` have no host; keep them whole.
            return scheme == "http" || scheme == "https" ? nil : "\(scheme)://"
        }
        let hostPart = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        if let port = components.port, !(scheme == "http" && port == 80), !(scheme == "https" && port == 443) {
            return "\(scheme)://\(hostPart):\(port)"
        }
        return "\(scheme)://\(hostPart)"
    }

    /// Whether an absolute URL's origin is trusted.
    public func isTrusted(url: String) -> Bool {
        guard let origin = OriginPolicy.origin(of: url) else { return false }
        for pattern in patterns {
            let p = pattern.lowercased()
            if p.contains("*") || p.contains("?") {
                if p.contains("://") {
                    if OriginPolicy.wildcard(p, matches: origin) { return true }
                } else if let host = URLComponents(string: url)?.host?.lowercased(), OriginPolicy.wildcard(p, matches: host) {
                    return true
                }
            } else if (OriginPolicy.origin(of: p) ?? p) == origin || (p.hasSuffix("://") && url.lowercased().hasPrefix(p)) {
                return true
            }
        }
        return false
    }

    /// A redirect target is fine when trusted, or a plain path on this site
    /// (`/dash?tab=1`, but not `//evil.com` or `/\evil.com`).
    public func isSafeRedirect(_ value: String) -> Bool {
        if value.hasPrefix("/") { return OriginPolicy.isSafeRelativePath(value) }
        return isTrusted(url: value)
    }

    static func isSafeRelativePath(_ path: String) -> Bool {
        let lower = path.lowercased()
        guard path.hasPrefix("/"), !path.hasPrefix("//"), !path.contains("\\"), !lower.hasPrefix("/%2f"), !lower.hasPrefix("/%5c") else { return false }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~+/@?=&%#:,;!$'()*")
        return path.allSatisfy { allowed.contains($0) }
    }

    /// Glob match: `**` any text, `*` any text without `.` or `/`, `?` one character.
    static func wildcard(_ pattern: String, matches text: String) -> Bool {
        let p = Array(pattern), t = Array(text)
        func match(_ i: Int, _ j: Int) -> Bool {
            if i == p.count { return j == t.count }
            if p[i] == "*" {
                let double = i + 1 < p.count && p[i + 1] == "*"
                let next = double ? i + 2 : i + 1
                var k = j
                while true {
                    if match(next, k) { return true }
                    if k == t.count { return false }
                    if !double && (t[k] == "." || t[k] == "/") { return false }
                    k += 1
                }
            }
            guard j < t.count, p[i] == "?" || p[i] == t[j] else { return false }
            return match(i + 1, j + 1)
        }
        return match(0, 0)
    }
}
