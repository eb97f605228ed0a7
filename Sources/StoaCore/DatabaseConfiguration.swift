import Foundation

/// Where Stoa keeps its data, parsed from `DATABASE_URL`.
public enum DatabaseConfiguration: Sendable, Equatable {
    /// An SQLite file (created when missing).
    case sqlite(path: String)
    /// A PostgreSQL server.
    case postgres(PostgresSettings)

    /// Connection settings for PostgreSQL, as a `postgres://` URL gives them.
    public struct PostgresSettings: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var username: String
        public var password: String?
        public var database: String?
        public var tls: TLSMode
        /// A Unix-socket directory (`?host=/run/postgresql`), when given instead of a TCP host.
        public var socketDirectory: String?
        /// Connections a server keeps open to PostgreSQL (`STOA_DATABASE_CONNECTIONS`), shared out
        /// between its event loops; all are opened at start and kept.
        public var connections: Int = Self.defaultConnections
        public static let defaultConnections = 20

        public init(host: String, port: Int = 5432, username: String, password: String? = nil, database: String? = nil,
                    tls: TLSMode = .prefer, socketDirectory: String? = nil) {
            self.host = host; self.port = port; self.username = username; self.password = password
            self.database = database; self.tls = tls; self.socketDirectory = socketDirectory
        }

        /// The URL without its password, safe for logs.
        public var redacted: String {
            "postgres://\(username)@\(host):\(port)/\(database ?? "")?sslmode=\(tls.rawValue)"
        }
    }

    /// libpq's `sslmode` values that Stoa honours.
    public enum TLSMode: String, Sendable, Equatable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    /// Parses `DATABASE_URL`. `nil` or empty means the SQLite file `<dataDir>/stoa.db`.
    /// Errors are one clear sentence that never contains the password.
    public static func parse(_ url: String?, dataDirectory: String) throws(ConfigurationError) -> DatabaseConfiguration {
        guard let raw = url?.trimmingCharacters(in: .whitespacesAndNewlines), !raw.isEmpty else {
            return .sqlite(path: (dataDirectory as NSString).appendingPathComponent("stoa.db"))
        }
        let lower = raw.lowercased()
        for prefix in ["sqlite://", "sqlite:", "file://", "file:"] where lower.hasPrefix(prefix) {
            let path = String(raw.dropFirst(prefix.count))
            guard !path.isEmpty else { throw ConfigurationError("DATABASE_URL \"\(prefix)\" names no file; use sqlite:PATH") }
            return .sqlite(path: path)
        }
        guard lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://") else {
            let scheme = raw.split(separator: ":", maxSplits: 1).first.map(String.init) ?? raw
            throw ConfigurationError("DATABASE_URL must start with postgres://, postgresql:// or sqlite: (got scheme \"\(scheme.prefix(20))\")")
        }
        guard let components = URLComponents(string: raw) else {
            throw ConfigurationError("DATABASE_URL is not a valid URL (expected postgres://USER:PASSWORD@HOST:PORT/DATABASE)")
        }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] { query[item.name.lowercased()] = item.value ?? "" }
        let socketDirectory = query["host"].flatMap { $0.hasPrefix("/") ? $0 : nil }
        let host = components.host.flatMap { $0.isEmpty ? nil : $0 } ?? (socketDirectory == nil ? "localhost" : "")
        guard let username = (components.user?.removingPercentEncoding).flatMap({ $0.isEmpty ? nil : $0 }) ?? query["user"] else {
            throw ConfigurationError("DATABASE_URL names no user (expected postgres://USER:PASSWORD@HOST:PORT/DATABASE)")
        }
        let port = components.port ?? Int(query["port"] ?? "") ?? 5432
        guard (1...65535).contains(port) else { throw ConfigurationError("DATABASE_URL has an invalid port") }
        var tls = TLSMode.prefer
        if let mode = query["sslmode"] {
            guard let parsed = TLSMode(rawValue: mode.lowercased()) else {
                throw ConfigurationError("DATABASE_URL sslmode \"\(mode.prefix(20))\" is not one of disable, allow, prefer, require, verify-ca, verify-full")
            }
            tls = parsed
        }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        return .postgres(PostgresSettings(
            host: host, port: port, username: username,
            password: components.password?.removingPercentEncoding ?? query["password"],
            database: path.isEmpty ? nil : (path.removingPercentEncoding ?? path),
            tls: tls, socketDirectory: socketDirectory))
    }

    /// A description safe to log.
    public var redacted: String {
        switch self {
        case .sqlite(let path): return "sqlite:\(path)"
        case .postgres(let settings): return settings.redacted
        }
    }
}
