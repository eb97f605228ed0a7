import Assistant
import Conversations
import Foundation
import Identity
import Knowledge
import Logging
import StoaCore
import Storage
import Tasks
import TokenVerification

/// Everything the routes need, built once from the configuration and handed to controllers.
public struct AppServices: Sendable {
    public let configuration: StoaConfiguration
    public let database: any Database
    public let auth: AuthService
    public let cookies: AuthCookies
    public let origins: OriginPolicy
    public let rateLimiter: RateLimiter?
    /// Chat turns and MCP tool calls per user (nil when `STOA_USER_RATE_LIMIT=0`).
    public let userTurnLimiter: UserTurnLimiter?
    public let clientAddress: ClientAddress
    public let hashingPool: HashingPool
    public let clock: any StoaClock
    public let logger: Logger
    /// Signs access JWTs (roles `all` and `auth`).
    public let tokenIssuer: AccessTokenIssuer?
    /// Verifies access JWTs for `/api` (local keys in `all`, the remote JWKS in `api`).
    public let tokenVerifier: TokenVerifier
    public let conversations: any ConversationStore
    /// First history pages kept while this server is the only Stoa process on its PostgreSQL
    /// database (nil on SQLite, or with `STOA_HISTORY_CACHE_MB=0`); switched on and off by the
    /// lease `stoa serve` takes (``SoleProcessLease``), off until then.
    let historyCache: HistoryCache?
    public let tasks: any TaskStore
    /// The shared document collection (`stoa docs ingest`).
    public let documents: any DocumentStore
    /// Search over it: BM25, fused with vector similarity when `STOA_EMBEDDINGS` is set.
    public let documentSearch: any DocumentSearching
    /// The assistant's model (the built-in one until remote providers are configured).
    public var chatModel: any ChatModel
    /// Set when shutdown begins (`/readyz` then answers 503).
    public let drain = Drain()
    /// Prometheus metrics, when `STOA_METRICS` is on (nil: nothing is recorded).
    public var metrics: StoaMetrics? = nil
    /// Mails waiting to be sent (reset, verification, change of email).
    public let mailOutbox: MailOutbox
    /// What delivers them: the log transport unless another is injected here, or set after
    /// ``make(configuration:database:clock:mailTransport:metrics:logger:)`` — `stoa serve` sets
    /// the configured one (``MailTransportFactory``: SMTP, or the log with a start-up warning).
    public var mailTransport: any MailTransport
    /// How often the mail worker looks for mails queued elsewhere (it wakes at once for its own).
    public var mailPollInterval: Duration = .seconds(5)

    /// The Better Auth base URL including the base path, e.g. `http://localhost:8080/api/auth`.
    public var authBaseURL: String { Self.authBaseURL(configuration) }

    static func authBaseURL(_ configuration: StoaConfiguration) -> String {
        let base = configuration.baseURL.hasSuffix("/") ? String(configuration.baseURL.dropLast()) : configuration.baseURL
        return base.hasSuffix("/api/auth") ? base : base + "/api/auth"
    }

    /// Builds the services over an open database.
    public static func make(
        configuration: StoaConfiguration,
        database: any Database,
        clock: any StoaClock = SystemClock(),
        mailTransport: (any MailTransport)? = nil,
        metrics: StoaMetrics? = nil,
        logger: Logger
    ) -> AppServices {
        // Off means nothing is recorded; on, a registry of our own unless the caller brings one.
        let metrics = configuration.metrics.enabled ? (metrics ?? StoaMetrics()) : nil
        let pool = HashingPool(threads: configuration.hashThreads, queueLimit: configuration.hashQueueLimit)
        let passwords = PasswordService(pool: pool)
        let store = SQLAuthStore(database: database, sessionCacheAge: .seconds(configuration.session.cacheAge))
        let outbox = MailOutbox(database: database, clock: clock)
        var auth = AuthService(store: store, passwords: passwords, clock: clock, settings: configuration.session, outbox: outbox, logger: logger)
        auth.revokeSessionsOnReset = configuration.revokeSessionsOnReset
        auth.email = configuration.email
        auth.templates = MailTemplates(appName: configuration.email.appName)
        auth.secrets = configuration.secrets
        auth.authBaseURL = authBaseURL(configuration)
        let cookies = AuthCookies(prefix: configuration.cookiePrefix, secure: configuration.usesSecureCookies,
                                  signer: CookieSigner(secret: configuration.currentSecret), sessionMaxAge: configuration.session.expiresIn)
        let limits = configuration.rateLimit
        let limitStorage: any RateLimitStorage = limits.storage == .database
            ? DatabaseRateLimitStorage(database: database, longestWindow: limits.window) : MemoryRateLimitStorage()
        let limiter = limits.enabled ? RateLimiter(storage: limitStorage, window: limits.window, max: limits.max, clock: clock) : nil
        let turnLimiter = limits.userTurnsPerMinute > 0
            ? UserTurnLimiter(storage: limitStorage, perMinute: limits.userTurnsPerMinute, clock: clock) : nil
        var issuer: AccessTokenIssuer? = nil
        let source: any JWKSSource
        if configuration.role.servesAuth {
            let ring = makeKeyRing(configuration: configuration, database: database, clock: clock, logger: logger)
            issuer = AccessTokenIssuer(keys: ring, issuer: configuration.tokenIssuer, audience: configuration.tokenAudience,
                                       lifetime: TimeInterval(configuration.jwt.expiration), clock: clock)
            source = LocalJWKSSource { Data(try await ring.jwks(forceReload: true).serialized.utf8) }
        } else {
            source = RemoteJWKSSource(url: configuration.jwksURL)
        }
        var verifierSettings = TokenVerifier.Settings(issuer: configuration.tokenIssuer, audience: configuration.expectedAudience)
        verifierSettings.maxTokenBytes = 8 * 1024
        let verifier = TokenVerifier(source: source, settings: verifierSettings, logger: logger, now: { clock.now() })
        let documents = SQLDocumentStore(database: database)
        let historyCache = database.dialect == .postgres && configuration.historyCacheMB > 0 && configuration.role.servesAPI
            ? HistoryCache(maxBytes: configuration.historyCacheMB << 20) : nil
        let conversations: any ConversationStore = historyCache.map { HistoryInvalidatingStore(base: SQLConversationStore(database: database), cache: $0) }
            ?? SQLConversationStore(database: database)
        var services = AppServices(
            configuration: configuration, database: database, auth: auth, cookies: cookies,
            origins: OriginPolicy(baseURL: configuration.baseURL, trustedOrigins: configuration.trustedOrigins),
            rateLimiter: limiter, userTurnLimiter: turnLimiter, clientAddress: ClientAddress(trustedProxies: configuration.rateLimit.trustedProxies),
            hashingPool: pool, clock: clock, logger: logger, tokenIssuer: issuer, tokenVerifier: verifier,
            conversations: conversations, historyCache: historyCache, tasks: SQLTaskStore(database: database),
            documents: documents, documentSearch: makeDocumentSearch(documents, configuration.assistant, logger: logger),
            chatModel: makeChatModel(configuration.assistant, logger: logger, metrics: metrics),
            mailOutbox: outbox, mailTransport: mailTransport ?? LogMailTransport(logger: logger))
        services.metrics = metrics
        return services
    }

