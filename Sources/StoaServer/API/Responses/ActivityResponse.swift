import Foundation
import Identity
import StoaCore

/// One entry of `GET /api/me/activity`: what happened, when, from where. Never an email (a
/// failed sign-in names the address as typed, which may not be the user's own spelling).
struct ActivityResponse: Encodable {
    let id: String
    let type: String
    let createdAt: Date
    let ipAddress: String?
    let userAgent: String?
    /// A small object (`{"scope":"others","count":2}`), `{}` when there is nothing more to say.
    let detail: JSONValue

    init(_ event: AuthEvent) {
        id = event.id; type = event.type.rawValue; createdAt = event.createdAt
        ipAddress = event.ipAddress; userAgent = event.userAgent
        detail = event.detail.flatMap { $0.isObject ? $0 : nil } ?? .object([])
    }
}
