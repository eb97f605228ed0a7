import Synchronization

/// Wakes the mail worker of this process when a mail was queued here, so it goes out at once
/// rather than at the next poll. A wake with nobody waiting is kept for the next ``wait()``.
///
/// The poll timer of one ``wait(timeout:)`` wakes that wait only: it never leaves a wake behind
/// for the next one, and clearing its leftovers never drops a mail's wake that came meanwhile.
public final class MailWaker: Sendable {
    private struct State {
        /// A mail's wake came with nobody waiting.
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
        /// Which wait is current; its timer fired before it started waiting.
        var wait = 0
        var timedOut = false
    }
    private let state = Mutex(State())

    public init() {}

    /// Wakes the waiting worker, or the next one to wait.
    public func wake() { resumeWaiter(orSet: \.pending) }

    /// Wakes wait number `wait` if it is still the current one.
    private func timeOut(_ wait: Int) { resumeWaiter(orSet: \.timedOut, onlyDuring: wait) }

    /// Resumes the waiting worker, or (nobody waiting yet) sets `flag` for its wait to see; with
    /// `onlyDuring`, nothing unless that wait is the current one.
    private func resumeWaiter(orSet flag: WritableKeyPath<State, Bool>, onlyDuring wait: Int? = nil) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let wait, state.wait != wait { return nil }
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state[keyPath: flag] = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns after the next ``wake()`` (at once when one came since the last wait), or after
    /// `timeout`, or when the task is cancelled.
    public func wait(timeout: Duration) async {
        let wait = state.withLock { state -> Int in
            state.wait &+= 1
            state.timedOut = false
            return state.wait
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                try? await Task.sleep(for: timeout)   // cancelled: ends early and times out the wait
                self.timeOut(wait)
            }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.pending || state.timedOut {
                        state.pending = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if now { continuation.resume() }
            }
            group.cancelAll()
        }
    }
}
