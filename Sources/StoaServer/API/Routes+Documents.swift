import Foundation
import Hummingbird
import Knowledge
import StoaCore

/// `GET /api/documents` and `GET /api/search`: the shared document collection. Documents
/// belong to no user (an operator ingests them), but the routes still need a signed-in one.
struct DocumentRoutes: Sendable {
    let store: any DocumentStore
    let search: any DocumentSearching
    static let maxSearchLimit = 50

    func register(on api: RouterGroup<UserRequestContext>) {
        api.get("documents") { request, _ in try await list(request) }
        api.get("search") { request, _ in try await search(request) }
    }

    func list(_ request: Request) async throws -> Response {
        try .encoded(PageResponse(try await store.list(page: try request.page()), DocumentResponse.init))
    }

    func search(_ request: Request) async throws -> Response {
        guard let q = request.query("q")?.trimmingCharacters(in: .whitespacesAndNewlines), !q.isEmpty else {
            throw StoaError.validation("q is required")
        }
        guard q.count <= 500 else { throw StoaError.validation("q must be at most 500 characters") }
        var limit = 10
        if let raw = request.query("limit") {
            guard let n = Int(raw), (1...Self.maxSearchLimit).contains(n) else {
                throw StoaError.validation("limit must be a whole number from 1 to \(Self.maxSearchLimit)")
            }
            limit = n
        }
        return try .encoded(SearchResponse(try await search.search(q, limit: limit)))
    }
}
