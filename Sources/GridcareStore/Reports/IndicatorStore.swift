import Foundation
import GridcareCore
import Logging
import PostgresNIO

/// Places for heavy work that a live count takes before it starts (the service's admission); the store
/// does not queue: with none free it throws `LiveCountRefused` and counts nothing.
public protocol WorkPlaces: Sendable {
    /// Takes a place if one is free.
    func enter() -> Bool
    /// Gives the place back.
    func leave()
}

/// Every place for a live count was taken; nothing was counted (the API answers 429).
public struct LiveCountRefused: Error, Sendable {
    public init() {}
}

/// Reads the district's indicator counts per micro-grid for a period and the one before it, with the
/// area tree and the teams' catchments to roll them up by; the rates are GridcareCore's.
public struct IndicatorStore: Sendable {
    let db: Database
    public init(_ db: Database) { self.db = db }

    /// Everything the dashboard of `districtId` needs for `period`, read in one transaction and audited
    /// as one read. Only counts leave the database: no resident's record is read into the service.
    /// A period the clock has rolled up within `maxAge` is read from the rollup (every micro-grid of the
    /// district); any other is counted from the records now, for the micro-grids of `focus` only, and
    /// may take `liveCountTimeout` (past the request deadline), in one of `places` when given.
    public func report(
        districtId: Int64,
        focus: IndicatorTree.Focus? = nil,
        period: ReportPeriod,
        rules: IndicatorRules,
        today: SimpleDate,
        maxAge: Duration = .seconds(3600),
        liveCountTimeout: Duration = .seconds(60),
        places: (any WorkPlaces)? = nil,
        logger: Logger
    ) async throws -> IndicatorData {
        try await db.transaction(logger: logger) { conn in
            var holding = false
            defer { if holding { places?.leave() } }
            let areas = try await conn.rows(
                """
                SELECT id, level::text, parent_id, name FROM area
                WHERE district_id = \(districtId) AND level IN ('district', 'street', 'community', 'grid', 'micro_grid')
                ORDER BY id
                """,
                as: (Int64, String, Int64?, String).self,
                logger: logger
            ).compactMap { row in AreaLevel(rawValue: row.1).map { IndicatorTree.Node(id: row.0, level: $0, parentId: row.2, name: row.3) } }
            guard areas.contains(where: { $0.id == districtId && $0.level == .district }) else { throw StoreError.notFound("district") }
            let teams = try await conn.rows(
                """
                SELECT t.id, t.name, coalesce(array_agg(c.micro_grid_id ORDER BY c.micro_grid_id) FILTER (WHERE c.micro_grid_id IS NOT NULL), '{}')
                FROM care_team t LEFT JOIN care_team_catchment c ON c.team_id = t.id
                WHERE t.district_id = \(districtId) GROUP BY t.id, t.name ORDER BY t.name, t.id
                """,
                as: (Int64, String, [Int64]).self,
                logger: logger
            ).map { IndicatorTree.Team(id: $0.0, name: $0.1, microGrids: $0.2) }
            let tree = IndicatorTree(nodes: areas, teams: teams)
            // Counted live, only the focus's micro-grids are counted (a focus not in the tree, none: the
            // caller answers 404); the district itself is counted without a list of its grids.
            let only: [Int64]? = focus.flatMap { $0 == .area(districtId) ? nil : (tree.microGrids(in: $0) ?? []) }
            let rolledCurrent = try await rolledUp(conn, districtId: districtId, period: period, maxAge: maxAge, logger: logger)
            let rolledPrevious = try await rolledUp(conn, districtId: districtId, period: period.previous, maxAge: maxAge, logger: logger)
            if rolledCurrent == nil || rolledPrevious == nil {
                // A live count reads the records of a whole period: it runs only in a free place.
                if let places {
                    guard places.enter() else { throw LiveCountRefused() }
                    holding = true
                }
                try await Self.prepareLiveCount(conn, timeout: liveCountTimeout, logger: logger)
            }
            let count = { @Sendable (conn: PostgresConnection, p: ReportPeriod, today: SimpleDate?) async throws -> [Int64: IndicatorCounts] in
                try await self.counts(conn, districtId: districtId, only: only, period: p, rules: rules, today: today, logger: logger)
            }
            // Both periods counted live: the one before is counted at the same time on a connection of its
            // own (its own snapshot; the days before rarely change), so the wait is one period's, not two,
            // from the API and from a console page (whose reads otherwise share the page's one connection).
            let apart = rolledCurrent == nil && rolledPrevious == nil
            func previousOnItsOwn() async throws -> [Int64: IndicatorCounts]? {
                guard apart else { return nil }
                return try await db.transactionApart(logger: logger) { other in
                    try await Self.prepareLiveCount(other, timeout: liveCountTimeout, logger: logger)
                    return try await count(other, period.previous, nil)
                }
            }
            async let previousApart = previousOnItsOwn()
            let current: [Int64: IndicatorCounts]
            if let rolledCurrent { current = rolledCurrent } else { current = try await count(conn, period, today) }
            let previous: [Int64: IndicatorCounts]
            if let counted = try await previousApart {
                previous = counted
            } else if let rolledPrevious {
                previous = rolledPrevious
            } else {
                previous = try await count(conn, period.previous, nil)
            }
            try await AuditLog(db).record(.read, detail: "indicator report \(period.from.iso)..\(period.to.iso)", on: conn, logger: logger)
            return IndicatorData(tree: tree, period: period, current: current, previous: previous)
        }
    }

