import Foundation
import Identity
import Logging
import ServiceLifecycle
import StoaCore

/// Sends the outbox: claims due mails, hands each to the transport, and marks it sent, retries
/// it later with exponential backoff and jitter (a transient failure), or marks it failed (a
/// permanent refusal, or still failing at its `give_up_at`). Wakes at once for a mail queued in
/// this process and polls every ``pollInterval`` for the others'. Runs in the roles that serve
/// auth; replicas share the work through the atomic claim. Logs never carry a mail's text (the
/// links are in it) — only the log transport writes it, on purpose (``MailTransportFactory``
/// warns at start-up when that transport is in use without being asked for).
public struct MailWorker: Service {
    let outbox: MailOutbox
    let transport: any MailTransport
    let clock: any StoaClock
    let logger: Logger
    /// How often to look for mails queued by other processes (or made due by `stoa mail retry`).
    public var pollInterval: Duration = .seconds(5)
    /// How long a claim lasts: a worker that dies mid-send leaves the mail to another after this.
    public var lease: TimeInterval = 300
    /// Mails claimed at once.
    public var batch = 10
    /// The first retry comes after about this long; each next one after twice as long, up to ``maxBackoff``.
    public var baseBackoff: TimeInterval = 30
    public var maxBackoff: TimeInterval = 3600
    /// Sent and failed rows older than this are deleted (their bodies are already gone).
    public var keepFinished: TimeInterval = 30 * 86_400

    public init(outbox: MailOutbox, transport: any MailTransport, clock: any StoaClock, logger: Logger) {
        self.outbox = outbox
        self.transport = transport
        self.clock = clock
        self.logger = logger
    }

    /// The delay before retry number `attempt` (1: after the first failure): `base·2^(attempt-1)`,
    /// capped, then scaled by a random factor in [0.5, 1] so replicas' retries spread out.
    public static func backoff(attempt: Int, base: TimeInterval, cap: TimeInterval, jitter: Double = Double.random(in: 0.5...1)) -> TimeInterval {
        let exponent = min(max(attempt - 1, 0), 30)
        return min(cap, base * pow(2, Double(exponent))) * jitter
    }

    /// Claims and sends what is due now; returns how many mails were handled. Failures to reach
    /// the database are logged and left for the next round.
    @discardableResult
    public func sendDue() async -> Int {
        var handled = 0
        while !Task.isCancelled {
            let claimed: [OutboxEntry]
            do {
                claimed = try await outbox.claim(limit: batch, lease: lease)
            } catch {
                logger.warning("mail outbox: could not claim mails; will retry", metadata: ["error": "\(String(reflecting: type(of: error)))"])
                return handled
            }
            if claimed.isEmpty { return handled }
            for entry in claimed { await deliver(entry); handled += 1 }
            if claimed.count < batch { return handled }
        }
        return handled
    }

    func deliver(_ entry: OutboxEntry) async {
        let meta: Logger.Metadata = ["mail": "\(entry.id)", "kind": "\(entry.kind.rawValue)", "attempt": "\(entry.attempts)"]
        do {
            try await transport.send(entry.mail)
            try await outbox.markSent(id: entry.id, attempt: entry.attempts)
            logger.info("mail sent", metadata: meta)
        } catch MailDeliveryError.permanent(let reason) {
            logger.error("mail refused for good; not retrying", metadata: meta.merging(["error": "\(reason)"]) { $1 })
            _ = try? await outbox.markFailed(id: entry.id, attempt: entry.attempts, error: reason)
        } catch {
            let reason = if case MailDeliveryError.transient(let text) = error { text } else { String(reflecting: type(of: error)) }
            let now = clock.now()
            if now >= entry.giveUpAt {
                logger.error("mail still failing at its deadline; giving up", metadata: meta.merging(["error": "\(reason)"]) { $1 })
                _ = try? await outbox.markFailed(id: entry.id, attempt: entry.attempts, error: reason)
                return
            }
            let delay = Self.backoff(attempt: entry.attempts, base: baseBackoff, cap: maxBackoff)
            let next = min(now.addingTimeInterval(delay), entry.giveUpAt)
            logger.warning("mail not sent; will retry", metadata: meta.merging(["error": "\(reason)", "retry_in_s": "\(Int(delay))"]) { $1 })
            _ = try? await outbox.reschedule(id: entry.id, attempt: entry.attempts, next: next, error: reason)
        }
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var lastCleanup = ContinuousClock.now - .seconds(7200)
            while !Task.isCancelled {
                // Waits first: start-up does no database work of its own (mails left from before a
                // restart go out at the first poll; one queued meanwhile wakes it at once).
                await outbox.waker.wait(timeout: pollInterval)
                guard !Task.isCancelled else { break }
                await sendDue()
                if ContinuousClock.now - lastCleanup > .seconds(3600) {
                    lastCleanup = ContinuousClock.now
                    _ = try? await outbox.deleteFinished(before: clock.now().addingTimeInterval(-keepFinished))
                }
            }
        }
    }
}
