import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// A streaming replica for the reads that are reports (`database.replicaUrl`): dashboards, the reports,
/// their downloads, the FHIR export and the mobilisation check. It is used only while its monitor has
/// heard from it within the last two seconds and it is no further behind the primary than `maxLag`;
/// otherwise those reads go to the primary as if there were no replica. Nothing that writes, and
/// nothing that must read its own write, ever goes there: a report's audit row is written on the
/// primary, before the report is returned (Database.reporting, AuditLog.write).
public final class ReadReplica: Sendable {
    /// The replica's pool, signed in as the service's own login (a physical replica has the same roles).
    public let client: PostgresClient
    public let maxLag: Duration
    private let state = Mutex(State())

    struct State {
        var heardAt: ContinuousClock.Instant?
        var lag: Duration = .seconds(1_000_000)
        var reads = 0
        var fallbacks = 0
    }

    public init(client: PostgresClient, maxLag: Duration) {
        self.client = client
        self.maxLag = maxLag
    }

    /// Whether reports go to the replica now.
    public var usable: Bool {
        state.withLock { s in
            guard let heard = s.heardAt, ContinuousClock.now - heard < .seconds(2) else { return false }
            return s.lag <= maxLag
        }
    }

    /// How far behind it was at the last check (nil: not heard from).
    public var lag: Duration? { state.withLock { $0.heardAt == nil ? nil : $0.lag } }

    /// Reports served by the replica, and sent to the primary because it was missing or behind.
    public var counts: (reads: Int, fallbacks: Int) { state.withLock { ($0.reads, $0.fallbacks) } }

    func count(onReplica: Bool) {
        state.withLock { if onReplica { $0.reads += 1 } else { $0.fallbacks += 1 } }
    }

    func heard(lag: Duration) {
        state.withLock {
            $0.heardAt = .now
            $0.lag = lag
        }
    }

    func lost() { state.withLock { $0.heardAt = nil } }

    /// A WAL position ("16/B374D848") as a number.
    static func lsn(_ text: String) -> UInt64? {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let high = UInt64(parts[0], radix: 16), let low = UInt64(parts[1], radix: 16) else { return nil }
        return high << 32 | low
    }
}

/// Checks the replica every `interval`: the primary's WAL position is sampled each round, and the replica's
/// lag is the age of the newest sample it has replayed (zero when it has replayed the latest). A replica
/// that does not answer within a second, or is not in recovery (promoted: no longer a replica of this
/// primary's), is not used.
public struct ReplicaMonitor: Service {
    let replica: ReadReplica
    let primary: PostgresClient
    let interval: Duration
    let logger: Logger

    public init(replica: ReadReplica, primary: PostgresClient, interval: Duration = .milliseconds(500), logger: Logger) {
        self.replica = replica
        self.primary = primary
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        // Shutting down cancels the loop: a service that ignored it would hold the whole service group up.
        try? await cancelWhenGracefulShutdown {
            var samples: [(at: ContinuousClock.Instant, lsn: UInt64)] = []
            var wasUsable = false
            while !Task.isCancelled {
                let now = ContinuousClock.now
                if let text = try? await primary.query("SELECT pg_current_wal_lsn()::text", logger: logger).decode(String.self).all().first,
                    let position = ReadReplica.lsn(text)
                {
                    samples.append((now, position))
                }
                samples.removeAll { now - $0.at > replica.maxLag + .seconds(5) }
                if let replayed = await replayed() {
                    if let latest = samples.last, replayed >= latest.lsn {
                        replica.heard(lag: .zero)
                    } else if let newest = samples.last(where: { $0.lsn <= replayed }) {
                        replica.heard(lag: now - newest.at)
                    } else {
                        replica.heard(lag: replica.maxLag + .seconds(5))
                    }
                } else {
                    replica.lost()
                }
                let usable = replica.usable
                if usable != wasUsable {
                    logger.notice(usable ? "reports go to the replica" : "reports go to the primary: the replica is missing or behind")
                    wasUsable = usable
                }
                try await Task.sleep(for: interval)
            }
        }
    }

    /// The replica's replayed WAL position, or nil when it does not answer within a second or is not a replica.
    func replayed() async -> UInt64? {
        let client = replica.client
        let logger = self.logger
        let position = try? await within(.seconds(1)) { () -> UInt64? in
            let rows = try await client.query(
                "SELECT pg_last_wal_replay_lsn()::text FROM (SELECT pg_is_in_recovery() AS r) s WHERE r",
                logger: logger
            ).decode(String?.self).all()
            return rows.first.flatMap { $0 }.flatMap(ReadReplica.lsn)
        }
        return position ?? nil
    }
}

extension Database {
    /// The database for a report: the replica while it is usable, else this one. On the replica, the
    /// report's audit rows are written on this database (the primary) before the report is returned.
    public func reporting() -> Database {
        guard let replica else { return self }
        let use = replica.usable
        replica.count(onReplica: use)
        guard use else { return self }
        var copy = Database(client: replica.client, logger: logger, vault: vault, scope: scope, operation: operation, callers: callers)
        copy.auditPrimary = client
        return copy
    }
}
