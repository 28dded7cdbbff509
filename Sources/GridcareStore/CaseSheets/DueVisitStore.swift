import Foundation
import GridcareCore
import Logging
import PostgresNIO

/// A visit the rules make due: who, which kind, by when, how late, and which rule.
public struct DueVisit: Sendable, Equatable {
    public var residentId: Int64, residentName: String, microGridId: Int64, teamId: Int64
    public var visit: VisitKind, rule: DueRule, dueOn: SimpleDate, overdueDays: Int, lastDone: SimpleDate?
    /// The most urgent tier among the resident's confirmed flags, and whether an alert is open.
    public var tier: Tier?, openAlert: Bool
}

/// Due visits, computed from today's records by the rules in VisitRules (nothing is stored, so a
/// recorded service or a closed flag changes the list at once). One statement, set-based, so a whole
/// district is one query; the caller's scope applies as everywhere.
public struct DueVisitStore: Sendable {
    let db: Database
    let rules: VisitRules
    public init(_ db: Database, rules: VisitRules = VisitRules()) { self.db = db; self.rules = rules }

    public struct Query: Sendable {
        public var teamId: Int64?, districtId: Int64?, residentIds: [Int64]?
        public var today: SimpleDate, until: SimpleDate, limit: Int
        public init(teamId: Int64? = nil, districtId: Int64? = nil, residentIds: [Int64]? = nil, today: SimpleDate, until: SimpleDate, limit: Int) {
            self.teamId = teamId; self.districtId = districtId; self.residentIds = residentIds
            self.today = today; self.until = until; self.limit = limit
        }
    }

