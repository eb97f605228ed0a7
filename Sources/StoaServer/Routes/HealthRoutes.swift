import Hummingbird
import StoaCore
import Storage

/// `GET /healthz` (the process is up) and `GET /readyz` (the database answers and the server
/// is not shutting down).
struct HealthRoutes: Sendable {
    let database: any Database
    let drain: Drain

    func register(on router: Router<AppRequestContext>) {
        router.get("healthz") { _, _ in
            Response.json(.object([("status", .string("ok"))]))
        }
        router.get("readyz") { _, _ in
            if drain.isDraining {
                throw StoaError.unavailable("The server is shutting down.", retryAfter: 5)
            }
            do {
                try await database.ping()
                return Response.json(.object([("status", .string("ok"))]))
            } catch {
                throw StoaError.unavailable("The database does not answer.", retryAfter: 5)
            }
        }
    }
}
