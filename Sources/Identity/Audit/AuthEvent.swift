import Foundation
import StoaCore

/// What an audit row records. The raw values are what `auth_event.type` holds, what
/// `stoa audit list` prints and what `GET /api/me/activity` answers. A struct rather than an
/// enum, so rows written by a newer Stoa (a type this one does not know) still read.
public struct AuthEventType: RawRepresentable, Hashable, Sendable {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let signUp = AuthEventType(rawValue: "user.signed_up")
    public static let signIn = AuthEventType(rawValue: "session.signed_in")
    /// Wrong password, unknown email or no password account (`detail.reason`).
    public static let signInFailed = AuthEventType(rawValue: "session.sign_in_failed")
    public static let signOut = AuthEventType(rawValue: "session.signed_out")
    /// One session, every session, or every other session ended (`detail.scope`: `one`, `all`, `others`).
    public static let sessionRevoked = AuthEventType(rawValue: "session.revoked")
    public static let passwordChanged = AuthEventType(rawValue: "password.changed")
    public static let passwordResetRequested = AuthEventType(rawValue: "password.reset_requested")
    public static let passwordResetCompleted = AuthEventType(rawValue: "password.reset_completed")
    public static let userUpdated = AuthEventType(rawValue: "user.updated")
    public static let userDeleted = AuthEventType(rawValue: "user.deleted")
    /// A new JWT signing key replaced the current ones (`detail.reason`: `manual` for
    /// `stoa keys rotate`, `scheduled` when `STOA_JWT_ROTATION` retired the last one).
    public static let keyRotated = AuthEventType(rawValue: "key.rotated")
    /// A verification mail was queued (`detail.reason`: `sign_up`, `request`, `sign_in`).
    public static let emailVerificationSent = AuthEventType(rawValue: "email.verification_sent")
    /// A verification link was followed and the address is now verified.
    public static let emailVerified = AuthEventType(rawValue: "email.verified")
    /// A change of email was asked for (`email`: the new address); the mail goes to the new address.
    public static let emailChangeRequested = AuthEventType(rawValue: "email.change_requested")
    /// The new address followed its link and is now the account's (`email`: the new address).
    public static let emailChanged = AuthEventType(rawValue: "email.changed")

    /// Every type this version writes.
    public static let all: [AuthEventType] = [
        .signUp, .signIn, .signInFailed, .signOut, .sessionRevoked, .passwordChanged, .passwordResetRequested,
        .passwordResetCompleted, .userUpdated, .userDeleted, .keyRotated,
        .emailVerificationSent, .emailVerified, .emailChangeRequested, .emailChanged,
    ]
}

/// One row of the append-only `auth_event` table. Never holds a secret: no password, token,
/// cookie or reset link, only who, what, from where and when.
public struct AuthEvent: Sendable, Equatable {
    public var id: String
    /// The user it concerns; nil for a failed sign-in or reset request of an unknown address,
    /// and for key rotations.
    public var userID: String?
    public var type: AuthEventType
    /// The address as typed, for events that may name no user (failed sign-in, reset request).
    public var email: String?
    public var ipAddress: String?
    public var userAgent: String?
    /// A small object with what else matters (`{"scope":"others"}`, `{"reason":"wrong_password"}`).
    public var detail: JSONValue?
    public var createdAt: Date

    /// The longest user agent kept, in UTF-8 bytes.
    public static let maxUserAgentBytes = 512
    /// The longest email kept (an address is at most 254 characters).
    public static let maxEmailBytes = 320

    public init(id: String? = nil, userID: String?, type: AuthEventType, email: String? = nil,
                ipAddress: String? = nil, userAgent: String? = nil, detail: JSONValue? = nil, createdAt: Date) {
        self.id = id ?? UUIDv7.generate(at: createdAt)
        self.userID = userID
        self.type = type
        self.email = email.map { Self.truncated($0, bytes: Self.maxEmailBytes) }
        self.ipAddress = ipAddress
        self.userAgent = userAgent.map { Self.truncated($0, bytes: Self.maxUserAgentBytes) }
        self.detail = detail
        self.createdAt = createdAt
    }

    /// `text` cut to at most `bytes` UTF-8 bytes, between Unicode scalars (so still valid UTF-8).
    static func truncated(_ text: String, bytes: Int) -> String {
        guard text.utf8.count > bytes else { return text }
        var kept = String.UnicodeScalarView()
        var used = 0
        for scalar in text.unicodeScalars {
            used += UTF8.width(scalar)
            guard used <= bytes else { break }
            kept.append(scalar)
        }
        return String(kept)
    }
}

extension AuthEvent {
    /// The row as JSON (`stoa audit list --json`): every column, camelCase.
    public var json: JSONValue {
        .object([
            ("id", .string(id)), ("createdAt", .date(createdAt)), ("type", .string(type.rawValue)), ("userId", .optional(userID)),
            ("email", .optional(email)), ("ipAddress", .optional(ipAddress)), ("userAgent", .optional(userAgent)),
            ("detail", detail ?? .null),
        ])
    }
}

extension Optional where Wrapped == JSONValue {
    /// This detail object with `key` set (a new object when there is none).
    func adding(_ key: String, _ value: JSONValue) -> JSONValue {
        guard case .object(var pairs)? = self else { return .object([(key, value)]) }
        pairs.removeAll { $0.0 == key }
        pairs.append((key, value))
        return .object(pairs)
    }
}
