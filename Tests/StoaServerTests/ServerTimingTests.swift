@testable import StoaServer
import Testing

/// The figures in `Server-Timing` (read by browsers' developer tools and `scripts/bench`).
@Suite struct ServerTimingTests {
    @Test("milliseconds with two decimals, rounded half away from zero", arguments: [
        (0.0, "0.00"), (0.004, "0.00"), (0.005, "0.01"), (0.81, "0.81"), (1.0, "1.00"), (3.14159, "3.14"),
        (9.999, "10.00"), (12.4, "12.40"), (1234.5678, "1234.57"), (-0.25, "-0.25"), (-0.001, "0.00"), (Double.nan, "0.00"),
    ])
    func twoDecimals(value: Double, expected: String) {
        #expect(value.twoDecimals == expected)
    }

    @Test("phases in order, each named with its duration") func header() {
        var timer = PhaseTimer()
        timer.end("persist")
        timer.end("render")
        let parts = timer.header.components(separatedBy: ", ")
        #expect(parts.count == 2 && parts[0].hasPrefix("persist;dur=") && parts[1].hasPrefix("render;dur="))
    }
}
