import Foundation
import StoaCore
import Storage

/// The `jwks` table: one row per key, public JWK as JSON text, private key encrypted.
public struct JWKSStore: Sendable {
    let db: any Database
    public init(database: any Database) { db = database }

    public struct Row: Sendable {
        public let id: String
        public let publicKey: String
        public let privateKey: String
        public let createdAt: Date
        public let expiresAt: Date?
        public let alg: String?
    }

    public func all() async throws -> [Row] {
        try await db.query(#"SELECT "id", "publicKey", "privateKey", "createdAt", "expiresAt", "alg" FROM "jwks" ORDER BY "createdAt""#, []).map {
            Row(id: try $0.string("id"), publicKey: try $0.string("publicKey"), privateKey: try $0.string("privateKey"),
                createdAt: try $0.date("createdAt"), expiresAt: $0.optionalDate("expiresAt"), alg: $0.optionalString("alg"))
        }
    }

    /// Stores a new key and, in the same transaction, ends the signing life of `retiring` at
    /// `createdAt` (a rotation, so no process ever sees a moment without a live key) and
    /// records `event` (a key rotation in the audit trail). Other replicas hear of it at once
    /// on PostgreSQL (``DatabaseChange/keys``).
    public func insert(id: String, publicKey: String, privateKey: String, createdAt: Date, expiresAt: Date?, alg: String, crv: String?,
                       retiring: [String] = [], event: AuthEvent? = nil) async throws {
        try await db.transaction { tx in
            for kid in retiring {
                try await tx.execute(#"UPDATE "jwks" SET "expiresAt" = ? WHERE "id" = ?"#, createdAt, kid)
            }
            try await tx.execute(
                #"INSERT INTO "jwks" ("id", "publicKey", "privateKey", "createdAt", "expiresAt", "alg", "crv") VALUES (?, ?, ?, ?, ?, ?, ?)"#,
                id, publicKey, privateKey, createdAt, expiresAt, alg, crv)
            if let event { try await AuthEventStore.record(event, on: tx) }
            try await tx.announce(.keys)
        }
    }

    public func delete(id: String) async throws {
        try await db.transaction { tx in
            try await tx.execute(#"DELETE FROM "jwks" WHERE "id" = ?"#, id)
            try await tx.announce(.keys)
        }
    }
}
