import Foundation
import Synchronization

/// The source of "now" for everything that ages (sessions, tokens, rate limits).
/// Tests inject a ``ManualClock`` to move time forward.
public protocol StoaClock: Sendable {
    func now() -> Date
}

/// The wall clock.
public struct SystemClock: StoaClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock that only moves when told to; for tests.
public final class ManualClock: StoaClock {
    private let current: Mutex<Date>
    public init(_ start: Date = Date()) { current = Mutex(start) }
    public func now() -> Date { current.withLock { $0 } }
    public func advance(by seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
    public func set(_ date: Date) { current.withLock { $0 = date } }
}
