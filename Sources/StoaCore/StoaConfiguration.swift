import Foundation

/// Everything a Stoa process is configured with. Values come from, highest first:
/// command-line flags, the environment, a `.env` file in the working directory, defaults.
/// Better Auth's variable names are honoured so existing deployments keep working.
public struct StoaConfiguration: Sendable {
    public var host: String = "127.0.0.1"
    public var port: Int = 8080
    public var role: ServerRole = .all
    public var dataDirectory: String = ".stoa"
    public var database: DatabaseConfiguration = .sqlite(path: ".stoa/stoa.db")
    /// Secrets, newest first. The first signs cookies; all of them can decrypt stored keys.
    public var secrets: [String] = []
    /// Where each secret came from (for the start-up log), e.g. `BETTER_AUTH_SECRET`.
    public var secretSource: String? = nil
    /// The public base URL (`BETTER_AUTH_URL`); defaults to `http://HOST:PORT`.
    public var baseURL: String = "http://127.0.0.1:8080"
    /// Extra trusted origins (`BETTER_AUTH_TRUSTED_ORIGINS`, comma-separated).
    public var trustedOrigins: [String] = []
    public var rateLimit = RateLimitSettings()
    public var session = SessionSettings()
    /// Cookie names start with this (`better-auth`).
    public var cookiePrefix: String = "better-auth"
    /// Forces `__Secure-` cookies on or off; `nil` decides from the base URL.
    public var secureCookies: Bool? = nil
    /// Threads that run password hashing.
    public var hashThreads: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// Hash jobs that may wait for a thread before new ones are refused with 503.
    public var hashQueueLimit: Int = 64
    /// Run migrations on start-up.
    public var migrateOnStart: Bool = true
    /// Serve the web UI's files from this folder instead of the built-in copy (`STOA_WEB_DIR`;
    /// for UI development: edits show on reload without rebuilding).
    public var webDirectory: String? = nil
    public var logLevel: String = "info"
    /// `STOA_LOG_FORMAT`: `text` (default) or `json` (one object a line, with a line per request).
    public var logFormat: String = "text"
    /// Disables the origin/CSRF check (Better Auth's `disableCSRFCheck`); only for tests.
    public var disableOriginCheck: Bool = false
    public var jwt = JWTSettings()
    public var assistant = AssistantSettings()
    public var server = ServerLimits()
    /// Whether a password reset signs the user out everywhere and voids their other reset
    /// links (`STOA_REVOKE_SESSIONS_ON_RESET`, on; Better Auth's default is off).
    public var revokeSessionsOnReset: Bool = true
    /// Days the audit trail (`auth_event`) keeps a row (`STOA_AUDIT_RETENTION_DAYS`, 90; 0 = forever).
    public var auditRetentionDays: Int = 90
    /// Megabytes of first history pages an API server keeps in memory while it is the only Stoa
    /// process on its PostgreSQL database (`STOA_HISTORY_CACHE_MB`, 32; 0 = off).
    public var historyCacheMB: Int = 32
    /// Prometheus metrics at `/metrics` (off by default).
    public var metrics = MetricsSettings()
    /// Email verification, change of email and the mails' app name.
    public var email = EmailSettings()
    /// How mail goes out: SMTP or the server log (`STOA_MAIL`, `STOA_SMTP_URL`, `STOA_MAIL_FROM`,
    /// `STOA_SMTP_CA_FILE`).
    public var mail = MailSettings()

    public init() {}

    /// The process needs a configured secret (auth and api roles must share one).
    public var requiresConfiguredSecret: Bool { role != .all }

    /// The secret that signs cookies.
    public var currentSecret: String { secrets.first ?? "" }

    /// The origin of the base URL (`scheme://host[:port]`), Better Auth's default `iss`/`aud`.
    public var baseOrigin: String {
        guard let components = URLComponents(string: baseURL), let scheme = components.scheme?.lowercased(), let host = components.host else { return baseURL }
        let defaultPort = (scheme == "http" && components.port == 80) || (scheme == "https" && components.port == 443)
        return "\(scheme)://\(host.lowercased())" + (components.port.map { defaultPort ? "" : ":\($0)" } ?? "")
    }

    /// `iss` of issued tokens, and what the verifier expects.
    public var tokenIssuer: String { jwt.issuer ?? baseOrigin }
    /// `aud` of issued tokens.
    public var tokenAudience: String { jwt.apiBaseURL ?? tokenIssuer }
    /// The audience the verifier requires: `API_AUDIENCE`, else `API_BASE_URL`, else the issuer.
    public var expectedAudience: String { jwt.expectedAudience ?? jwt.apiBaseURL ?? tokenIssuer }

