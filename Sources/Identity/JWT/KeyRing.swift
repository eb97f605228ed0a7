import Foundation
import Logging
import StoaCore

/// The server's JWT signing keys, loaded from the `jwks` table once and cached.
/// Signing never reads the database; the cache is refreshed every `reloadInterval`, at once
/// after changes made through this process, and at once after changes by another process
/// that the server hears of (``forget()`` on PostgreSQL's change notifications).
public actor KeyRing {
    public struct Settings: Sendable {
        public var algorithm: SigningAlgorithm = .eddsa
        /// Keys older than this stop signing and a new one is minted (`STOA_JWT_ROTATION`); nil = never.
        public var rotationInterval: TimeInterval? = nil
        /// How long a retired key stays in the JWKS after it stops signing.
        public var gracePeriod: TimeInterval = 30 * 86_400
        public var reloadInterval: TimeInterval = 60
        public init() {}
    }

    let store: JWKSStore
    let cipher: PrivateKeyCipher
    let settings: Settings
    let clock: any StoaClock
    let logger: Logger
    private var keys: [SigningKey] = []
    private var loadedAt: Date? = nil

    public init(store: JWKSStore, secrets: [String], settings: Settings, clock: any StoaClock, logger: Logger) {
        self.store = store
        self.cipher = PrivateKeyCipher(secrets: secrets)
        self.settings = settings
        self.clock = clock
        self.logger = logger
    }

    /// The key new tokens are signed with: the newest live key of the configured algorithm,
    /// minted when there is none (first start, or the last one expired by rotation).
    public func signingKey() async throws -> SigningKey {
        try await reloadIfStale()
        let now = clock.now()
        if let key = keys.last(where: { $0.algorithm == settings.algorithm && $0.isLive(at: now) }) { return key }
        // The first key is no rotation; a replacement for one that expired (or another algorithm's) is.
        return try await mint(reason: keys.isEmpty ? nil : "automatic")
    }

    /// Keys to publish: every key not yet past its expiry plus the grace period.
    public func publishedKeys(forceReload: Bool = false) async throws -> [SigningKey] {
        if forceReload { try await reload() } else { try await reloadIfStale() }
        if keys.isEmpty { _ = try await signingKey() }
        let now = clock.now()
        return keys.filter { key in key.expiresAt.map { $0.addingTimeInterval(settings.gracePeriod) > now } ?? true }
    }

    /// The JWKS document: `{"keys":[…]}`.
    public func jwks(forceReload: Bool = false) async throws -> JSONValue {
        .object([("keys", .array(try await publishedKeys(forceReload: forceReload).map(\.publishedJWK)))])
    }

    /// Every stored key, including retired ones (for `stoa keys list`).
    public func allKeys() async throws -> [SigningKey] {
        try await reload()
        return keys
    }

    /// Retires the current signing keys now and mints a new one, in one transaction that also
    /// records a `key.rotated` audit event. Retired keys stay published for the grace period, so
    /// tokens they signed keep verifying until they expire.
    @discardableResult
    public func rotate() async throws -> SigningKey {
        try await reload()
        let now = clock.now()
        return try await mint(retiring: keys.filter { $0.isLive(at: now) }.map(\.kid), reason: "manual")
    }

    /// Forgets the loaded keys, so the next use reads the table again (another process rotated
    /// or pruned keys: ``DatabaseChange/keys``).
    public func forget() {
        loadedAt = nil
    }

    /// Deletes keys past expiry + grace. Returns their ids.
    public func prune() async throws -> [String] {
        try await reload()
        let now = clock.now()
        let dead = keys.filter { key in key.expiresAt.map { $0.addingTimeInterval(settings.gracePeriod) <= now } ?? false }
        for key in dead { try await store.delete(id: key.kid) }
        try await reload()
        return dead.map(\.kid)
    }

    /// Makes and stores a new signing key, retiring `retiring` with it. With a `reason` the
    /// change is a rotation, recorded in the audit trail (`manual` or `automatic`).
    private func mint(retiring: [String] = [], reason: String?) async throws -> SigningKey {
        let now = clock.now()
        let key = try SigningKey.generate(settings.algorithm, at: now, expiresAt: settings.rotationInterval.map { now.addingTimeInterval($0) })
        guard let material = key.privateKey else { throw SigningKey.KeyError.noPrivateKey(key.kid) }
        let event = reason.map { reason in
            AuthEvent(userID: nil, type: .keyRotated, detail: .object([
                ("kid", .string(key.kid)), ("alg", .string(key.algorithm.rawValue)), ("reason", .string(reason)),
                ("retired", .array(retiring.map { .string($0) })),
            ]), createdAt: now)
        }
        try await store.insert(id: key.kid, publicKey: key.publicJWK.serialized, privateKey: try cipher.encrypt(material.serialized()),
                               createdAt: now, expiresAt: key.expiresAt, alg: key.algorithm.rawValue,
                               crv: key.publicJWK["crv"]?.stringValue, retiring: retiring, event: event)
        logger.notice("minted a new JWT signing key", metadata: ["kid": "\(key.kid)", "alg": "\(key.algorithm.rawValue)"])
        if retiring.isEmpty { keys.append(key) } else { try await reload() }
        return key
    }

    private func reloadIfStale() async throws {
        if let loadedAt, clock.now().timeIntervalSince(loadedAt) < settings.reloadInterval, loadedAt <= clock.now() { return }
        try await reload()
    }

    private func reload() async throws {
        var loaded: [SigningKey] = []
        for row in try await store.all() {
            guard let jwk = JSONValue.parse(Data(row.publicKey.utf8)), let algorithm = Self.algorithm(row.alg, jwk: jwk) else {
                logger.warning("skipping an unreadable key in the jwks table", metadata: ["kid": "\(row.id)"])
                continue
            }
            var material: SigningKey.PrivateKeyMaterial? = nil
            do {
                material = try SigningKey.PrivateKeyMaterial.parse(try cipher.decrypt(row.privateKey))
            } catch {
                // Still published (old tokens verify), but never used to sign.
                logger.warning("a JWT key cannot be decrypted; it is published but not used for signing",
                               metadata: ["kid": "\(row.id)", "reason": "\(error)"])
            }
            loaded.append(SigningKey(kid: row.id, algorithm: algorithm, createdAt: row.createdAt, expiresAt: row.expiresAt,
                                     publicJWK: jwk, privateKey: material))
        }
        keys = loaded.sorted { $0.createdAt < $1.createdAt }
        loadedAt = clock.now()
    }

    static func algorithm(_ alg: String?, jwk: JSONValue) -> SigningAlgorithm? {
        if let alg, let parsed = SigningAlgorithm(name: alg) { return parsed }
        switch (jwk["kty"]?.stringValue, jwk["crv"]?.stringValue) {
        case ("OKP", "Ed25519"): return .eddsa
        case ("EC", "P-256"): return .es256
        case ("RSA", _): return .rs256
        default: return nil
        }
    }
}
