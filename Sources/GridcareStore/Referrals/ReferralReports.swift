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

    /// What is late now, the longest overdue first.
    public func overdue(districtId: Int64?, limit: Int, logger: Logger) async throws -> [OverdueReferral] {
        try await db.transaction(logger: logger) { conn in
            let rows = try await conn.rows(
                """
                SELECT s.id, s.number, s.resident_id, s.patient_name, s.urgency::text, s.status::text, s.hospital_id, h.name, s.centre_id, c.name,
                       x.stage, x.due_at, (extract(epoch FROM now() - x.due_at) / 60)::int
                FROM referral s
                JOIN facility h ON h.id = s.hospital_id JOIN facility c ON c.id = s.centre_id
                CROSS JOIN LATERAL (
                    SELECT 'acknowledge' AS stage, s.sent_at + make_interval(hours => \(unescaped: windowHours)) AS due_at WHERE s.status = 'sent'
                    UNION ALL
                    SELECT 'follow_up', ((s.follow_up_by + 1)::timestamp AT TIME ZONE 'Asia/Shanghai') WHERE s.status = 'discharged_down'
                ) x
                WHERE s.status IN ('sent', 'discharged_down') AND x.due_at < now()
                  AND (\(districtId)::bigint IS NULL OR s.district_id = \(districtId))
                ORDER BY x.due_at, s.id LIMIT \(limit)
                """,
                as: (Int64, String, Int64, String, String, String, Int64, String, Int64, String, String, Date, Int).self,
                logger: logger
            )
            let items = rows.map {
                OverdueReferral(
                    id: $0.0,
                    number: $0.1,
                    residentId: $0.2,
                    patientName: $0.3,
                    urgency: ReferralUrgency(rawValue: $0.4)!,
                    status: ReferralStatus(rawValue: $0.5)!,
                    hospitalId: $0.6,
                    hospitalName: $0.7,
                    centreId: $0.8,
                    centreName: $0.9,
                    stage: OverdueReferral.Stage(rawValue: $0.10)!,
                    dueAt: $0.11,
                    lateMinutes: $0.12
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
            "percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM s.\($0.to) - s.\($0.from)) / 3600) FILTER (WHERE s.\($0.to) IS NOT NULL)"
        }.joined(separator: ", ")
        func figures(by column: String, on conn: PostgresConnection) async throws -> [ReferralLoopFigures] {
            let rows = try await conn.query(
                """
                SELECT f.id, f.name, count(*)::int, count(*) FILTER (WHERE s.status = 'declined' OR s.decline_reason IS NOT NULL)::int,
                       count(*) FILTER (WHERE s.status = 'cancelled')::int, count(s.discharged_at)::int,
                       count(*) FILTER (WHERE s.status = 'closed' AND s.followed_up_at IS NOT NULL)::int,
                       count(*) FILTER (WHERE s.status NOT IN ('closed', 'cancelled'))::int,
                       count(*) FILTER (WHERE coalesce(s.received_at, now()) > s.sent_at + make_interval(hours => \(unescaped: windowHours)))::int,
                       \(unescaped: medians)
                FROM referral s JOIN facility f ON f.id = s.\(unescaped: column)
                WHERE s.sent_at IS NOT NULL
                  AND (\(districtId)::bigint IS NULL OR s.district_id = \(districtId))
                  AND (\(from)::timestamptz IS NULL OR s.sent_at >= \(from)) AND (\(to)::timestamptz IS NULL OR s.sent_at < \(to))
                GROUP BY f.id, f.name ORDER BY f.name, f.id
                """,
                logger: logger
            ).collect()
            return try rows.map { row in
                let r = row.makeRandomAccess()
                var hours: [String: Double] = [:]
                for (i, stage) in Self.stages.enumerated() {
                    if let h = try r[9 + i].decode(Double?.self) { hours[stage.name] = (h * 100).rounded() / 100 }
                }
                let discharged = try r[5].decode(Int.self)
                let closed = try r[6].decode(Int.self)
                return ReferralLoopFigures(
                    facilityId: try r[0].decode(Int64.self),
                    facilityName: try r[1].decode(String.self),
                    sent: try r[2].decode(Int.self),
                    declined: try r[3].decode(Int.self),
                    cancelled: try r[4].decode(Int.self),
                    dischargedDown: discharged,
                    closedLoops: closed,
                    openNow: try r[7].decode(Int.self),
                    acknowledgedLate: try r[8].decode(Int.self),
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
