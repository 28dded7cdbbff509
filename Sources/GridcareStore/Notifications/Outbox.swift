import Foundation
import GridcareCore
import Logging
import PostgresNIO

/// A way a notification leaves the service.
public enum NotificationChannel: String, Sendable, CaseIterable {
    /// A WeCom group robot: one message per event, to the group, with no resident's name.
    case wecomRobot = "wecom_robot"
    /// A WeCom application message to the recipient user (their username is their WeCom user id).
    case wecomApp = "wecom_app"
    /// An SMS to a resident's phone (a clinic moved or cancelled under their booking).
    case sms
    /// A signed webhook for the regional platform: one per event, ids and kinds, no names.
    case webhook

    /// Channels that carry one message per event rather than one per recipient.
    public var perEvent: Bool { self == .wecomRobot || self == .webhook }
    /// A channel that reaches a user themselves, which they may turn off (the others reach a group, the
    /// platform, or a resident).
    public var personal: Bool { self == .wecomApp }
}

/// A delivery taken by one worker for one attempt, with what it needs to send.
public struct ClaimedDelivery: Sendable {
    public var id: Int64, channel: NotificationChannel, idempotencyKey: String, attempts: Int
    /// When the delivery began (or was last retried by hand), for giving up.
    public var since: Date
    public var notificationId: Int64, kind: String, urgent: Bool, title: String, body: String, link: String?
    public var eventKey: String, districtId: Int64?, residentId: Int64?, createdAt: Date
    /// The recipient: a user's username (their WeCom id), or a resident's phone.
    public var username: String?, phone: String?
}

/// How an attempt ended.
public enum AttemptOutcome: Sendable, Equatable {
    /// The receiver has it; its receipt (a message id).
    case delivered(receipt: String?)
    /// Try again later (the receiver was down, slow, or busy).
    case retry(reason: String)
    /// The receiver will never take it (a bad number, a refused key): straight to the dead letters.
    case refused(reason: String)
}

/// The outbox's delivery side, run by the service's delivery worker as a job (user 0): turning
/// notifications into deliveries, claiming due ones with `FOR UPDATE SKIP LOCKED` (so several service
/// copies share the work), and recording each attempt. A claim is a lease: a worker that dies mid-send
/// leaves the delivery to be claimed again when the lease ends, and the receiver recognises the resend
/// by its idempotency key.
public struct Outbox: Sendable {
    let db: Database
    public init(_ db: Database) { self.db = db }

    /// Makes the deliveries of up to `limit` new notifications on `channels` (those configured): per
    /// event, per user, or by SMS for residents; none on a channel the user muted. How many notifications.
    @discardableResult
    public func dispatch(channels: [NotificationChannel], limit: Int = 500, logger: Logger) async throws -> Int {
        let names = channels.map(\.rawValue)
        let perEvent = channels.filter(\.perEvent).map(\.rawValue)
        let personal = channels.filter(\.personal).map(\.rawValue)
        return try await db.transaction(logger: logger) { conn in
            try await conn.first(
                """
                WITH picked AS (
                    SELECT id FROM notification WHERE dispatched_at IS NULL ORDER BY id LIMIT \(limit) FOR UPDATE SKIP LOCKED
                ), marked AS (
                    UPDATE notification n SET dispatched_at = now() FROM picked p WHERE n.id = p.id
                    RETURNING n.id, n.recipient_user_id, n.recipient_resident_id, n.event_key
                ), made AS (
                    INSERT INTO notification_delivery (notification_id, channel)
                    SELECT m.id, ch FROM marked m, unnest(\(names)::text[]) ch
                    WHERE (ch = 'sms') = (m.recipient_resident_id IS NOT NULL)
                      -- A per-event channel rides on the event's first notification to a user.
                      AND (ch <> ALL (\(perEvent)::text[]) OR NOT EXISTS (
                          SELECT 1 FROM notification o WHERE o.event_key = m.event_key AND o.recipient_user_id IS NOT NULL AND o.id < m.id))
                      AND (ch <> ALL (\(personal)::text[])
                           OR NOT EXISTS (SELECT 1 FROM notification_mute x WHERE x.user_id = m.recipient_user_id AND x.channel = ch))
                    ON CONFLICT DO NOTHING RETURNING 1
                )
                SELECT count(*)::int FROM marked
                """,
                as: Int.self,
                logger: logger
            ) ?? 0
        }
    }

