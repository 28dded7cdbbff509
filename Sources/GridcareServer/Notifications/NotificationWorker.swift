import AsyncHTTPClient
import Foundation
import GridcareCore
import GridcareStore
import Logging
import ServiceLifecycle

/// The service's delivery worker: every poll it turns new notifications into deliveries, claims the due
/// ones (a lease each, `FOR UPDATE SKIP LOCKED`, so several copies share the work and none is sent by two
/// at once), holds back what is not urgent during quiet hours, sends up to `concurrency` at a time and
/// records every attempt. Stopping it half-way is safe: a claimed delivery not recorded is claimed again
/// when its lease ends, and its idempotency key lets the receiver recognise it.
public struct NotificationWorker: Service {
    let outbox: Outbox
    let settings: NotificationSettings
    let logger: Logger
    /// How long a claimed delivery is this worker's: longer than one attempt can take.
    var lease: Duration { settings.timeout * 3 }

    public init(db: Database, settings: NotificationSettings, logger: Logger) {
        outbox = Outbox(db.scoped(.serviceJob, operation: "notifications"))
        self.settings = settings
        self.logger = logger
    }

    public func run() async throws {
        // Delivery gives way to the API: its sockets and its tasks run on a lane of their own at a lower
        // priority, not between requests on the shared event loops and task pool.
        let lane = BackgroundLane()
        let http = HTTPClient(eventLoopGroup: lane.group, configuration: .init(timeout: .init(connect: .seconds(5))))
        let sender = NotificationSender(settings: settings, http: http, logger: logger)
        await withTaskExecutorPreference(lane) {
            await ServiceClock.run("notifications", every: settings.poll, logger: logger) {
                // A full batch means more is waiting: go round again at once.
                while try await tick(sender) {}
            }
        }
        try await http.shutdown()
        try await lane.shutdown()
    }

    /// One round; true when it took as many deliveries as it could, so more may be due.
    func tick(_ sender: NotificationSender) async throws -> Bool {
        try await outbox.dispatch(channels: settings.channels, logger: logger)
        let batch = settings.concurrency * 4
        let claimed = try await outbox.claim(limit: batch, lease: lease, logger: logger)
        guard !claimed.isEmpty else { return false }
        // The round's attempts run at once, up to `concurrency`; their ends are recorded together.
        let attempts = try await withThrowingTaskGroup(of: Outbox.Attempt?.self) { group in
            var running = 0
            var done: [Outbox.Attempt] = []
            for d in claimed {
                if running == settings.concurrency, let next = try await group.next() {
                    if let a = next { done.append(a) }
                    running -= 1
                }
                group.addTask { try await attempt(d, sender) }
                running += 1
            }
            for try await a in group { if let a { done.append(a) } }
            return done
        }
        try await outbox.record(attempts, giveUpAfter: settings.giveUpAfter, logger: logger)
        return claimed.count == batch
    }

    /// One delivery's attempt, or nil when quiet hours put it back untried.
    func attempt(_ d: ClaimedDelivery, _ sender: NotificationSender) async throws -> Outbox.Attempt? {
        if !d.urgent, let end = settings.quietHours?.end(around: Date()) {
            try await outbox.postpone(d.id, until: end, logger: logger)
            return nil
        }
        let started = ContinuousClock.now
        let (outcome, status) = await sender.send(d)
        let elapsed = ContinuousClock.now - started
        let millis = Int(elapsed.inMilliseconds)
        if case .refused(let reason) = outcome {
            logger.warning(
                "notification refused by its receiver",
                metadata: ["delivery": "\(d.id)", "channel": "\(d.channel.rawValue)", "reason": "\(reason)"]
            )
        }
        return Outbox.Attempt(id: d.id, outcome: outcome, httpStatus: status, millis: millis, retryAfter: settings.backoff(afterAttempt: d.attempts))
    }
}
