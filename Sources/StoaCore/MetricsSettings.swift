/// Prometheus metrics (`STOA_METRICS`, `STOA_METRICS_PORT`, `STOA_METRICS_HOST`).
///
/// Off by default. On, `GET /metrics` answers Prometheus text on the main port; with a port of
/// its own, it is served only there (on `127.0.0.1` unless `STOA_METRICS_HOST` says otherwise),
/// so it need not be reachable from where the API is.
public struct MetricsSettings: Sendable, Equatable {
    public var enabled: Bool = false
    /// A listener of its own for `/metrics`; nil serves it on the main port. 0 picks a free port.
    public var port: Int? = nil
    /// Where that listener binds.
    public var host: String = "127.0.0.1"
    public init() {}

    /// Whether the main port answers `/metrics`.
    public var servedOnMainPort: Bool { enabled && port == nil }

    /// Reads the three variables through `value` (flags, environment, `.env`), checking them
    /// against the main `port`. Throws one clear sentence for a bad or contradictory value.
    static func load(_ value: (String) -> String?, mainPort: Int) throws(ConfigurationError) -> MetricsSettings {
        var settings = MetricsSettings()
        var explicitlyOff = false
        if let raw = value("STOA_METRICS")?.lowercased() {
            switch raw {
            case "1", "true", "on", "yes": settings.enabled = true
            case "0", "false", "off", "no": explicitlyOff = true
            default: throw ConfigurationError("STOA_METRICS must be on or off (got \"\(raw.prefix(40))\")")
            }
        }
        if let raw = value("STOA_METRICS_PORT") {
            guard let port = Int(raw), (1...65535).contains(port) else {
                throw ConfigurationError("STOA_METRICS_PORT must be a whole number from 1 to 65535 (got \"\(raw.prefix(40))\")")
            }
            guard !explicitlyOff else {
                throw ConfigurationError("STOA_METRICS_PORT is set but STOA_METRICS is off: unset one of them")
            }
            guard port != mainPort else {
                throw ConfigurationError("STOA_METRICS_PORT must differ from PORT (both are \(port))")
            }
            settings.enabled = true
            settings.port = port
        }
        if let host = value("STOA_METRICS_HOST") {
            guard settings.port != nil else {
                throw ConfigurationError("STOA_METRICS_HOST needs STOA_METRICS_PORT (the metrics listener's own port)")
            }
            settings.host = host
        }
        return settings
    }
}