    /// A live count of a large district reads every resident, service and reading of its period: seconds,
    /// not milliseconds, past the request deadline; its hashes and sorts spill at the default work_mem, and
    /// JIT compiled its statements for a second of every count and saved less than it cost.
    static func prepareLiveCount(_ conn: PostgresConnection, timeout: Duration, logger: Logger) async throws {
        try await conn.query("SET LOCAL statement_timeout = \(unescaped: String(timeout.components.seconds * 1000))", logger: logger)
        try await conn.query("SET LOCAL work_mem = '64MB'", logger: logger)
        try await conn.query("SET LOCAL jit = off", logger: logger)
        // Both periods are counted at once, one a core: parallel workers on top only contend (2.8 s against
        // 2.1-2.6 s for the two periods of a million-resident district on two cores).
        try await conn.query("SET LOCAL max_parallel_workers_per_gather = 0", logger: logger)
        // Read from the page cache, a row found by index costs about what a row in turn does; at the
        // default (4, for spinning disks) the planner read every resident's wide row instead of the narrow
        // index (resident_indicator_idx).
        try await conn.query("SET LOCAL random_page_cost = 1.1", logger: logger)
    }

    /// One statement per table family, grouped by micro-grid. `today` adds what is overdue now (only the
    /// current period has a "now"); `only` narrows the count to those micro-grids (nil: all of the district).
    func counts(
        _ conn: PostgresConnection,
        districtId: Int64,
        only: [Int64]? = nil,
        period: ReportPeriod,
        rules: IndicatorRules,
        today: SimpleDate?,
        logger: Logger
    ) async throws -> [Int64: IndicatorCounts] {
        let start = period.from.startInChina
        let end = period.to.adding(days: 1).startInChina
        let born65 = period.to.adding(years: -rules.visits.annualCheckAge)
        let chronic = rules.visits.chronicConditions.map(\.rawValue)
        let needFollowUps = rules.required(perYear: rules.visits.chronicFollowUpsPerYear, days: period.days)
        let needHomeVisits = rules.required(perYear: rules.visits.disabledElderlyHomeVisitsPerYear, days: period.days)
        var byGrid: [Int64: IndicatorCounts] = [:]
        // Parts joined by micro-grid, so that only what needs a resident's age or conditions is joined to
        // the residents: the population (the census, and the 65+ from the birth-date index), contracts and flags (their own micro-grid
        // columns), and the residents followed up or checked in the period, each looked up by id. Narrowed,
        // every table is read for the focus's residents only (a semi-join served by the micro-grid index; a
        // materialised list of them made the planner probe each table once per resident); the filters fold
        // away when not narrowed.
        let narrowed = only != nil
        let grids = only ?? []
        let people = try await conn.rows(
            """
            WITH pop AS (
                -- Kept current by the registry's writes (resident_census, migration 0043): a few rows a micro-grid
                -- instead of every resident. A micro-grid whose residents all left sums to none and is not shown.
                SELECT micro_grid_id, sum(residents)::int AS residents,
                       coalesce(sum(residents) FILTER (WHERE 'hypertension' = ANY (conditions)), 0)::int AS htn,
                       coalesce(sum(residents) FILTER (WHERE 'type2_diabetes' = ANY (conditions)), 0)::int AS dm,
                       coalesce(sum(residents) FILTER (WHERE conditions && \(chronic)::text[]), 0)::int AS chronic
                FROM resident_census WHERE district_id = \(districtId) AND (\(!narrowed) OR micro_grid_id = ANY (\(grids)::bigint[]))
                GROUP BY micro_grid_id HAVING sum(residents) > 0
            ),
            old AS (
                -- The 65+ on the period's last day: a range of the birth-date index, which holds the micro-grid.
                SELECT micro_grid_id, count(*)::int AS aged65 FROM resident
                WHERE district_id = \(districtId) AND birth_date <= \(born65)::date AND (\(!narrowed) OR micro_grid_id = ANY (\(grids)::bigint[]))
                GROUP BY micro_grid_id
            ),
            k AS (
                SELECT micro_grid_id, count(DISTINCT resident_id)::int AS contracted FROM contract
                WHERE district_id = \(districtId) AND period @> \(period.to)::date AND (\(!narrowed) OR micro_grid_id = ANY (\(grids)::bigint[]))
                GROUP BY micro_grid_id
            ),
            s AS (
                SELECT resident_id, count(*) FILTER (WHERE visit = 'doctor_follow_up') AS fu, count(*) FILTER (WHERE visit = 'annual_check') AS ac,
                       count(*) FILTER (WHERE visit = 'home_visit') AS hv, count(*) FILTER (WHERE visit = 'welfare_visit') AS wv
                FROM service_entry
                WHERE district_id = \(districtId) AND visit IS NOT NULL AND performed_at >= \(start) AND performed_at < \(end)
                  AND (\(!narrowed) OR resident_id IN (SELECT id FROM resident WHERE district_id = \(districtId) AND micro_grid_id = ANY (\(grids)::bigint[])))
                GROUP BY resident_id
            ),
            fl AS (
                SELECT f.micro_grid_id, count(*) FILTER (WHERE f.de)::int AS de,
                       count(*) FILTER (WHERE f.de AND s.hv >= \(needHomeVisits))::int AS de_visited,
                       coalesce(sum(s.hv) FILTER (WHERE f.de), 0)::int AS hv_done, coalesce(sum(s.wv), 0)::int AS wv_done,
                       count(*) FILTER (WHERE f.tier = 'red')::int AS red, count(*) FILTER (WHERE f.tier = 'yellow')::int AS yellow,
                       count(*) FILTER (WHERE f.tier = 'green')::int AS green
                FROM (
                    -- A resident's flags share the resident's micro-grid (the key to the resident cascades).
                    SELECT resident_id, min(micro_grid_id) AS micro_grid_id, min(tier) AS tier, bool_or(category = 'disabled_elderly') AS de
                    FROM risk_flag
                    WHERE district_id = \(districtId) AND status = 'confirmed' AND decided_at < \(end)
                      AND (\(!narrowed) OR micro_grid_id = ANY (\(grids)::bigint[]))
                    GROUP BY resident_id
                ) AS f
                LEFT JOIN s USING (resident_id)
                GROUP BY f.micro_grid_id
            ),
            bp AS (
                SELECT DISTINCT ON (resident_id) resident_id, systolic, diastolic FROM vital_reading
                WHERE district_id = \(districtId) AND systolic IS NOT NULL AND measured_at >= \(start) AND measured_at < \(end)
                  AND (\(!narrowed) OR micro_grid_id = ANY (\(grids)::bigint[]))
                ORDER BY resident_id, measured_at DESC, id DESC
            ),
            gl AS (
                SELECT DISTINCT ON (resident_id) resident_id, glucose_fasting FROM vital_reading
                WHERE district_id = \(districtId) AND glucose_fasting IS NOT NULL AND measured_at >= \(start) AND measured_at < \(end)
                  AND (\(!narrowed) OR micro_grid_id = ANY (\(grids)::bigint[]))
                ORDER BY resident_id, measured_at DESC, id DESC
            ),
            sv AS (
                SELECT r.micro_grid_id, count(*) FILTER (WHERE r.old AND s.ac > 0)::int AS checked65,
                       count(*) FILTER (WHERE r.htn AND s.fu > 0)::int AS htn_managed,
                       count(*) FILTER (WHERE r.htn AND s.fu >= \(needFollowUps))::int AS htn_standard,
                       count(*) FILTER (WHERE r.htn AND s.fu > 0 AND bp.diastolic < \(rules.controlledDiastolic)
                                        AND bp.systolic < CASE WHEN r.old THEN \(rules.controlledSystolicFrom65) ELSE \(rules.controlledSystolic) END)::int
                         AS htn_controlled,
                       count(*) FILTER (WHERE r.dm AND s.fu > 0)::int AS dm_managed,
                       count(*) FILTER (WHERE r.dm AND s.fu >= \(needFollowUps))::int AS dm_standard,
                       count(*) FILTER (WHERE r.dm AND s.fu > 0 AND gl.glucose_fasting < \(rules.controlledFastingGlucose))::int AS dm_controlled,
                       coalesce(sum(s.fu) FILTER (WHERE r.chronic), 0)::int AS fu_done, coalesce(sum(s.ac) FILTER (WHERE r.old), 0)::int AS ac_done
                FROM s
                JOIN LATERAL (
                    SELECT micro_grid_id, birth_date <= \(born65)::date AS old, 'hypertension' = ANY (conditions) AS htn,
                           'type2_diabetes' = ANY (conditions) AS dm, conditions && \(chronic)::text[] AS chronic
                    FROM resident WHERE id = s.resident_id AND district_id = \(districtId)
                ) AS r ON true
                LEFT JOIN bp ON bp.resident_id = s.resident_id LEFT JOIN gl ON gl.resident_id = s.resident_id
                WHERE s.fu > 0 OR s.ac > 0
                GROUP BY r.micro_grid_id
            )
            SELECT micro_grid_id AS grid, residents, coalesce(contracted, 0) AS contracted, coalesce(aged65, 0) AS aged65, coalesce(checked65, 0) AS checked65,
                   htn, coalesce(htn_managed, 0) AS htn_managed, coalesce(htn_standard, 0) AS htn_standard,
                   coalesce(htn_controlled, 0) AS htn_controlled, dm, coalesce(dm_managed, 0) AS dm_managed,
                   coalesce(dm_standard, 0) AS dm_standard, coalesce(dm_controlled, 0) AS dm_controlled, coalesce(de, 0) AS de,
                   coalesce(de_visited, 0) AS de_visited, chronic, coalesce(fu_done, 0) AS fu_done, coalesce(ac_done, 0) AS ac_done,
                   coalesce(hv_done, 0) AS hv_done, coalesce(wv_done, 0) AS wv_done, coalesce(red, 0) AS red,
                   coalesce(yellow, 0) AS yellow, coalesce(green, 0) AS green
            FROM pop LEFT JOIN old USING (micro_grid_id) LEFT JOIN k USING (micro_grid_id) LEFT JOIN fl USING (micro_grid_id) LEFT JOIN sv USING (micro_grid_id)
            """,
            logger: logger
        ) { c in
            var n = IndicatorCounts()
            n.residents = try c("residents")
            n.contracted = try c("contracted")
            n.aged65 = try c("aged65")
            n.checked65 = try c("checked65")
            n.hypertension = try c("htn")
            n.hypertensionManaged = try c("htn_managed")
            n.hypertensionStandard = try c("htn_standard")
            n.hypertensionControlled = try c("htn_controlled")
            n.diabetes = try c("dm")
            n.diabetesManaged = try c("dm_managed")
            n.diabetesStandard = try c("dm_standard")
            n.diabetesControlled = try c("dm_controlled")
            n.disabledElderly = try c("de")
            n.disabledElderlyVisited = try c("de_visited")
            n.chronic = try c("chronic")
            n.followUpsDone = try c("fu_done")
            n.checksDone = try c("ac_done")
            n.homeVisitsDone = try c("hv_done")
            n.welfareVisitsDone = try c("wv_done")
            n.flaggedRed = try c("red")
            n.flaggedYellow = try c("yellow")
            n.flaggedGreen = try c("green")
            return (try c("grid", Int64.self), n)
        }
        for (grid, n) in people { byGrid[grid] = n }
        // Overdue as the due list counts it: a visit never made is due from the year's start at the earliest.
        let jan1 = today.map { SimpleDate(year: $0.year, month: 1, day: 1)! }
        let others = try await conn.rows(
            """
            WITH overdue AS (
                -- Grouped in one pass (a count per micro-grid by its index was 0.46 s of a large district's 0.11 s).
                SELECT d.micro_grid_id, count(*)::int AS n FROM due_visit d
                WHERE \(today != nil) AND d.district_id = \(districtId) AND (\(!narrowed) OR d.micro_grid_id = ANY (\(grids)::bigint[]))
                  AND CASE WHEN d.year_clamped THEN greatest(d.due_on, \(jan1)::date) ELSE d.due_on END < \(today)::date
                  AND (d.active_from IS NULL OR d.active_from <= \(today)::date)
                  AND (d.active_until IS NULL OR d.active_until > \(today)::date)
                GROUP BY d.micro_grid_id
            )
            SELECT m.id, (SELECT count(*) FROM household h WHERE h.micro_grid_id = m.id)::int,
                   (SELECT count(*) FROM follow_up u WHERE u.micro_grid_id = m.id AND u.due_by BETWEEN \(period.from)::date AND \(period.to)::date)::int,
                   (SELECT count(*) FROM follow_up u WHERE u.micro_grid_id = m.id AND u.due_by BETWEEN \(period.from)::date AND \(period.to)::date
                      AND u.done_by_service IS NOT NULL)::int,
                   coalesce(o.n, 0)
            FROM area m LEFT JOIN overdue o ON o.micro_grid_id = m.id
            WHERE m.district_id = \(districtId) AND m.level = 'micro_grid' AND (\(!narrowed) OR m.id = ANY (\(grids)::bigint[]))
            """,
            as: (Int64, Int, Int, Int, Int).self,
            logger: logger
        )
        for (grid, households, asked, answered, overdue) in others {
            var n = byGrid[grid] ?? IndicatorCounts()
            n.households = households
            n.followUpsAsked = asked
            n.followUpsAnswered = answered
            n.overdueNow = overdue
            byGrid[grid] = n
        }
        return byGrid
    }

