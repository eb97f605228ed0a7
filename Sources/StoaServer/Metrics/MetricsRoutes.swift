import Hummingbird
import Logging
import NIOCore

/// `GET /metrics`: Prometheus' text format (version 0.0.4). On the main router when
/// `STOA_METRICS=on` without a port of its own; otherwise on ``makeMetricsListener``'s.
struct MetricsRoutes: Sendable {
    let metrics: StoaMetrics

    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("metrics") { _, _ in
            let text = await metrics.render()
            return Response(status: .ok, headers: [.contentType: Self.contentType], body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }
}

/// The listener of `STOA_METRICS_PORT`: `/metrics` alone, on `STOA_METRICS_HOST` (127.0.0.1 by
/// default), run as a service of the main application so it starts and stops with it. Any
/// other path is 404. It records the port it bound in ``StoaMetrics/listenerPort``.
func makeMetricsListener(metrics: StoaMetrics, host: String, port: Int, logger: Logger) -> some ApplicationProtocol {
    let router = Router(context: BasicRequestContext.self)
    MetricsRoutes(metrics: metrics).register(on: router)
    return Application(
        router: router,
        configuration: .init(address: .hostname(host, port: port), serverName: "Stoa"),
        onServerRunning: { channel in metrics.listenerStarted(port: channel.localAddress?.port) },
        logger: logger)
}
