import Prometheus

/// Families by their full name (`stoa_sign_ins_total`) and help text, through swift-prometheus'
/// descriptor API. The registry hands back the existing metric for a name and label set it
/// already has, so two applications on one registry share their series.
extension PrometheusCollectorRegistry {
    private static func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        // The unit is part of `name` already; an empty one adds nothing to it.
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    func counter(_ name: String, help: String, labels: [(String, String)] = []) -> Counter {
        labels.isEmpty ? makeCounter(descriptor: Self.descriptor(name, help))
            : makeCounter(descriptor: Self.descriptor(name, help), labels: labels)
    }

    func gauge(_ name: String, help: String, labels: [(String, String)] = []) -> Gauge {
        labels.isEmpty ? makeGauge(descriptor: Self.descriptor(name, help))
            : makeGauge(descriptor: Self.descriptor(name, help), labels: labels)
    }

    func durationHistogram(_ name: String, help: String, labels: [(String, String)] = [], buckets: [Duration]) -> DurationHistogram {
        labels.isEmpty ? makeDurationHistogram(descriptor: Self.descriptor(name, help), buckets: buckets)
            : makeDurationHistogram(descriptor: Self.descriptor(name, help), labels: labels, buckets: buckets)
    }
}
