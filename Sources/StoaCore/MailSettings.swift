import Foundation

/// How Stoa sends mail (`STOA_MAIL`, `STOA_SMTP_URL`, `STOA_MAIL_FROM`, `STOA_SMTP_CA_FILE`).
///
/// `STOA_MAIL` is `smtp` or `log`; it defaults to `smtp` when `STOA_SMTP_URL` is set, else `log`
/// (mails are written to the server log). SMTP needs `STOA_MAIL_FROM`.
public struct MailSettings: Sendable, Equatable {
    public enum Transport: String, Sendable, Equatable { case smtp, log }

    public var transport: Transport = .log
    /// Whether `STOA_MAIL` was set (so `log` was chosen, not defaulted to).
    public var transportExplicit: Bool = false
    /// The parsed `STOA_SMTP_URL` (nil when not set).
    public var smtp: SMTPSettings? = nil
    /// `STOA_MAIL_FROM`, parsed (required for SMTP).
    public var from: MailAddress? = nil
    /// `STOA_SMTP_CA_FILE`: a PEM file of extra trusted certificate authorities.
    public var caFile: String? = nil
    public init() {}

    /// Reads the four variables through `value` (flags, environment, `.env`).
    static func load(_ value: (String) -> String?) throws(ConfigurationError) -> MailSettings {
        var settings = MailSettings()
        if let raw = value("STOA_SMTP_URL") { settings.smtp = try SMTPSettings.parse(raw) }
        if let raw = value("STOA_MAIL") {
            guard let transport = Transport(rawValue: raw.lowercased()) else {
                throw ConfigurationError("STOA_MAIL must be smtp or log (got \"\(raw.prefix(20))\")")
            }
            settings.transport = transport
            settings.transportExplicit = true
            if transport == .smtp, settings.smtp == nil {
                throw ConfigurationError("STOA_MAIL=smtp needs STOA_SMTP_URL (e.g. smtp://user:password@smtp.example.com:587)")
            }
        } else {
            settings.transport = settings.smtp == nil ? .log : .smtp
        }
        if let raw = value("STOA_MAIL_FROM") {
            guard let from = MailAddress.parseMailbox(raw) else {
                throw ConfigurationError("STOA_MAIL_FROM must be an address like stoa@example.com or Stoa <stoa@example.com> (got \"\(raw.prefix(80))\")")
            }
            settings.from = from
        }
        if let file = value("STOA_SMTP_CA_FILE") {
            guard FileManager.default.isReadableFile(atPath: file) else {
                throw ConfigurationError("STOA_SMTP_CA_FILE \(file) is not a readable file")
            }
            settings.caFile = file
        }
        if settings.transport == .smtp, settings.from == nil {
            throw ConfigurationError("STOA_MAIL_FROM is required when mail goes out over SMTP (e.g. STOA_MAIL_FROM=\"Stoa <stoa@example.com>\")")
        }
        return settings
    }
}

/// A parsed `STOA_SMTP_URL`: `smtp://[user[:password]@]host[:port][?starttls=off]` (STARTTLS
/// required; `starttls=off` only for loopback hosts) or `smtps://…` (implicit TLS).
public struct SMTPSettings: Sendable, Equatable, CustomStringConvertible {
    public enum Security: String, Sendable, Equatable {
        /// Plain connection upgraded with STARTTLS; refuses to continue without it.
        case startTLS = "starttls"
        /// TLS from the first byte (`smtps://`, port 465).
        case implicitTLS = "tls"
        /// No TLS at all (`?starttls=off`, loopback hosts only).
        case none
    }

    public var host: String
    public var port: Int
    public var security: Security
    /// Percent-decoded; nil means no AUTH.
    public var username: String?
    public var password: String?

