import StoaCore
import Testing

/// `STOA_METRICS`, `STOA_METRICS_PORT` and `STOA_METRICS_HOST`.
@Suite struct MetricsSettingsTests {
    static func load(_ env: [String: String]) throws -> MetricsSettings {
        try StoaConfiguration.load(environment: env, dotEnvPath: nil).metrics
    }

    @Test("off by default; on serves the main port; a port of its own binds 127.0.0.1 unless told") func forms() throws {
        #expect(try Self.load([:]) == MetricsSettings())
        #expect(try Self.load([:]).servedOnMainPort == false)
        let on = try Self.load(["STOA_METRICS": "on"])
        #expect(on.enabled && on.port == nil && on.servedOnMainPort)
        #expect(try Self.load(["STOA_METRICS": "off"]).enabled == false)
        let own = try Self.load(["STOA_METRICS_PORT": "9464"])
        #expect(own.enabled && own.port == 9464 && own.host == "127.0.0.1" && !own.servedOnMainPort)
        let both = try Self.load(["STOA_METRICS": "on", "STOA_METRICS_PORT": "9464", "STOA_METRICS_HOST": "0.0.0.0"])
        #expect(both.port == 9464 && both.host == "0.0.0.0")
    }

    @Test("bad or contradictory values are one clear sentence naming the variable") func errors() {
        let cases: [([String: String], String)] = [
            (["STOA_METRICS": "maybe"], "STOA_METRICS must be on or off"),
            (["STOA_METRICS_PORT": "http"], "STOA_METRICS_PORT must be a whole number"),
            (["STOA_METRICS_PORT": "70000"], "STOA_METRICS_PORT must be a whole number"),
            (["STOA_METRICS_PORT": "0"], "STOA_METRICS_PORT must be a whole number"),
            (["STOA_METRICS": "off", "STOA_METRICS_PORT": "9464"], "STOA_METRICS is off"),
            (["PORT": "9464", "STOA_METRICS_PORT": "9464"], "must differ from PORT"),
            (["STOA_METRICS": "on", "STOA_METRICS_HOST": "0.0.0.0"], "STOA_METRICS_HOST needs STOA_METRICS_PORT"),
        ]
        for (env, needle) in cases {
            do {
                _ = try Self.load(env)
                Issue.record("accepted \(env)")
            } catch {
                #expect("\(error)".contains(needle), "\(env): \(error)")
            }
        }
    }
}