    /// Lets `lease` switch the history cache on (this server alone on the database) and off.
    public func follow(_ lease: SoleProcessLease?) {
        guard let lease, let historyCache else { return }
        lease.onChange { historyCache.setEnabled($0) }
    }

    /// The embeddings provider of `STOA_EMBEDDINGS`, if any.
    public static func makeEmbedder(_ settings: AssistantSettings) -> (any Embedder)? {
        switch settings.embeddings {
        case "openai":
            return OpenAIEmbedder(baseURL: settings.openAIBaseURL ?? "https://api.openai.com/v1", apiKey: settings.openAIKey,
                                  model: settings.embeddingsModel ?? "text-embedding-3-small")
        case "gemini":
            guard let key = settings.geminiKey else { return nil }
            return GeminiEmbedder(baseURL: settings.geminiBaseURL ?? "https://generativelanguage.googleapis.com/v1beta", apiKey: key,
                                  model: settings.embeddingsModel ?? "text-embedding-004")
        default:
            return nil
        }
    }

    /// BM25 alone, or fused with embeddings when configured.
    public static func makeDocumentSearch(_ store: any DocumentStore, _ settings: AssistantSettings, logger: Logger) -> any DocumentSearching {
        guard let embedder = makeEmbedder(settings) else { return store }
        return HybridSearch(store: store, embedder: embedder, logger: logger)
    }

    /// The models of `STOA_ASSISTANT`, in order, skipping unconfigured ones; `builtin` last resort.
    /// With `metrics`, each provider is wrapped in a ``MeasuredModel`` labelled with its name.
    public static func makeChatModel(_ settings: AssistantSettings, logger: Logger, metrics: StoaMetrics? = nil) -> any ChatModel {
        var models: [any ChatModel] = []
        func add(_ model: any ChatModel, provider: String) {
            models.append(metrics.map { MeasuredModel(model, provider: provider, metrics: $0) } ?? model)
        }
        for name in settings.order {
            switch name {
            case "openai" where settings.openAIConfigured:
                var openAI = OpenAIModel.Settings(baseURL: settings.openAIBaseURL ?? "https://api.openai.com/v1", apiKey: settings.openAIKey, model: settings.openAIModel)
                openAI.firstTokenTimeout = .seconds(Int64(settings.firstTokenTimeout))
                add(OpenAIModel(settings: openAI), provider: "openai")
            case "gemini":
                guard let key = settings.geminiKey else { continue }
                var gemini = GeminiModel.Settings(apiKey: key, model: settings.geminiModel)
                if let base = settings.geminiBaseURL { gemini.baseURL = base }
                gemini.firstTokenTimeout = .seconds(Int64(settings.firstTokenTimeout))
                add(GeminiModel(settings: gemini), provider: "gemini")
            case "builtin":
                add(BuiltinModel(), provider: "builtin")
            default:
                continue
            }
        }
        if models.isEmpty { add(BuiltinModel(), provider: "builtin") }
        return models.count == 1 ? models[0] : FallbackModel(models, logger: logger)
    }

    /// The key ring over the `jwks` table with the configured algorithm, rotation and grace period.
    public static func makeKeyRing(configuration: StoaConfiguration, database: any Database, clock: any StoaClock, logger: Logger) -> KeyRing {
        var settings = KeyRing.Settings()
        settings.algorithm = SigningAlgorithm(name: configuration.jwt.algorithm) ?? .eddsa
        settings.rotationInterval = configuration.jwt.rotation.map(TimeInterval.init)
        settings.gracePeriod = TimeInterval(configuration.jwt.gracePeriod)
        return KeyRing(store: JWKSStore(database: database), secrets: configuration.secrets, settings: settings, clock: clock, logger: logger)
    }
}