    /// Takes up to `limit` due deliveries for one attempt each, leased for `lease`.
    public func claim(limit: Int, lease: Duration, logger: Logger) async throws -> [ClaimedDelivery] {
        let seconds = lease.inSeconds
        return try await db.transaction(logger: logger) { conn in
            try await conn.rows(
                """
                WITH due AS (
                    SELECT id FROM notification_delivery WHERE status = 'pending' AND next_attempt_at <= now()
                    ORDER BY next_attempt_at, id LIMIT \(limit) FOR UPDATE SKIP LOCKED
                )
                UPDATE notification_delivery d
                SET attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => \(seconds))
                FROM due, notification n
                LEFT JOIN app_user u ON u.id = n.recipient_user_id
                LEFT JOIN resident r ON r.id = n.recipient_resident_id
                WHERE d.id = due.id AND n.id = d.notification_id
                RETURNING d.id, d.channel, d.idempotency_key::text AS key, d.attempts, coalesce(d.retried_at, d.created_at) AS since,
                          n.id AS notification_id, n.kind, n.urgent, n.title, n.body, n.link, n.event_key, n.district_id,
                          n.resident_id, n.created_at, u.username, r.phone
                """,
                logger: logger
            ) { c in
                ClaimedDelivery(
                    id: try c("id"),
                    channel: NotificationChannel(rawValue: try c("channel"))!,
                    idempotencyKey: try c("key"),
                    attempts: try c("attempts"),
                    since: try c("since"),
                    notificationId: try c("notification_id"),
                    kind: try c("kind"),
                    urgent: try c("urgent"),
                    title: try c("title"),
                    body: try c("body"),
                    link: try c("link"),
                    eventKey: try c("event_key"),
                    districtId: try c("district_id"),
                    residentId: try c("resident_id"),
                    createdAt: try c("created_at"),
                    username: try c("username"),
                    phone: try c("phone")
                )
            }
        }
    }

    /// Puts a claimed delivery back untried until `until` (quiet hours): the attempt does not count.
    public func postpone(_ id: Int64, until: Date, logger: Logger) async throws {
        try await db.transaction(logger: logger) { conn in
            try await conn.query(
                """
                UPDATE notification_delivery SET next_attempt_at = \(until), attempts = attempts - 1
                WHERE id = \(id) AND status = 'pending'
                """,
                logger: logger
            )
        }
    }

    /// One attempt's end, to record.
    public struct Attempt: Sendable {
        public var id: Int64, outcome: AttemptOutcome, httpStatus: Int?, millis: Int
        /// The wait before the next attempt, when it is to be tried again.
        public var retryAfter: Duration
        public init(id: Int64, outcome: AttemptOutcome, httpStatus: Int?, millis: Int, retryAfter: Duration) {
            self.id = id
            self.outcome = outcome
            self.httpStatus = httpStatus
            self.millis = millis
            self.retryAfter = retryAfter
        }
    }

    /// Records a round's attempts in one transaction (one per delivery cost the API a tenth of its
    /// throughput at 100 messages a second): each delivered; or tried again after its wait, unless it is
    /// older than `giveUpAfter`; or, refused, dead at once.
    public func record(_ attempts: [Attempt], giveUpAfter: Duration, logger: Logger) async throws {
        guard !attempts.isEmpty else { return }
        // Arrays of non-null values (the driver's): "" and 0 stand for none.
        var ids: [Int64] = []
        var kinds: [String] = []
        var details: [String] = []
        var statuses: [Int] = []
        var millis: [Int] = []
        var waits: [Double] = []
        for a in attempts {
            ids.append(a.id)
            statuses.append(a.httpStatus ?? 0)
            millis.append(a.millis)
            waits.append(a.retryAfter.inSeconds)
            switch a.outcome {
            case .delivered(let receipt): (kinds, details) = (kinds + ["delivered"], details + [receipt ?? ""])
            case .retry(let reason): (kinds, details) = (kinds + ["retry"], details + [String(reason.prefix(500))])
            case .refused(let reason): (kinds, details) = (kinds + ["refused"], details + [String(reason.prefix(500))])
            }
        }
        let giveUp = giveUpAfter.inSeconds
        try await db.transaction(logger: logger) { conn in
            try await conn.query(
                """
                WITH r AS (
                    SELECT u.id, u.kind, nullif(u.detail, '') AS detail, nullif(u.http_status, 0) AS http_status, u.millis, u.wait
                    FROM unnest(\(ids)::bigint[], \(kinds)::text[], \(details)::text[], \(statuses)::int[], \(millis)::int[],
                                \(waits)::float8[]) AS u(id, kind, detail, http_status, millis, wait)
                ), moved AS (
                    UPDATE notification_delivery d
                    SET status = CASE r.kind WHEN 'delivered' THEN 'delivered' WHEN 'refused' THEN 'dead'
                                 ELSE CASE WHEN coalesce(d.retried_at, d.created_at) < now() - make_interval(secs => \(giveUp))
                                           THEN 'dead' ELSE 'pending' END END,
                        delivered_at = CASE WHEN r.kind = 'delivered' THEN now() END,
                        receipt = CASE WHEN r.kind = 'delivered' THEN r.detail ELSE d.receipt END,
                        last_error = CASE WHEN r.kind = 'delivered' THEN NULL ELSE r.detail END,
                        next_attempt_at = CASE WHEN r.kind = 'retry' THEN now() + make_interval(secs => r.wait) ELSE d.next_attempt_at END
                    FROM r WHERE d.id = r.id AND d.status = 'pending'
                    RETURNING d.id
                )
                INSERT INTO notification_attempt (delivery_id, outcome, http_status, detail, millis)
                SELECT r.id, r.kind, r.http_status, r.detail, r.millis FROM r
                """,
                logger: logger
            )
        }
    }