    /// Folds the district's census rows (one for each registry write that changed it) into one per
    /// micro-grid and condition set; the clock does it each round so a count sums a few rows a micro-grid.
    public func compactCensus(districtId: Int64, logger: Logger) async throws {
        try await db.transaction(logger: logger) { conn in
            _ = try await conn.first("SELECT gridcare_census_compact(\(districtId))", as: Int64.self, logger: logger)
        }
    }

    /// The districts the clock rolls up, in id order.
    public func districts(logger: Logger) async throws -> [Int64] {
        try await db.rows("SELECT id FROM area WHERE level = 'district' ORDER BY id", as: Int64.self, logger: logger)
    }

    /// The rolled-up counts of a period, when the clock computed them within `maxAge`.
    func rolledUp(
        _ conn: PostgresConnection,
        districtId: Int64,
        period: ReportPeriod,
        maxAge: Duration,
        logger: Logger
    ) async throws
        -> [Int64: IndicatorCounts]?
    {
        let rows = try await conn.rows(
            """
            SELECT micro_grid_id, counts FROM indicator_rollup
            WHERE district_id = \(districtId) AND period_from = \(period.from)::date AND period_to = \(period.to)::date
              AND computed_at > now() - make_interval(secs => \(Double(maxAge.components.seconds)))
            """,
            as: (Int64, [Int]).self,
            logger: logger
        )
        guard !rows.isEmpty else { return nil }
        return Dictionary(rows.map { ($0.0, IndicatorCounts(values: $0.1)) }, uniquingKeysWith: { a, _ in a })
    }

