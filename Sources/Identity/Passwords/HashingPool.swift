import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// Runs CPU-heavy work (scrypt) on its own threads, never on an event loop. At most
/// `queueLimit` jobs wait; beyond that ``Busy`` is thrown and the server answers 503.
public final class HashingPool: Sendable {
    private let pool: NIOThreadPool
    private let pending = Atomic<Int>(0)
    private let capacity: Int
    private let refusals = Atomic<Int>(0)
    /// Threads that hash.
    public let threads: Int

    /// Thrown when the queue is full.
    public struct Busy: Error {}

    public init(threads: Int, queueLimit: Int) {
        pool = NIOThreadPool(numberOfThreads: max(1, threads))
        pool.start()
        self.threads = max(1, threads)
        capacity = max(1, threads) + max(0, queueLimit)
    }

    /// Jobs hashing or waiting for a thread now (hashing: at most ``threads`` of them).
    public var pendingJobs: Int { pending.load(ordering: .relaxed) }

    /// Jobs refused with ``Busy`` since start.
    public var refusedJobs: Int { refusals.load(ordering: .relaxed) }

    /// Runs `work` on a pool thread.
    public func run<T: Sendable>(_ work: @Sendable @escaping () throws -> T) async throws -> T {
        let (previous, _) = pending.add(1, ordering: .relaxed)
        defer { pending.subtract(1, ordering: .relaxed) }
        guard previous < capacity else {
            refusals.add(1, ordering: .relaxed)
            throw Busy()
        }
        return try await pool.runIfActive(work)
    }

    public func shutdown() async {
        try? await pool.shutdownGracefully()
    }
}
