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

/// Due visits, read from `due_visit`: a table the database keeps current by triggers on every record the
/// rules read (0012_due_table.sql, where `gridcare_due_refresh` is the one statement of the rules), so a
/// recorded service or a confirmed flag changes the list at once and a team's list is one index scan. Its
/// rows hold for any day; the read applies `today`. The caller's scope applies as everywhere.
public struct DueVisitStore: Sendable {
    let db: Database
    public init(_ db: Database) { self.db = db }

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
        let yearStart = SimpleDate(year: q.today.year, month: 1, day: 1)!
        let scoped = db.scope != nil
        return try await db.transaction(logger: logger) { conn in
            // A visit never made is due from the contract's start or the age, but not before this year began.
            // The caller's micro-grids are the table's row-level security, not repeated here.
            let rows = try await conn.rows("""
                WITH listed AS (
                    SELECT d.*, c.team_id, CASE WHEN d.year_clamped THEN greatest(d.due_on, \(yearStart.iso)::date) ELSE d.due_on END AS due
                    FROM due_visit d JOIN care_team_catchment c ON c.micro_grid_id = d.micro_grid_id
                    WHERE (\(q.teamId)::bigint IS NULL OR c.team_id = \(q.teamId))
                      AND (\(q.districtId)::bigint IS NULL OR d.district_id = \(q.districtId))
                      AND (\(q.residentIds)::bigint[] IS NULL OR d.resident_id = ANY(\(q.residentIds)))
                      AND d.due_on <= \(q.until.iso)::date
                      AND (d.active_from IS NULL OR d.active_from <= \(q.today.iso)::date)
                      AND (d.active_until IS NULL OR d.active_until > \(q.today.iso)::date)
                )
                SELECT resident_id, name, micro_grid_id, team_id, visit::text, rule, to_char(due, 'YYYY-MM-DD'),
                       greatest(0, \(q.today.iso)::date - due), to_char(last_on, 'YYYY-MM-DD'), tier::text, alerted, count(*) OVER ()
                FROM listed
                WHERE due <= \(q.until.iso)::date
                ORDER BY alerted DESC, due, resident_id, visit
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

    /// Makes the database's copy of the rules' figures `rules` (the configuration's), recomputing every
    /// resident's due visits when they changed. Run by the owner at start (DatabaseBootstrap).
    public static func adopt(_ rules: VisitRules, on conn: PostgresConnection, logger: Logger) async throws {
        let conditions = rules.chronicConditions.map(\.rawValue).sorted()
        let changed = try await conn.first("""
            UPDATE visit_rules SET chronic_interval_days = \(rules.chronicIntervalDays), chronic_conditions = \(conditions),
                   annual_check_age = \(rules.annualCheckAge), home_visit_interval_days = \(rules.homeVisitIntervalDays),
                   welfare_days_red = \(rules.welfareDays[.red] ?? 7), welfare_days_yellow = \(rules.welfareDays[.yellow] ?? 14),
                   welfare_days_green = \(rules.welfareDays[.green] ?? 30)
            WHERE (chronic_interval_days, chronic_conditions, annual_check_age, home_visit_interval_days,
                   welfare_days_red, welfare_days_yellow, welfare_days_green)
                  IS DISTINCT FROM (\(rules.chronicIntervalDays), \(conditions)::text[], \(rules.annualCheckAge), \(rules.homeVisitIntervalDays),
                                    \(rules.welfareDays[.red] ?? 7), \(rules.welfareDays[.yellow] ?? 14), \(rules.welfareDays[.green] ?? 30))
            RETURNING true
            """, as: Bool.self, logger: logger) ?? false
        if changed {
            let rows = try await rebuild(on: conn, logger: logger)
            logger.notice("visit rules changed: due visits recomputed", metadata: ["rows": "\(rows)"])
        }
    }

    /// Recomputes every resident's due visits (the rules' figures changed, or to time the whole district).
    @discardableResult
    public static func rebuild(on conn: PostgresConnection, logger: Logger) async throws -> Int {
        try await conn.first("SELECT gridcare_due_rebuild()", as: Int.self, logger: logger) ?? 0
    }
}