    /// What waits in the outbox now, for `/metrics`: notifications not yet dispatched, deliveries not yet
    /// received and the age of the oldest, dead letters, and failed attempts ever.
    public struct Backlog: Sendable, Equatable {
        public var undispatched: Int, pending: Int, oldestPendingSeconds: Double, dead: Int, failedAttempts: Int
    }

    public func backlog(logger: Logger) async throws -> Backlog {
        try await db.transaction(logger: logger) { conn in
            let row = try await conn.first(
                """
                SELECT (SELECT count(*) FROM notification WHERE dispatched_at IS NULL)::int,
                       (SELECT count(*) FROM notification_delivery WHERE status = 'pending')::int,
                       coalesce((SELECT extract(epoch FROM now() - min(created_at))::float8
                                 FROM notification_delivery WHERE status = 'pending'), 0),
                       (SELECT count(*) FROM notification_delivery WHERE status = 'dead')::int,
                       (SELECT count(*) FROM notification_attempt WHERE outcome <> 'delivered')::int
                """,
                as: (Int, Int, Double, Int, Int).self,
                logger: logger
            )
            guard let row else { return Backlog(undispatched: 0, pending: 0, oldestPendingSeconds: 0, dead: 0, failedAttempts: 0) }
            return Backlog(undispatched: row.0, pending: row.1, oldestPendingSeconds: row.2, dead: row.3, failedAttempts: row.4)
        }
    }

    /// Per channel and event kind since `since`: how many, delivered within a minute and within ten of
    /// the event, still pending, and dead.
    public struct ReportRow: Sendable, Equatable {
        public var channel: String, kind: String, total: Int, withinMinute: Int, withinTenMinutes: Int, pending: Int, dead: Int
    }

    public func report(since: Date, logger: Logger) async throws -> [ReportRow] {
        try await db.transaction(logger: logger) { conn in
            try await conn.rows(
                """
                SELECT d.channel, n.kind, count(*)::int AS total,
                       count(*) FILTER (WHERE d.delivered_at <= n.created_at + interval '1 minute')::int AS minute,
                       count(*) FILTER (WHERE d.delivered_at <= n.created_at + interval '10 minutes')::int AS ten,
                       count(*) FILTER (WHERE d.status = 'pending')::int AS pending,
                       count(*) FILTER (WHERE d.status = 'dead')::int AS dead
                FROM notification_delivery d JOIN notification n ON n.id = d.notification_id
                WHERE n.created_at >= \(since)
                GROUP BY d.channel, n.kind ORDER BY d.channel, n.kind
                """,
                logger: logger
            ) { c in
                ReportRow(
                    channel: try c("channel"),
                    kind: try c("kind"),
                    total: try c("total"),
                    withinMinute: try c("minute"),
                    withinTenMinutes: try c("ten"),
                    pending: try c("pending"),
                    dead: try c("dead")
                )
            }
        }
    }

    /// A dead letter: a delivery given up, with its last error.
    public struct DeadLetter: Sendable, Equatable {
        public var id: Int64, channel: String, kind: String, attempts: Int, lastError: String?, createdAt: Date
    }

    public func dead(limit: Int, logger: Logger) async throws -> [DeadLetter] {
        try await db.transaction(logger: logger) { conn in
            try await conn.rows(
                """
                SELECT d.id, d.channel, n.kind, d.attempts, d.last_error, d.created_at
                FROM notification_delivery d JOIN notification n ON n.id = d.notification_id
                WHERE d.status = 'dead' ORDER BY d.id LIMIT \(limit)
                """,
                logger: logger
            ) { c in
                DeadLetter(
                    id: try c("id"),
                    channel: try c("channel"),
                    kind: try c("kind"),
                    attempts: try c("attempts"),
                    lastError: try c("last_error"),
                    createdAt: try c("created_at")
                )
            }
        }
    }

    /// Sends dead letters again (`ids`, or every one when nil): pending now, their age starting again.
    @discardableResult
    public func retry(_ ids: [Int64]?, logger: Logger) async throws -> Int {
        try await db.transaction(logger: logger) { conn in
            try await conn.first(
                """
                WITH again AS (
                    UPDATE notification_delivery SET status = 'pending', next_attempt_at = now(), retried_at = now()
                    WHERE status = 'dead' AND (\(ids)::bigint[] IS NULL OR id = ANY(\(ids)))
                    RETURNING 1
                ) SELECT count(*)::int FROM again
                """,
                as: Int.self,
                logger: logger
            ) ?? 0
        }
    }
}
