import Foundation
import StoaCore

/// A row of Better Auth's `user` table.
public struct User: Sendable, Equatable {
    public var id: String
    public var name: String
    public var email: String
    public var emailVerified: Bool
    public var image: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: String, name: String, email: String, emailVerified: Bool, image: String?, createdAt: Date, updatedAt: Date) {
        self.id = id; self.name = name; self.email = email; self.emailVerified = emailVerified
        self.image = image; self.createdAt = createdAt; self.updatedAt = updatedAt
    }

    /// Better Auth's JSON for a user.
    public var json: JSONValue {
        .object([
            ("id", .string(id)), ("name", .string(name)), ("email", .string(email)),
            ("emailVerified", .bool(emailVerified)), ("image", .optional(image)),
            ("createdAt", .date(createdAt)), ("updatedAt", .date(updatedAt)),
        ])
    }
}

/// A row of the `session` table.
public struct Session: Sendable, Equatable {
    public var id: String
    public var expiresAt: Date
    public var token: String
    public var createdAt: Date
    public var updatedAt: Date
    public var ipAddress: String?
    public var userAgent: String?
    public var userId: String

    public init(id: String, expiresAt: Date, token: String, createdAt: Date, updatedAt: Date, ipAddress: String?, userAgent: String?, userId: String) {
        self.id = id; self.expiresAt = expiresAt; self.token = token; self.createdAt = createdAt
        self.updatedAt = updatedAt; self.ipAddress = ipAddress; self.userAgent = userAgent; self.userId = userId
    }

    /// Better Auth's JSON for a session; unknown address and agent are `""`.
    public var json: JSONValue {
        .object([
            ("id", .string(id)), ("expiresAt", .date(expiresAt)), ("token", .string(token)),
            ("createdAt", .date(createdAt)), ("updatedAt", .date(updatedAt)),
            ("ipAddress", .string(ipAddress ?? "")), ("userAgent", .string(userAgent ?? "")),
            ("userId", .string(userId)),
        ])
    }
}

/// A row of the `account` table (only what Stoa reads).
public struct Account: Sendable, Equatable {
    public var id: String
    public var accountId: String
    public var providerId: String
    public var issuer: String
    public var userId: String
    public var password: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: String, accountId: String, providerId: String, issuer: String, userId: String, password: String?, createdAt: Date, updatedAt: Date) {
        self.id = id; self.accountId = accountId; self.providerId = providerId; self.issuer = issuer
        self.userId = userId; self.password = password; self.createdAt = createdAt; self.updatedAt = updatedAt
    }
}
