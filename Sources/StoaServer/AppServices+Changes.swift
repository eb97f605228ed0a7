import Identity
import Logging
import ServiceLifecycle
import Storage

extension AppServices {
    /// Forgets what another process changed in the database (``DatabaseChange``; `nil`:
    /// anything may have changed): cached sessions and users, the loaded signing keys, and the
    /// verifier's throttle on fetching keys it does not know.
    public func forget(_ change: DatabaseChange?) async {
        (auth.store as? SQLAuthStore)?.forget(change)
        if change == .keys || change == nil {
            await tokenIssuer?.keys.forget()
            await tokenVerifier.keysChanged()
        }
    }
}

/// Listens for changes announced by other replicas on PostgreSQL (`LISTEN stoa_changes`) and
/// has ``AppServices`` forget its copies, so a session revoked or a key rotated on one replica
/// is honoured by all within milliseconds rather than after the caches' age.
struct DatabaseChangeService: Service {
    let database: any DatabaseChangeListening
    let services: AppServices

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await database.listenForChanges { change in
                services.logger.debug("heard a change from another process", metadata: ["change": "\(change?.rawValue ?? "any")"])
                await services.forget(change)
            }
        }
    }
}
