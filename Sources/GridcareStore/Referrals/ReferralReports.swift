import Foundation
import GridcareCore
import Logging
import PostgresNIO

/// A slip that is late: not acknowledged by the hospital in time, or not followed up by the team.
public struct OverdueReferral: Sendable, Equatable {
    public enum Stage: String, Sendable { case acknowledge, followUp = "follow_up" }
    public var id: Int64, number: String, residentId: Int64, patientName: String, urgency: ReferralUrgency, status: ReferralStatus
    public var hospitalId: Int64, hospitalName: String, centreId: Int64, centreName: String
    public var stage: Stage, dueAt: Date, lateMinutes: Int
}

/// The loop's figures for one hospital or one centre.
public struct ReferralLoopFigures: Sendable, Equatable {
    public var facilityId: Int64, facilityName: String
    public var sent: Int, declined: Int, cancelled: Int, dischargedDown: Int, closedLoops: Int, openNow: Int
    public var acknowledgedLate: Int
    /// Closed after a follow-up, of those discharged down; nil before anyone was discharged.
    public var loopClosureRate: Double?
    /// Median hours per stage, in the slip's order; nil where no slip has passed the stage yet.
    public var medianHours: [String: Double]
}

public struct ReferralReport: Sendable, Equatable {
    public var byHospital: [ReferralLoopFigures], byCentre: [ReferralLoopFigures]
}

/// Timeliness and loop closure over the slips the caller sees.
public struct ReferralReports: Sendable {
    let db: Database
    let rules: ReferralRules
    var audit: AuditLog { AuditLog(db) }
    public init(_ db: Database, rules: ReferralRules = ReferralRules()) {
        self.db = db
        self.rules = rules
    }

    /// The acknowledgement window of each urgency, in hours, as SQL.
    var windowHours: String {
        let h = rules.acknowledgeWithinHours
        return "CASE s.urgency WHEN 'green_channel' THEN \(h[.greenChannel] ?? 2) WHEN 'urgent' THEN \(h[.urgent] ?? 8) ELSE \(h[.routine] ?? 24) END"
    }

    /// The stage a slip is late in (`x.stage`, `x.due_at`), for slips `s` late now: the one owner of "late".
    var lateStage: String {
        """
        CROSS JOIN LATERAL (
            SELECT 'acknowledge' AS stage, s.sent_at + make_interval(hours => \(windowHours)) AS due_at WHERE s.status = 'sent'
            UNION ALL
            SELECT 'follow_up', ((s.follow_up_by + 1)::timestamp AT TIME ZONE 'Asia/Shanghai') WHERE s.status = 'discharged_down'
        ) x
        WHERE s.status IN ('sent', 'discharged_down') AND x.due_at < now()
        """
    }

    /// Tells each late slip's centre, once per slip and stage (the centre's staff, in their inbox and on
    /// their channels). Run by the service's referral clock; safe on several copies at once.
    @discardableResult
    public func notifyLate(logger: Logger) async throws -> Int {
        try await db.transaction(logger: logger) { conn in
            try await conn.first(
                """
                WITH told AS (
                    SELECT gridcare_notify(
                        s.district_id, 'referral_late', 'referral:' || s.id || ':late:' || x.stage, true, s.resident_id,
                        (SELECT coalesce(array_agg(u.id), '{}') FROM app_user u JOIN worker w ON w.id = u.worker_id
                         WHERE w.centre_id = s.centre_id AND u.role = 'centre_staff' AND u.active AND w.active),
                        CASE x.stage WHEN 'acknowledge' THEN '转诊单超时未接收：' ELSE '出院随访已逾期：' END || s.number,
                        CASE x.stage WHEN 'acknowledge' THEN '转诊单 ' || s.number || ' 发出后医院未在时限内接收，请联系医院。'
                             ELSE '转诊单 ' || s.number || ' 的出院随访已过期限，请尽快随访并闭环。' END,
                        '/app/r/' || s.resident_id)
                    FROM referral s \(unescaped: lateStage)
                ) SELECT count(*)::int FROM told
                """,
                as: Int.self,
                logger: logger
            ) ?? 0
        }
    }