    public init(host: String, port: Int, security: Security, username: String? = nil, password: String? = nil) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
    }

    /// Whether the host is 127.0.0.0/8, ::1 or localhost.
    public var isLoopback: Bool { Self.isLoopback(host) }

    /// The URL with the password replaced by `***`, for logs.
    public var redacted: String {
        let scheme = security == .implicitTLS ? "smtps" : "smtp"
        let user = username.map { Self.encodeUserInfo($0) + (password == nil ? "" : ":***") + "@" } ?? ""
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(user)\(hostPart):\(port)" + (security == .none ? "?starttls=off" : "")
    }

    public var description: String { redacted }

    /// Parses `STOA_SMTP_URL`. The error message never contains the password.
    public static func parse(_ raw: String) throws(ConfigurationError) -> SMTPSettings {
        func fail(_ why: String) -> ConfigurationError {
            ConfigurationError("STOA_SMTP_URL \(why) (expected smtp://user:password@host:587 or smtps://user:password@host:465)")
        }
        guard !raw.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F }) else {
            throw fail("must not contain spaces or control characters")
        }
        guard let components = URLComponents(string: raw), let scheme = components.scheme?.lowercased() else {
            throw fail("is not a valid URL")
        }
        let security: Security
        switch scheme {
        case "smtp": security = .startTLS
        case "smtps": security = .implicitTLS
        default: throw fail("must start with smtp:// or smtps:// (got \"\(scheme.prefix(20))://\")")
        }
        var host = components.host ?? ""
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw fail("has no host") }
        guard host.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || ".-:_".unicodeScalars.contains($0)) }) else {
            throw fail("has an invalid host")
        }
        guard components.path.isEmpty || components.path == "/" else { throw fail("must not have a path") }
        guard components.fragment == nil else { throw fail("must not have a fragment") }
        let port = components.port ?? (security == .implicitTLS ? 465 : 587)
        guard (1...65535).contains(port) else { throw fail("has an invalid port") }

        var resolved = security
        for item in components.queryItems ?? [] {
            switch item.name.lowercased() {
            case "starttls":
                switch (item.value ?? "").lowercased() {
                case "on", "true", "yes", "1", "required": continue
                case "off", "false", "no", "0":
                    guard security == .startTLS else { throw fail("uses starttls=off with smtps:// (implicit TLS has no STARTTLS)") }
                    guard isLoopback(host) else {
                        throw ConfigurationError("STOA_SMTP_URL has starttls=off for \(host), which is not a loopback host: mail and passwords would cross the network in plaintext (starttls=off is accepted only for 127.0.0.1, ::1 and localhost)")
                    }
                    resolved = .none
                default: throw fail("has starttls=\((item.value ?? "").prefix(10)); use on or off")
                }
            default:
                throw fail("has an unknown parameter \"\(item.name.prefix(20))\" (only starttls=off is understood)")
            }
        }

        // Foundation leniently keeps a bare "%" in user info; a typo there should not become part
        // of a password silently.
        if let schemeEnd = raw.range(of: "://") {
            let authority = raw[schemeEnd.upperBound...].prefix { !"/?#".contains($0) }
            if let at = authority.lastIndex(of: "@") {
                let userInfo = Array(authority[..<at].utf8)
                for (i, byte) in userInfo.enumerated() where byte == UInt8(ascii: "%") {
                    let hex = Set("0123456789abcdefABCDEF".utf8)
                    guard i + 2 < userInfo.count, hex.contains(userInfo[i + 1]), hex.contains(userInfo[i + 2]) else {
                        throw fail("has a user name or password that is not valid percent-encoding (write % as %25)")
                    }
                }
            }
        }
        var username: String? = nil
        var password: String? = nil
        if let user = components.percentEncodedUser {
            guard let decoded = user.removingPercentEncoding else { throw fail("has a user name that is not valid percent-encoding") }
            if !decoded.isEmpty { username = decoded }
        }
        if let pass = components.percentEncodedPassword {
            guard let decoded = pass.removingPercentEncoding else { throw fail("has a password that is not valid percent-encoding") }
            if !decoded.isEmpty { password = decoded }
        }
        if password != nil, username == nil { throw fail("has a password but no user name") }
        if username != nil, password == nil { throw fail("has a user name but no password") }
        for part in [username, password].compactMap({ $0 }) where part.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw fail("has control characters in the user name or password")
        }
        return SMTPSettings(host: host.lowercased(), port: port, security: resolved, username: username, password: password)
    }

    /// 127.0.0.0/8, ::1 and `localhost` (nothing else counts, not even a name that resolves there).
    public static func isLoopback(_ rawHost: String) -> Bool {
        var host = rawHost.lowercased()
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host == "localhost" || host == "localhost." { return true }
        var v6 = in6_addr()
        if host.contains(":") {
            guard inet_pton(AF_INET6, host, &v6) == 1 else { return false }
            return withUnsafeBytes(of: &v6) { bytes in bytes.prefix(15).allSatisfy { $0 == 0 } && bytes[15] == 1 }
        }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts.allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCIIDigit) && Int($0)! <= 255 }) else {
            return false
        }
        return parts[0] == "127"
    }

    private static func encodeUserInfo(_ s: String) -> String {
        var allowed = CharacterSet.urlUserAllowed
        allowed.remove(charactersIn: ":@")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? "***"
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

/// A mailbox: an address with an optional display name, as in `Stoa <stoa@example.com>`.
public struct MailAddress: Sendable, Equatable, CustomStringConvertible {
    public var name: String?
    /// `local@domain`, checked by ``isValid(_:)``.
    public var address: String

    public init(name: String? = nil, address: String) {
        self.name = name
        self.address = address
    }

    public var description: String { name.map { "\($0) <\(address)>" } ?? address }

    /// The part after `@`.
    public var domain: String { address.split(separator: "@").last.map(String.init) ?? "" }

    /// Parses `addr@x` or `Name <addr@x>` (the name may be quoted). Nil when malformed.
    public static func parseMailbox(_ raw: String) -> MailAddress? {
        let trimmed = raw.trimmingCharacters(in: .whitespaces)
        guard !trimmed.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return nil }
        if trimmed.hasSuffix(">"), let open = trimmed.lastIndex(of: "<") {
            let address = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
            var name = trimmed[..<open].trimmingCharacters(in: .whitespaces)
            if name.count >= 2, name.hasPrefix("\""), name.hasSuffix("\"") {
                name = String(name.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"").replacingOccurrences(of: "\\\\", with: "\\")
            }
            guard isValid(address), !name.contains("<"), !name.contains(">") else { return nil }
            return MailAddress(name: name.isEmpty ? nil : name, address: address)
        }
        guard isValid(trimmed) else { return nil }
        return MailAddress(address: trimmed)
    }

    /// A conservative check of `local@domain` before it goes into a header or `RCPT TO`: ASCII
    /// dot-atom local part (at most 64 bytes), a domain of letters, digits and hyphens (labels of
    /// at most 63, the whole address at most 254). No quoted local parts, no address literals.
    public static func isValid(_ address: String) -> Bool {
        let utf8 = Array(address.utf8)
        guard utf8.count <= 254, let at = utf8.lastIndex(of: UInt8(ascii: "@")) else { return false }
        let local = utf8[..<at]
        let domain = utf8[(at + 1)...]
        guard !local.isEmpty, local.count <= 64, !domain.isEmpty else { return false }
        let atext = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~".utf8)
        let dot = UInt8(ascii: ".")
        for (i, byte) in local.enumerated() {
            if byte == dot {
                if i == 0 || i == local.count - 1 || local[local.startIndex + i - 1] == dot { return false }
            } else if !atext.contains(byte) {
                return false
            }
        }
        let labels = domain.split(separator: dot, omittingEmptySubsequences: false)
        let letterDigit = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
        for label in labels {
            guard !label.isEmpty, label.count <= 63, letterDigit.contains(label.first!), letterDigit.contains(label.last!),
                  label.allSatisfy({ letterDigit.contains($0) || $0 == UInt8(ascii: "-") }) else { return false }
        }
        return true
    }
}
