import Metrics
import Prometheus
import StoaCore
import StoaServer

extension CLI {
    /// With `STOA_METRICS` on: one Prometheus registry for the process, which swift-metrics is
    /// bootstrapped with too (so libraries that record through swift-metrics land in the same
    /// `/metrics`). Called once, by `stoa serve`; nil when metrics are off.
    static func bootstrapMetrics(_ settings: MetricsSettings) -> StoaMetrics? {
        guard settings.enabled else { return nil }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return StoaMetrics(registry: registry)
    }
}