    /// Residents with an open alert first, then the most overdue; `total` counts beyond the limit.
    public func due(_ q: Query, logger: Logger) async throws -> (items: [DueVisit], total: Int) {
        let r = rules
        let yearStart = SimpleDate(year: q.today.year, month: 1, day: 1)!
        let gridScope = db.scope?.microGridIds
        let scoped = db.scope != nil
        // Every branch of `due` carries the person's columns, so its rows are never joined back to people:
        // under row-level security the planner cannot estimate such a join, and picked a nested loop (>5 s).
        // The last visit of each kind is an index lookup per candidate (LATERAL), not a join against a
        // grouped table of all services, for the same reason (380 ms → see BENCHMARKS.md). Active contracts are
        // found by dates rather than `period @>`, which lured the planner onto the slower GiST index. The tier and
        // the open alert are index lookups per due row: joined to grouped CTEs (estimated at one row under
        // row-level security) they became a nested loop over both, 95 ms of a 5,000-resident team's 140.
        return try await db.transaction(logger: logger) { conn in
        let rows = try await conn.rows("""
            WITH people AS MATERIALIZED (
                SELECT r.id, r.name, r.micro_grid_id, r.birth_date, r.conditions, c.team_id
                FROM resident r JOIN care_team_catchment c ON c.micro_grid_id = r.micro_grid_id
                WHERE (\(q.teamId)::bigint IS NULL OR c.team_id = \(q.teamId))
                  AND (\(q.districtId)::bigint IS NULL OR r.district_id = \(q.districtId))
                  AND (\(q.residentIds)::bigint[] IS NULL OR r.id = ANY(\(q.residentIds)))
                  AND (\(gridScope)::bigint[] IS NULL OR r.micro_grid_id = ANY(\(gridScope)))
            ),
            contracted AS (
                SELECT p.*, k.starts_on FROM people p
                JOIN contract k ON k.resident_id = p.id AND k.starts_on <= \(q.today.iso)::date
                               AND coalesce(k.ended_on, k.term_ends_on) > \(q.today.iso)::date
            ),
            flags AS MATERIALIZED (
                SELECT f.resident_id, p.name, p.micro_grid_id, p.team_id, f.category, f.tier,
                       (f.decided_at AT TIME ZONE 'Asia/Shanghai')::date AS since
                FROM risk_flag f JOIN people p ON p.id = f.resident_id WHERE f.status = 'confirmed'
            ),
            due AS MATERIALIZED (
                SELECT c.id, c.name, c.micro_grid_id, c.team_id, 'doctor_follow_up' AS visit, 'chronic_follow_up' AS rule,
                       coalesce(l.last_on + \(r.chronicIntervalDays)::int, greatest(c.starts_on, \(yearStart.iso)::date)) AS due_on, l.last_on
                FROM contracted c LEFT JOIN LATERAL (SELECT max((s.performed_at AT TIME ZONE 'Asia/Shanghai')::date) AS last_on FROM service_entry s
                           WHERE s.resident_id = c.id AND s.visit = 'doctor_follow_up') l ON true
                WHERE c.conditions && \(r.chronicConditions.map(\.rawValue))::text[]
              UNION ALL
                SELECT c.id, c.name, c.micro_grid_id, c.team_id, 'annual_check', 'annual_check',
                       coalesce(l.last_on + 365, greatest((c.birth_date + make_interval(years => \(r.annualCheckAge)::int))::date, \(yearStart.iso)::date)),
                       l.last_on
                FROM contracted c LEFT JOIN LATERAL (SELECT max((s.performed_at AT TIME ZONE 'Asia/Shanghai')::date) AS last_on FROM service_entry s
                           WHERE s.resident_id = c.id AND s.visit = 'annual_check') l ON true
                WHERE c.birth_date <= (\(q.today.iso)::date - make_interval(years => \(r.annualCheckAge)::int))::date
              UNION ALL
                SELECT f.resident_id, f.name, f.micro_grid_id, f.team_id, 'home_visit', 'disabled_elderly_home_visit',
                       coalesce(l.last_on + \(r.homeVisitIntervalDays)::int, f.since), l.last_on
                FROM flags f LEFT JOIN LATERAL (SELECT max((s.performed_at AT TIME ZONE 'Asia/Shanghai')::date) AS last_on FROM service_entry s
                           WHERE s.resident_id = f.resident_id AND s.visit = 'home_visit') l ON true
                WHERE f.category = 'disabled_elderly'
              UNION ALL
                SELECT w.resident_id, w.name, w.micro_grid_id, w.team_id, 'welfare_visit', 'welfare_visit', coalesce(l.last_on + w.days, w.since), l.last_on
                FROM (SELECT DISTINCT ON (f.resident_id) f.resident_id, f.name, f.micro_grid_id, f.team_id, f.since,
                             CASE f.tier WHEN 'red' THEN \(r.welfareDays[.red] ?? 7) WHEN 'yellow' THEN \(r.welfareDays[.yellow] ?? 14)
                                         ELSE \(r.welfareDays[.green] ?? 30) END::int AS days
                      FROM flags f ORDER BY f.resident_id, f.tier) w
                LEFT JOIN LATERAL (SELECT max((s.performed_at AT TIME ZONE 'Asia/Shanghai')::date) AS last_on FROM service_entry s
                           WHERE s.resident_id = w.resident_id AND s.visit = 'welfare_visit') l ON true
              UNION ALL
                SELECT p.id, p.name, p.micro_grid_id, p.team_id, 'doctor_follow_up',
                       CASE u.rule WHEN 'referral_discharge' THEN 'follow_up_after_discharge' ELSE 'follow_up_after_reading' END, u.due_by, NULL::date
                FROM (SELECT DISTINCT ON (resident_id) resident_id, due_by, rule FROM follow_up WHERE done_by_service IS NULL
                      ORDER BY resident_id, due_by, rule = 'referral_discharge' DESC) u
                JOIN people p ON p.id = u.resident_id
            ),
            listed AS (
                SELECT d.*,
                       (SELECT min(f.tier)::text FROM risk_flag f WHERE f.resident_id = d.id AND f.status = 'confirmed') AS tier,
                       EXISTS (SELECT 1 FROM alert a WHERE a.resident_id = d.id AND a.status = 'open') AS alerted
                FROM due d
                WHERE d.due_on <= \(q.until.iso)::date
            )
            SELECT id, name, micro_grid_id, team_id, visit, rule, to_char(due_on, 'YYYY-MM-DD'),
                   greatest(0, \(q.today.iso)::date - due_on), to_char(last_on, 'YYYY-MM-DD'), tier, alerted, count(*) OVER ()
            FROM listed
            ORDER BY alerted DESC, due_on, id, visit
            LIMIT \(q.limit)
            """, as: (Int64, String, Int64, Int64, String, String, String, Int, String?, String?, Bool, Int).self, logger: logger)
        let items = rows.map {
            DueVisit(residentId: $0.0, residentName: $0.1, microGridId: $0.2, teamId: $0.3, visit: VisitKind(rawValue: $0.4)!,
                     rule: DueRule(rawValue: $0.5)!, dueOn: SimpleDate(iso: $0.6)!, overdueDays: $0.7,
                     lastDone: $0.8.flatMap(SimpleDate.init(iso:)), tier: $0.9.flatMap(Tier.init(rawValue:)), openAlert: $0.10)
        }
        // A signed-in caller leaves a row per resident listed; the CLI's district-wide run one for the run.
        let listed = scoped ? Array(Set(items.map(\.residentId))).sorted() : []
        try await AuditLog(db).record(.search, residents: listed, detail: "due visits: \(rows.first?.11 ?? 0)", on: conn, logger: logger)
        return (items, rows.first?.11 ?? 0)
        }
    }
}