    /// What is late now, the longest overdue first.
    public func overdue(districtId: Int64?, limit: Int, logger: Logger) async throws -> [OverdueReferral] {
        try await db.transaction(logger: logger) { conn in
            let items = try await conn.rows(
                """
                SELECT s.id, s.number, s.resident_id, s.patient_name, s.urgency::text, s.status::text, s.hospital_id, h.name AS hospital_name,
                       s.centre_id, c.name AS centre_name, x.stage, x.due_at, (extract(epoch FROM now() - x.due_at) / 60)::int AS late_minutes
                FROM referral s
                JOIN facility h ON h.id = s.hospital_id JOIN facility c ON c.id = s.centre_id
                \(unescaped: lateStage)
                  AND (\(districtId)::bigint IS NULL OR s.district_id = \(districtId))
                ORDER BY x.due_at, s.id LIMIT \(limit)
                """,
                logger: logger
            ) { c in
                OverdueReferral(
                    id: try c("id"),
                    number: try c("number"),
                    residentId: try c("resident_id"),
                    patientName: try c("patient_name"),
                    urgency: ReferralUrgency(rawValue: try c("urgency"))!,
                    status: ReferralStatus(rawValue: try c("status"))!,
                    hospitalId: try c("hospital_id"),
                    hospitalName: try c("hospital_name"),
                    centreId: try c("centre_id"),
                    centreName: try c("centre_name"),
                    stage: OverdueReferral.Stage(rawValue: try c("stage"))!,
                    dueAt: try c("due_at"),
                    lateMinutes: try c("late_minutes")
                )
            }
            try await audit.record(
                .search,
                residents: Array(Set(items.map(\.residentId))).sorted(),
                detail: items.isEmpty ? "overdue referrals: none" : "overdue referrals",
                on: conn,
                logger: logger
            )
            return items
        }
    }

    /// The stages whose medians the report gives: from one timestamp of the slip to the next.
    static let stages: [(name: String, from: String, to: String)] = [
        ("acknowledge", "sent_at", "received_at"), ("decide", "received_at", "decided_at"), ("admit", "decided_at", "admitted_at"),
        ("stay", "admitted_at", "discharged_at"), ("follow_up", "discharged_at", "followed_up_at"), ("close", "followed_up_at", "closed_at"),
    ]

    /// Loop closure and median time per stage, per hospital and per centre, for slips sent in [from, to).
    public func report(districtId: Int64?, from: Date?, to: Date?, logger: Logger) async throws -> ReferralReport {
        let medians = Self.stages.map {
            "percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM s.\($0.to) - s.\($0.from)) / 3600) FILTER (WHERE s.\($0.to) IS NOT NULL) AS \"\($0.name)\""
        }.joined(separator: ", ")
        func figures(by column: String, on conn: PostgresConnection) async throws -> [ReferralLoopFigures] {
            try await conn.rows(
                """
                SELECT f.id, f.name, count(*)::int AS sent, count(*) FILTER (WHERE s.status = 'declined' OR s.decline_reason IS NOT NULL)::int AS declined,
                       count(*) FILTER (WHERE s.status = 'cancelled')::int AS cancelled, count(s.discharged_at)::int AS discharged,
                       count(*) FILTER (WHERE s.status = 'closed' AND s.followed_up_at IS NOT NULL)::int AS closed,
                       count(*) FILTER (WHERE s.status NOT IN ('closed', 'cancelled'))::int AS open_now,
                       count(*) FILTER (WHERE coalesce(s.received_at, now()) > s.sent_at + make_interval(hours => \(unescaped: windowHours)))::int
                         AS acknowledged_late,
                       \(unescaped: medians)
                FROM referral s JOIN facility f ON f.id = s.\(unescaped: column)
                WHERE s.sent_at IS NOT NULL
                  AND (\(districtId)::bigint IS NULL OR s.district_id = \(districtId))
                  AND (\(from)::timestamptz IS NULL OR s.sent_at >= \(from)) AND (\(to)::timestamptz IS NULL OR s.sent_at < \(to))
                GROUP BY f.id, f.name ORDER BY f.name, f.id
                """,
                logger: logger
            ) { c in
                var hours: [String: Double] = [:]
                for stage in Self.stages {
                    if let h = try c(stage.name, Double?.self) { hours[stage.name] = (h * 100).rounded() / 100 }
                }
                let discharged: Int = try c("discharged")
                let closed: Int = try c("closed")
                return ReferralLoopFigures(
                    facilityId: try c("id"),
                    facilityName: try c("name"),
                    sent: try c("sent"),
                    declined: try c("declined"),
                    cancelled: try c("cancelled"),
                    dischargedDown: discharged,
                    closedLoops: closed,
                    openNow: try c("open_now"),
                    acknowledgedLate: try c("acknowledged_late"),
                    loopClosureRate: discharged == 0 ? nil : Double(closed) / Double(discharged),
                    medianHours: hours
                )
            }
        }
        return try await db.transaction(logger: logger) { conn in
            let report = ReferralReport(
                byHospital: try await figures(by: "hospital_id", on: conn),
                byCentre: try await figures(by: "centre_id", on: conn)
            )
            try await audit.record(.read, detail: "referral report", on: conn, logger: logger)
            return report
        }
    }
}
