import StoaCore

/// Finds the client's IP address for rate limiting. `X-Forwarded-For` is believed only when
/// the connection comes from a trusted proxy (by default loopback, i.e. a local reverse proxy);
/// otherwise a client could pick a fresh address for every request.
public struct ClientAddress: Sendable {
    let trusted: [String]

    public init(trustedProxies: [String]) { trusted = trustedProxies.map { $0.lowercased() } }

    /// - Parameters:
    ///   - peer: the socket's remote IP, `nil` when unknown (in-process tests).
    ///   - forwardedFor: the `X-Forwarded-For` header.
    public func resolve(peer: String?, forwardedFor: String?) -> String? {
        if let peer, !isTrusted(peer) { return peer }
        guard let header = forwardedFor else { return peer }
        let hops = header.split(separator: "," as Character).map(\.trimmingWhitespace).filter(Self.looksLikeIP)
        // Walk from the nearest hop outwards, skipping our own proxies.
        for hop in hops.reversed() where !isTrusted(hop) { return hop }
        return hops.first ?? peer
    }

    /// Whether `ip` is one of the trusted proxies (whose `X-Forwarded-For` and `X-Request-Id` count).
    public func isTrustedProxy(_ ip: String) -> Bool { isTrusted(ip) }

    func isTrusted(_ ip: String) -> Bool {
        for entry in trusted {
            if entry == "*" { return true }
            if entry == "loopback", ip.hasPrefix("127.") || ip == "::1" || ip.hasPrefix("::ffff:127.") { return true }
            if entry == ip.lowercased() { return true }
        }
        return false
    }

    static func looksLikeIP(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 45 && s.allSatisfy { $0.isHexDigit || $0 == "." || $0 == ":" }
    }
}