    /// Where the api role fetches the JWKS: `BETTER_AUTH_JWKS_URL`, else `<BETTER_AUTH_URL>/api/auth/jwks`.
    public var jwksURL: String {
        if let url = jwt.jwksURL { return url }
        let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        return (base.hasSuffix("/api/auth") ? base : base + "/api/auth") + "/jwks"
    }

    /// Whether cookies get the `__Secure-` prefix and the `Secure` attribute.
    public var usesSecureCookies: Bool { secureCookies ?? baseURL.lowercased().hasPrefix("https://") }
}

/// Better Auth's rate-limit rules, with Stoa's default of "on".
public struct RateLimitSettings: Sendable {
    public enum Storage: String, Sendable { case memory, database }
    public var enabled = true
    public var storage: Storage = .memory
    /// Default window and maximum for paths without a special rule.
    public var window: Int = 10
    public var max: Int = 100
    /// Chat turns and MCP tool calls per user per minute (`STOA_USER_RATE_LIMIT`; 0 = no limit).
    public var userTurnsPerMinute: Int = 30
    /// Peers whose `X-Forwarded-For` is believed. `loopback` (default) trusts 127.0.0.0/8 and ::1.
    public var trustedProxies: [String] = ["loopback"]
    public init() {}
}

/// The HTTP server's bounds on connections (`STOA_HEADER_TIMEOUT`, `STOA_IDLE_TIMEOUT`,
/// `STOA_MAX_CONNECTIONS`, `STOA_MAX_HEADER_BYTES`, `STOA_SHUTDOWN_GRACE`).
public struct ServerLimits: Sendable {
    /// Seconds a new connection (or the next request on a kept-alive one) has to send its headers.
    public var headerTimeout: Int = 10
    /// Seconds a connection may stay open with nothing to read or write.
    public var idleTimeout: Int = 60
    /// Open connections at most; more are closed at once (with a log line).
    public var maxConnections: Int = 4_096
    /// The largest request head (request line and headers), in bytes; more gets `431`.
    public var maxHeaderBytes: Int = 16 << 10
    /// Seconds requests and streams in flight get to finish after SIGTERM before they are
    /// cut (`STOA_SHUTDOWN_GRACE`).
    public var shutdownGrace: Int = 20
    public init() {}
}

/// Access JWTs: how they are issued and how the API verifies them.
public struct JWTSettings: Sendable {
    /// `EdDSA`, `ES256` or `RS256` (`STOA_JWT_ALG`).
    public var algorithm: String = "EdDSA"
    /// Token lifetime in seconds (`STOA_JWT_EXPIRATION`, Better Auth's 15 minutes by default).
    public var expiration: Int = 900
    /// Automatic key rotation interval in seconds (`STOA_JWT_ROTATION`); nil = only `stoa keys rotate`.
    public var rotation: Int? = nil
    /// How long retired keys stay in the JWKS (`STOA_JWT_GRACE`, 30 days).
    public var gracePeriod: Int = 2_592_000
    /// `iss` of issued tokens and expected by the verifier (`BETTER_AUTH_ISSUER`); default: the base URL origin.
    public var issuer: String? = nil
    /// `API_BASE_URL`: the audience of issued tokens (default: the issuer).
    public var apiBaseURL: String? = nil
    /// `API_AUDIENCE`: the audience the verifier expects (default: `API_BASE_URL`, else the issuer).
    public var expectedAudience: String? = nil
    /// `BETTER_AUTH_JWKS_URL`: where the api role fetches keys.
    public var jwksURL: String? = nil
    public init() {}
}

/// Which models answer, in order (`STOA_ASSISTANT`), and how to reach them.
public struct AssistantSettings: Sendable {
    /// Providers to try in order; unconfigured ones are skipped. `builtin` always works.
    public var order: [String] = ["openai", "gemini", "builtin"]
    public var openAIKey: String? = nil
    /// An OpenAI-compatible server; setting it alone (no key) enables local servers.
    public var openAIBaseURL: String? = nil
    public var openAIModel: String = "gpt-4o-mini"
    public var geminiKey: String? = nil
    public var geminiModel: String = "gemini-2.0-flash"
    /// Another Gemini API endpoint (a proxy, or a test server).
    public var geminiBaseURL: String? = nil
    /// `STOA_EMBEDDINGS`: `openai` or `gemini` gives chunks vectors at ingest and fuses vector
    /// similarity with BM25 at search; nil = BM25 alone.
    public var embeddings: String? = nil
    /// `STOA_EMBEDDINGS_MODEL` (default `text-embedding-3-small` / `text-embedding-004`).
    public var embeddingsModel: String? = nil
    /// Seconds to wait for a provider's first token (`STOA_ASSISTANT_TIMEOUT`).
    public var firstTokenTimeout: Int = 30
    /// How much recent conversation (characters) goes to the model (`STOA_ASSISTANT_CONTEXT`).
    public var contextBudget: Int = 24_000
    public init() {}

