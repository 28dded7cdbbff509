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
    /// The resident's household and its address, for lists grouped by door.
    public var householdId: Int64?, address: String?
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
        /// Only visits of this kind, or of residents of this micro-grid.
        public var visit: VisitKind?, microGridId: Int64?
        public var today: SimpleDate, until: SimpleDate, limit: Int
        public init(
            teamId: Int64? = nil,
            districtId: Int64? = nil,
            residentIds: [Int64]? = nil,
            visit: VisitKind? = nil,
            microGridId: Int64? = nil,
            today: SimpleDate,
            until: SimpleDate,
            limit: Int
        ) {
            self.teamId = teamId
            self.districtId = districtId
            self.residentIds = residentIds
            self.visit = visit
            self.microGridId = microGridId
            self.today = today
            self.until = until
            self.limit = limit
        }
    }

    /// Residents with an open alert first, then the most overdue; `total` counts beyond the limit. A team
    /// the caller cannot see is `notFound`, as a missing one.
    public func due(_ q: Query, logger: Logger) async throws -> (items: [DueVisit], total: Int) {
        let yearStart = SimpleDate(year: q.today.year, month: 1, day: 1)!
        let scoped = db.scope != nil
        return try await db.transaction(logger: logger) { conn in
            let rows: [Row]
            if let team = q.teamId {
                // The hot path (a team's list, many times a day): named prepared statements, planned once.
                guard try await conn.first(TeamVisible(parameter: team), logger: logger) == true else { throw StoreError.notFound("care team") }
                rows = try await conn.rows(
                    TeamList(
                        team: team,
                        visit: q.visit?.rawValue,
                        microGridId: q.microGridId,
                        yearStart: yearStart,
                        today: q.today,
                        until: q.until,
                        limit: q.limit
                    ),
                    logger: logger
                )
            } else {
                var binds = PostgresBindings(capacity: 9)
                Self.bindCommon(&binds, yearStart: yearStart, today: q.today, until: q.until, limit: q.limit)
                binds.append(q.districtId)
                binds.append(q.residentIds)
                binds.append(q.visit?.rawValue)
                binds.append(q.microGridId)
                // The caller's micro-grids again, as a filter the planner can take to the index (the policy's
                // test is per row): a grid worker's list reads their grids, not the district's.
                binds.append(db.scope?.microGridIds)
                let sql = Self.listSQL(
                    filter: """
                        ($5::bigint IS NULL OR d.district_id = $5) AND ($6::bigint[] IS NULL OR d.resident_id = ANY($6))
                          AND \(Self.narrowed(visit: 7, microGrid: 8)) AND ($9::bigint[] IS NULL OR d.micro_grid_id = ANY($9))
                        """
                )
                rows = try await conn.rows(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger, Self.row)
            }
            let items = rows.map(\.visit)
            // A signed-in caller leaves a row per resident listed; the CLI's district-wide run one for the run.
            let listed = scoped ? Array(Set(items.map(\.residentId))).sorted() : []
            try await AuditLog(db).record(.search, residents: listed, detail: "due visits: \(rows.first?.total ?? 0)", on: conn, logger: logger)
            return (items, rows.first?.total ?? 0)
        }
    }

    /// One listed visit and the count of all that the list would hold without its limit.
    typealias Row = (visit: DueVisit, total: Int)
    static func row(_ c: Columns) throws -> Row {
        let visit = DueVisit(
            residentId: try c("resident_id"),
            residentName: try c("name"),
            microGridId: try c("micro_grid_id"),
            teamId: try c("team_id"),
            visit: VisitKind(rawValue: try c("visit"))!,
            rule: DueRule(rawValue: try c("rule"))!,
            dueOn: SimpleDate(iso: try c("due"))!,
            overdueDays: try c("overdue_days"),
            lastDone: (try c("last_on", String?.self)).flatMap(SimpleDate.init(iso:)),
            tier: (try c("tier", String?.self)).flatMap(Tier.init(rawValue:)),
            openAlert: try c("alerted"),
            householdId: try c("household_id"),
            address: try c("address")
        )
        return (visit, try c("total"))
    }

    /// The one due-list statement, narrowed by `filter` (over `d`, the table, and `c`, the catchment; its
    /// parameters are $5 on). $1 the first of the year, $2 today, $3 until, $4 the limit. A visit never made
    /// is due from the contract's start or the age, but not before the year began. Sorted and counted on
    /// narrow rows; names, dates and the household's address are fetched for the page only.
    static func listSQL(filter: String) -> String {
        """
        WITH listed AS (
            SELECT d.resident_id, d.rule, d.basis, d.visit, d.alerted, c.team_id,
                   CASE WHEN d.year_clamped THEN greatest(d.due_on, $1::date) ELSE d.due_on END AS due
            FROM due_visit d JOIN care_team_catchment c ON c.micro_grid_id = d.micro_grid_id
            WHERE \(filter)
              AND d.due_on <= $3::date
              AND (d.active_from IS NULL OR d.active_from <= $2::date)
              AND (d.active_until IS NULL OR d.active_until > $2::date)
        ), page AS (
            SELECT l.*, count(*) OVER () AS total FROM listed l WHERE l.due <= $3::date
            ORDER BY l.alerted DESC, l.due, l.resident_id, l.visit
            LIMIT $4
        )
        SELECT p.resident_id, d.name, d.micro_grid_id, p.team_id, p.visit::text, p.rule, to_char(p.due, 'YYYY-MM-DD') AS due,
               greatest(0, $2::date - p.due) AS overdue_days, to_char(d.last_on, 'YYYY-MM-DD') AS last_on, d.tier::text, p.alerted, p.total,
               r.household_id, h.address
        FROM page p JOIN due_visit d ON d.resident_id = p.resident_id AND d.rule = p.rule AND d.basis = p.basis
        LEFT JOIN resident r ON r.id = p.resident_id LEFT JOIN household h ON h.id = r.household_id
        ORDER BY p.alerted DESC, p.due, p.resident_id, p.visit
        """
    }

    /// The query's visit kind and micro-grid (`Query.visit`, `Query.microGridId`), each null for any, as
    /// the parameters numbered `visit` and `microGrid`.
    static func narrowed(visit: Int, microGrid: Int) -> String {
        "($\(visit)::text IS NULL OR d.visit::text = $\(visit)) AND ($\(microGrid)::bigint IS NULL OR d.micro_grid_id = $\(microGrid))"
    }

    static func bindCommon(_ b: inout PostgresBindings, yearStart: SimpleDate, today: SimpleDate, until: SimpleDate, limit: Int) {
        b.append(yearStart)
        b.append(today)
        b.append(until)
        b.append(limit)
    }

    struct TeamList: PostgresPreparedStatement {
        static let sql = DueVisitStore.listSQL(
            filter: "c.team_id = $5 AND \(DueVisitStore.narrowed(visit: 6, microGrid: 7))"
        )
        typealias Row = DueVisitStore.Row
        var team: Int64, visit: String?, microGridId: Int64?, yearStart: SimpleDate, today: SimpleDate, until: SimpleDate, limit: Int
        func makeBindings() throws -> PostgresBindings {
            var b = PostgresBindings(capacity: 7)
            DueVisitStore.bindCommon(&b, yearStart: yearStart, today: today, until: until, limit: limit)
            b.append(team)
            b.append(visit)
            b.append(microGridId)
            return b
        }
        func decodeRow(_ row: PostgresRow) throws -> Row { try DueVisitStore.row(Columns(row)) }
    }

    struct TeamVisible: OneParameterStatement {
        static let sql = "SELECT EXISTS (SELECT 1 FROM care_team WHERE id = $1)"
        typealias Row = Bool
        /// The team's id.
        var parameter: Int64
        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Bool.self) }
    }

    /// Makes the database's copy of the rules' figures `rules` (the configuration's), recomputing every
    /// resident's due visits when they changed. Run by the owner at start (DatabaseBootstrap).
    public static func adopt(_ rules: VisitRules, on conn: PostgresConnection, logger: Logger) async throws {
        let conditions = rules.chronicConditions.map(\.rawValue).sorted()
        let (red, yellow, green) = (rules.welfareDays[.red] ?? 7, rules.welfareDays[.yellow] ?? 14, rules.welfareDays[.green] ?? 30)
        let (annual, zone) = (rules.annualCheckIntervalDays, VisitRules.timeZone)
        let changed =
            try await conn.first(
                """
                UPDATE visit_rules SET chronic_interval_days = \(rules.chronicIntervalDays), chronic_conditions = \(conditions),
                       annual_check_age = \(rules.annualCheckAge), home_visit_interval_days = \(rules.homeVisitIntervalDays),
                       welfare_days_red = \(red), welfare_days_yellow = \(yellow), welfare_days_green = \(green),
                       annual_check_interval_days = \(annual), time_zone = \(zone)
                WHERE (chronic_interval_days, chronic_conditions, annual_check_age, home_visit_interval_days,
                       welfare_days_red, welfare_days_yellow, welfare_days_green, annual_check_interval_days, time_zone)
                      IS DISTINCT FROM (\(rules.chronicIntervalDays), \(conditions)::text[], \(rules.annualCheckAge), \(rules.homeVisitIntervalDays),
                                        \(red), \(yellow), \(green), \(annual), \(zone)::text)
                RETURNING true
                """,
                as: Bool.self,
                logger: logger
            ) ?? false
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
