import Foundation
import StoaCore

/// The account changes that only touch the store, each recorded in the audit trail with the
/// change, and the helpers that build those records.
extension AuthService {
    /// An audit record of `type` now, from `client`.
    func event(_ type: AuthEventType, userID: String?, email: String? = nil, client: Client?, detail: JSONValue? = nil) -> AuthEvent {
        AuthEvent(userID: userID, type: type, email: email, ipAddress: client?.ipAddress, userAgent: client?.userAgent,
                  detail: detail, createdAt: clock.now())
    }

    /// Records a failed sign-in with the address as typed (never the password). It changes
    /// nothing, so it is a plain insert; a failure to write it is logged, never thrown, so the
    /// sign-in still answers as it would have.
    func recordFailedSignIn(userID: String?, email: String, reason: String, client: Client) async {
        let record = event(.signInFailed, userID: userID, email: email, client: client, detail: .object([("reason", .string(reason))]))
        do {
            try await store.recordEvent(record)
        } catch {
            logger.error("could not record a failed sign-in", metadata: ["error": "\(String(reflecting: type(of: error)))"])
        }
    }

    /// Ends the session with `token` (sign-out), recording it when there was one.
    public func signOut(token: String, client: Client) async throws {
        try await store.deleteSession(token: token, event: event(.signOut, userID: nil, client: client))
    }

    /// Ends one of the user's sessions by its token; nothing happens (nor is recorded) for a token not theirs.
    public func revokeSession(token: String, userID: String, client: Client) async throws {
        try await store.deleteSession(token: token, userID: userID,
                                      event: event(.sessionRevoked, userID: userID, client: client, detail: .object([("scope", .string("one"))])))
    }

    /// Ends every session of the user, or every one but `keeping`.
    public func revokeSessions(userID: String, keeping token: String?, client: Client) async throws {
        let scope = token == nil ? "all" : "others"
        try await store.deleteSessions(userID: userID, except: token,
                                       event: event(.sessionRevoked, userID: userID, client: client, detail: .object([("scope", .string(scope))])))
    }

    /// Changes the user's name and/or image (`image` `.some(nil)` clears it).
    @discardableResult
    public func updateUser(id: String, name: String?, image: String??, client: Client) async throws -> User? {
        var fields: [JSONValue] = []
        if name != nil { fields.append(.string("name")) }
        if image != nil { fields.append(.string("image")) }
        return try await store.updateUser(id: id, name: name, image: image, at: clock.now(),
                                          event: event(.userUpdated, userID: id, client: client, detail: .object([("fields", .array(fields))])))
    }

    /// Deletes the user and everything they own; their audit rows stay without personal fields.
    /// - Parameter by: who asked (`self` through the API, `cli` for `stoa users delete`).
    public func deleteUser(id: String, client: Client?, by: String = "self") async throws {
        try await store.deleteUser(id: id, event: event(.userDeleted, userID: id, client: client, detail: .object([("by", .string(by))])))
    }
}