    /// Whether the OpenAI-compatible provider has what it needs.
    public var openAIConfigured: Bool { openAIKey != nil || openAIBaseURL != nil }
}

/// Session lifetimes in seconds (Better Auth defaults).
public struct SessionSettings: Sendable {
    public var expiresIn: Int = 604_800
    public var updateAge: Int = 86_400
    /// 0 disables the freshness check.
    public var freshAge: Int = 86_400
    /// How long (seconds) the all-in-one role may trust a session it looked up for an access
    /// JWT's `sid` without reading it again; 0 reads it on every request. A session revoked
    /// through this process is refused at once either way.
    public var cacheAge: Int = 5
    public init() {}
}

extension StoaConfiguration {
    /// Builds a configuration from flags (keyed by their environment names, e.g. `PORT`),
    /// the environment and a `.env` file. Throws one clear sentence for bad values.
    public static func load(
        flags: [String: String] = [:],
        environment: [String: String] = ProcessInfo.processInfo.environment,
        dotEnvPath: String? = ".env"
    ) throws(ConfigurationError) -> StoaConfiguration {
        let dotEnv = dotEnvPath.map { DotEnv.load(path: $0) } ?? [:]
        func value(_ key: String) -> String? {
            for source in [flags, environment, dotEnv] {
                if let v = source[key], !v.trimmingCharacters(in: .whitespaces).isEmpty { return v.trimmingCharacters(in: .whitespaces) }
            }
            return nil
        }
        func int(_ key: String, _ range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
            guard let raw = value(key) else { return nil }
            guard let v = Int(raw), range.contains(v) else {
                throw ConfigurationError("\(key) must be a whole number from \(range.lowerBound) to \(range.upperBound) (got \"\(raw.prefix(40))\")")
            }
            return v
        }
        func bool(_ key: String) throws(ConfigurationError) -> Bool? {
            guard let raw = value(key)?.lowercased() else { return nil }
            switch raw {
            case "1", "true", "on", "yes": return true
            case "0", "false", "off", "no": return false
            default: throw ConfigurationError("\(key) must be on or off (got \"\(raw.prefix(40))\")")
            }
        }

        var config = StoaConfiguration()
        if let host = value("HOST") { config.host = host }
        if let port = try int("PORT", 0...65535) { config.port = port }
        if let role = value("STOA_ROLE") {
            guard let parsed = ServerRole(rawValue: role.lowercased()) else {
                throw ConfigurationError("unknown role \"\(role.prefix(40))\": use all, auth or api")
            }
            config.role = parsed
        }
        if let dir = value("STOA_DATA_DIR") { config.dataDirectory = dir }
        if let dir = value("STOA_WEB_DIR"), !dir.isEmpty { config.webDirectory = dir }
        config.database = try DatabaseConfiguration.parse(value("DATABASE_URL"), dataDirectory: config.dataDirectory)
        if let connections = try int("STOA_DATABASE_CONNECTIONS", 2...1_000), case .postgres(var settings) = config.database {
            settings.connections = connections
            config.database = .postgres(settings)
        }

        if let list = value("BETTER_AUTH_SECRETS") {
            config.secrets = list.split(separator: ",").map { entry in
                let trimmed = entry.trimmingCharacters(in: .whitespaces)
                // Accept Better Auth's versioned form "N:secret" as well as bare secrets.
                if let colon = trimmed.firstIndex(of: ":"), Int(trimmed[..<colon]) != nil {
                    return String(trimmed[trimmed.index(after: colon)...])
                }
                return trimmed
            }.filter { !$0.isEmpty }
            config.secretSource = "BETTER_AUTH_SECRETS"
        }
        for key in ["BETTER_AUTH_SECRET", "AUTH_SECRET"] where config.secrets.isEmpty {
            if let secret = value(key) { config.secrets = [secret]; config.secretSource = key }
        }

        let defaultHost = (config.host == "0.0.0.0" || config.host == "::") ? "localhost" : config.host
        let hostForURL = defaultHost.contains(":") ? "[\(defaultHost)]" : defaultHost
        config.baseURL = value("BETTER_AUTH_URL") ?? "http://\(hostForURL):\(config.port)"
        guard let base = URLComponents(string: config.baseURL), let scheme = base.scheme?.lowercased(),
              scheme == "http" || scheme == "https", base.host?.isEmpty == false else {
            throw ConfigurationError("BETTER_AUTH_URL must be an http:// or https:// URL (got \"\(config.baseURL.prefix(80))\")")
        }
        if let origins = value("BETTER_AUTH_TRUSTED_ORIGINS") {
            config.trustedOrigins = origins.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }

        if let enabled = try bool("STOA_RATE_LIMIT") { config.rateLimit.enabled = enabled }
        if let storage = value("STOA_RATE_LIMIT_STORAGE") {
            guard let parsed = RateLimitSettings.Storage(rawValue: storage.lowercased()) else {
                throw ConfigurationError("STOA_RATE_LIMIT_STORAGE must be memory or database (got \"\(storage.prefix(40))\")")
            }
            config.rateLimit.storage = parsed
        }
        if let window = try int("STOA_RATE_LIMIT_WINDOW", 1...86_400) { config.rateLimit.window = window }
        if let max = try int("STOA_RATE_LIMIT_MAX", 1...1_000_000) { config.rateLimit.max = max }
        if let turns = try int("STOA_USER_RATE_LIMIT", 0...1_000_000) { config.rateLimit.userTurnsPerMinute = turns }
        if let revoke = try bool("STOA_REVOKE_SESSIONS_ON_RESET") { config.revokeSessionsOnReset = revoke }
        if let days = try int("STOA_AUDIT_RETENTION_DAYS", 0...36_500) { config.auditRetentionDays = days }
        if let megabytes = try int("STOA_HISTORY_CACHE_MB", 0...65_536) { config.historyCacheMB = megabytes }
        if let v = try int("STOA_HEADER_TIMEOUT", 1...3_600) { config.server.headerTimeout = v }
        if let v = try int("STOA_IDLE_TIMEOUT", 1...86_400) { config.server.idleTimeout = v }
        if let v = try int("STOA_MAX_CONNECTIONS", 1...1_000_000) { config.server.maxConnections = v }
        if let v = try int("STOA_MAX_HEADER_BYTES", 1_024...1_048_576) { config.server.maxHeaderBytes = v }
        if let v = try int("STOA_SHUTDOWN_GRACE", 0...3_600) { config.server.shutdownGrace = v }
        if let proxies = value("STOA_TRUSTED_PROXIES") {
            config.rateLimit.trustedProxies = proxies.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        if let v = try int("STOA_SESSION_EXPIRES_IN", 60...34_560_000) { config.session.expiresIn = v }
        if let v = try int("STOA_SESSION_UPDATE_AGE", 0...34_560_000) { config.session.updateAge = v }
        if let v = try int("STOA_SESSION_FRESH_AGE", 0...34_560_000) { config.session.freshAge = v }
        if let v = try int("STOA_SESSION_CACHE_AGE", 0...300) { config.session.cacheAge = v }
        if let prefix = value("STOA_COOKIE_PREFIX") { config.cookiePrefix = prefix }
        config.secureCookies = try bool("STOA_SECURE_COOKIES")
        if let v = try int("STOA_HASH_THREADS", 1...256) { config.hashThreads = v }
        if let v = try int("STOA_HASH_QUEUE", 1...100_000) { config.hashQueueLimit = v }
        if let migrate = try bool("STOA_MIGRATE") { config.migrateOnStart = migrate }
        if let level = value("STOA_LOG_LEVEL") ?? value("LOG_LEVEL") {
            let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
            guard levels.contains(level.lowercased()) else {
                throw ConfigurationError("STOA_LOG_LEVEL must be one of \(levels.joined(separator: ", "))")
            }
            config.logLevel = level.lowercased()
        }
        if let format = value("STOA_LOG_FORMAT") {
            guard ["text", "json"].contains(format.lowercased()) else { throw ConfigurationError("STOA_LOG_FORMAT must be text or json") }
            config.logFormat = format.lowercased()
        }
        if let disable = try bool("STOA_DISABLE_ORIGIN_CHECK") { config.disableOriginCheck = disable }
        if let name = value("STOA_APP_NAME") {
            guard name.count <= 100, !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw ConfigurationError("STOA_APP_NAME must be one line of at most 100 characters")
            }
            config.email.appName = name
        }
        config.email.sendOnSignUp = try bool("STOA_SEND_VERIFICATION_ON_SIGNUP")
        if let v = try bool("STOA_REQUIRE_EMAIL_VERIFICATION") { config.email.requireVerification = v }
        if let v = try bool("STOA_AUTO_SIGN_IN_AFTER_VERIFICATION") { config.email.autoSignInAfterVerification = v }
        if let v = try bool("STOA_CHANGE_EMAIL") { config.email.changeEmailEnabled = v }
        if let v = try int("STOA_EMAIL_VERIFICATION_EXPIRES_IN", 60...604_800) { config.email.tokenLifetime = v }
        config.metrics = try MetricsSettings.load(value, mainPort: config.port)
        config.mail = try MailSettings.load(value)

        if let alg = value("STOA_JWT_ALG") {
            guard ["eddsa", "es256", "rs256"].contains(alg.lowercased()) else {
                throw ConfigurationError("STOA_JWT_ALG must be EdDSA, ES256 or RS256 (got \"\(alg.prefix(20))\")")
            }
            config.jwt.algorithm = alg
        }
        if let v = try int("STOA_JWT_EXPIRATION", 10...86_400 * 30) { config.jwt.expiration = v }
        if let raw = value("STOA_JWT_ROTATION"), !["0", "off", "none"].contains(raw.lowercased()) {
            config.jwt.rotation = try int("STOA_JWT_ROTATION", 60...86_400 * 3650)
        }
        if let v = try int("STOA_JWT_GRACE", 0...86_400 * 3650) { config.jwt.gracePeriod = v }
        config.jwt.issuer = value("BETTER_AUTH_ISSUER")
        config.jwt.apiBaseURL = value("API_BASE_URL")
        config.jwt.expectedAudience = value("API_AUDIENCE")
        if let order = value("STOA_ASSISTANT") {
            let names = order.lowercased().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            if let unknown = names.first(where: { !["openai", "gemini", "builtin"].contains($0) }) {
                throw ConfigurationError("STOA_ASSISTANT lists an unknown provider \"\(unknown.prefix(20))\" (use openai, gemini, builtin)")
            }
            config.assistant.order = names
        }
        config.assistant.openAIKey = value("OPENAI_API_KEY")
        if let url = value("OPENAI_BASE_URL") {
            guard let parsed = URLComponents(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? "") else {
                throw ConfigurationError("OPENAI_BASE_URL must be an http:// or https:// URL")
            }
            config.assistant.openAIBaseURL = url
        }
        if let model = value("OPENAI_MODEL") { config.assistant.openAIModel = model }
        config.assistant.geminiKey = value("GEMINI_API_KEY")
        if let model = value("GEMINI_MODEL") { config.assistant.geminiModel = model }
        config.assistant.geminiBaseURL = value("GEMINI_BASE_URL")
        if let v = try int("STOA_ASSISTANT_TIMEOUT", 1...600) { config.assistant.firstTokenTimeout = v }
        if let raw = value("STOA_EMBEDDINGS")?.lowercased(), !["", "off", "none"].contains(raw) {
            switch raw {
            case "openai":
                guard config.assistant.openAIConfigured else { throw ConfigurationError("STOA_EMBEDDINGS=openai needs OPENAI_API_KEY or OPENAI_BASE_URL") }
            case "gemini":
                guard config.assistant.geminiKey != nil else { throw ConfigurationError("STOA_EMBEDDINGS=gemini needs GEMINI_API_KEY") }
            default:
                throw ConfigurationError("STOA_EMBEDDINGS must be openai, gemini or off (got \"\(raw.prefix(20))\")")
            }
            config.assistant.embeddings = raw
        }
        config.assistant.embeddingsModel = value("STOA_EMBEDDINGS_MODEL")
        if let v = try int("STOA_ASSISTANT_CONTEXT", 1_000...2_000_000) { config.assistant.contextBudget = v }
        if let url = value("BETTER_AUTH_JWKS_URL") {
            guard let parsed = URLComponents(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""), parsed.host?.isEmpty == false else {
                throw ConfigurationError("BETTER_AUTH_JWKS_URL must be an http:// or https:// URL")
            }
            config.jwt.jwksURL = url
        }
        return config
    }
}
