import Foundation
import Identity
import Testing

/// The mail worker's wake-up: a mail's wake is never lost, and a wait's poll timer never cuts
/// the next wait short. (Bounds are wide: the whole suite shares two cores, and its SQLite
/// tests hold the cooperative threads for seconds at a time; "at once" means well under the
/// 120 s timeout.)
@Suite struct MailWakerTests {
    static func seconds(_ body: () async -> Void) async -> Double {
        let start = ContinuousClock.now
        await body()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    @Test("a wake with nobody waiting is kept for the next wait; a wake during a wait ends it")
    func wakesAreKept() async {
        let waker = MailWaker()
        waker.wake()
        #expect(await Self.seconds { await waker.wait(timeout: .seconds(120)) } < 60)
        // Woken while waiting.
        let waited = await withTaskGroup(of: Double?.self) { group in
            group.addTask { await Self.seconds { await waker.wait(timeout: .seconds(120)) } }
            group.addTask { try? await Task.sleep(for: .milliseconds(100)); waker.wake(); return nil }
            return await group.compactMap { $0 }.first(where: { _ in true })
        }
        #expect((waited ?? 99) < 60)
        // A wake right after a wait ended is there for the next one.
        waker.wake()
        #expect(await Self.seconds { await waker.wait(timeout: .seconds(120)) } < 60)
    }

    @Test("a wait times out; its timer leaves nothing behind for the next wait")
    func timerDoesNotCarryOver() async {
        let waker = MailWaker()
        let timedOut = await Self.seconds { await waker.wait(timeout: .milliseconds(200)) }
        #expect(timedOut >= 0.19 && timedOut < 60)
        waker.wake()
        await waker.wait(timeout: .seconds(120))   // ended by the wake; its timer is cancelled
        // Nothing pending now: the next wait lasts its whole (short) timeout.
        #expect(await Self.seconds { await waker.wait(timeout: .milliseconds(300)) } >= 0.29)
    }
}