    /// Counts each period from the records and replaces its rollup, one transaction per period (a
    /// reader sees the old rows or the new, never half). The counting runs past the request deadline
    /// and without JIT (its compile time was a second of every count). Several service copies may run
    /// it: an advisory lock per district lets one do the work and the others skip it.
    public func refresh(districtId: Int64, periods: [ReportPeriod], rules: IndicatorRules, today: SimpleDate, logger: Logger) async throws -> Bool {
        try await db.transaction(logger: logger) { conn in
            let locked = try await conn.first("SELECT pg_try_advisory_xact_lock(1685417318, \(districtId)::int)", as: Bool.self, logger: logger)
            guard locked ?? false else { return false }
            try await conn.query("SET LOCAL statement_timeout = '10min'", logger: logger)
            try await conn.query("SET LOCAL jit = off", logger: logger)
            for period in periods {
                let byGrid = try await counts(
                    conn,
                    districtId: districtId,
                    period: period,
                    rules: rules,
                    today: period.to == today ? today : nil,
                    logger: logger
                )
                try await conn.query(
                    """
                    DELETE FROM indicator_rollup
                    WHERE district_id = \(districtId) AND period_from = \(period.from)::date AND period_to = \(period.to)::date
                    """,
                    logger: logger
                )
                let grids = Array(byGrid.keys)
                // One row per micro-grid, its counts as a text array literal unnested alongside the ids.
                let values = grids.map { "{" + byGrid[$0]!.values.map(String.init).joined(separator: ",") + "}" }
                try await conn.query(
                    """
                    INSERT INTO indicator_rollup (district_id, period_from, period_to, micro_grid_id, counts)
                    SELECT \(districtId), \(period.from)::date, \(period.to)::date, g, c::integer[]
                    FROM unnest(\(grids)::bigint[], \(values)::text[]) AS u(g, c)
                    """,
                    logger: logger
                )
            }
            return true
        }
    }
}

/// What `IndicatorStore.report` read: the tree to roll up by, and the counts of both periods.
public struct IndicatorData: Sendable {
    public var tree: IndicatorTree
    public var period: ReportPeriod
    public var current: [Int64: IndicatorCounts]
    public var previous: [Int64: IndicatorCounts]
}
