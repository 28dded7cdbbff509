import GridcareStore
import Logging
import Prometheus

/// The service's metrics in its own Prometheus registry (not swift-metrics' global one: tests run many
/// applications in one process, and each must count only its own requests). Request counts and
/// latencies are recorded as requests finish; the rest is read when `/metrics` is scraped.
final class ServiceMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10),
    ]

    /// One finished request: `operation` is the route's template (`GET /v1/residents/{id}`), never the
    /// requested path, so a scan of made-up addresses adds no series.
    func recordRequest(operation: String, status: Int, duration: Duration) {
        registry.makeCounter(
            descriptor: .init(
                namespace: "gridcare",
                metricName: "http_requests",
                unitName: "total",
                helpText: "Requests answered, by operation and status."
            ),
            labels: [("operation", operation), ("status", String(status))]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: .init(
                namespace: "gridcare",
                metricName: "http_request_duration",
                unitName: "seconds",
                helpText: "Time from the request's head to its response, by operation."
            ),
            labels: [("operation", operation)],
            buckets: Self.latencyBuckets
        ).record(duration)
        if status >= 500 {
            registry.makeCounter(
                descriptor: .init(
                    namespace: "gridcare",
                    metricName: "http_server_errors",
                    unitName: "total",
                    helpText: "Responses with a 5xx status, by operation and status."
                ),
                labels: [("operation", operation), ("status", String(status))]
            ).increment()
        }
    }

    func gauge(_ name: String, _ help: String, labels: [(String, String)] = []) -> Gauge {
        registry.makeGauge(descriptor: .init(namespace: "gridcare", metricName: name, unitName: "", helpText: help), labels: labels)
    }

    /// Reads what is counted elsewhere into gauges and writes the registry in Prometheus's text format.
    func scrape(pool: PoolUsage, poolSize: Int, heavyWork: Admission, outbox: Outbox.Backlog?, replica: ReadReplica?) -> String {
        gauge("db_pool_size", "Connections the pool may open.").set(to: Double(poolSize))
        gauge("db_pool_in_use", "Connections leased to requests and clocks now.").set(to: Double(pool.inUse))
        gauge("db_pool_waiting", "Leases waiting for a connection now.").set(to: Double(pool.waiting))
        gauge("db_statement_timeouts", "Statements cancelled by statement_timeout since the service started.")
            .set(to: Double(pool.statementTimeouts))
        gauge("solver_running", "Rounds solves and mobilisation checks running now.").set(to: Double(heavyWork.running))
        gauge("solver_places", "How many of them may run at once.").set(to: Double(heavyWork.limit))
        gauge("solver_refused", "Solves and checks refused with 429 since the service started (the queue: none waits).")
            .set(to: Double(heavyWork.refused))
        if let outbox {
            gauge("outbox_undispatched", "Notifications not yet turned into deliveries.").set(to: Double(outbox.undispatched))
            gauge("outbox_pending", "Deliveries not yet received.").set(to: Double(outbox.pending))
            gauge("outbox_lag_seconds", "Age of the oldest delivery not yet received.").set(to: outbox.oldestPendingSeconds)
            gauge("outbox_dead", "Deliveries given up (the dead-letter list).").set(to: Double(outbox.dead))
            gauge("outbox_failed_attempts", "Delivery attempts that failed (retried or refused), ever.")
                .set(to: Double(outbox.failedAttempts))
        }
        if let replica {
            gauge("replica_usable", "1 while reports read from the replica, else 0.").set(to: replica.usable ? 1.0 : 0.0)
            gauge("replica_lag_seconds", "How far behind the primary the replica was at its last check (-1: not heard from).")
                .set(to: replica.lag.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 } ?? -1)
            let counts = replica.counts
            gauge("replica_reports", "Reports read from the replica since the service started.").set(to: Double(counts.reads))
            gauge("replica_fallbacks", "Reports sent to the primary because the replica was missing or behind.").set(to: Double(counts.fallbacks))
        }
        gauge("outbox_readable", "1 when the outbox could be read for this scrape, else 0.").set(to: outbox == nil ? 0.0 : 1.0)
        return registry.emitToString()
    }
}
