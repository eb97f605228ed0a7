import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import StoaCore

extension Request {
    /// A path id that must be a UUID; anything else is answered like a missing row (404).
    func uuidParameter(_ context: some RequestContext, _ name: String = "id", notFound: StoaError) throws -> String {
        guard let id = context.parameters.get(name), UUIDv7.isValid(id) else { throw notFound }
        return id.lowercased()
    }

    func page() throws -> PageRequest {
        try PageRequest.parse(limit: uri.queryParameters["limit"].map(String.init), cursor: uri.queryParameters["cursor"].map(String.init))
    }

    func query(_ name: String) -> String? { uri.queryParameters[Substring(name)].map(String.init) }
}

extension StoaError {
    static func notFound(_ what: String) -> StoaError { StoaError(status: 404, code: "NOT_FOUND", message: "\(what) not found.") }
}
