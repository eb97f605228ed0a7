import StoaCore

/// Password hashing and checking, off the event loops, with Better Auth's length rules.
public struct PasswordService: Sendable {
    public let hasher = ScryptPasswordHasher()
    public let pool: HashingPool
    public static let minLength = 8
    public static let maxLength = 128

    public init(pool: HashingPool) { self.pool = pool }

    /// Better Auth counts length in UTF-16 units, before normalisation.
    public func checkLength(_ password: String) throws(AuthError) {
        let length = password.utf16.count
        if length < Self.minLength { throw .passwordTooShort }
        if length > Self.maxLength { throw .passwordTooLong }
    }

    public func hash(_ password: String) async throws -> String {
        let hasher = self.hasher
        return try await runPooled { try hasher.hash(password) }
    }

    public func verify(_ password: String, hash: String) async throws -> Bool {
        let hasher = self.hasher
        return try await runPooled {
            do { return try hasher.verify(password, hash: hash) } catch is ScryptPasswordHasher.MalformedHash {
                throw AuthError.storedHashMalformed
            }
        }
    }

    /// One hash's worth of work with no result (uniform timing for unknown users).
    public func burn(_ password: String) async throws {
        let hasher = self.hasher
        try await runPooled { hasher.burn(password) }
    }

    private func runPooled<T: Sendable>(_ work: @Sendable @escaping () throws -> T) async throws -> T {
        do {
            return try await pool.run(work)
        } catch is HashingPool.Busy {
            throw AuthError.hashingBusy
        }
    }
}
