import GridcareCore
import Logging

/// A caller's residents that need something, most urgent first: open alerts, then red, yellow, green,
/// then the earliest due visit. Composed from the due list, open flags and open alerts.
public enum MyResidents {
    public struct Entry: Sendable {
        public var residentId: Int64, name: String, microGridId: Int64, tier: Tier?, flags: [RiskFlag], openAlerts: Int, due: [DueVisit]
    }

    public static func build(due: [DueVisit], flags: [RiskFlag], alerts: [Alert], limit: Int) -> [Entry] {
        var entries: [Int64: Entry] = [:]
        for d in due {
            entries[
                d.residentId,
                default: Entry(
                    residentId: d.residentId,
                    name: d.residentName,
                    microGridId: d.microGridId,
                    tier: nil,
                    flags: [],
                    openAlerts: 0,
                    due: []
                )
            ].due.append(d)
        }
        for f in flags where entries[f.residentId] != nil || f.status == .raised || f.status == .confirmed {
            entries[
                f.residentId,
                default: Entry(
                    residentId: f.residentId,
                    name: f.residentName,
                    microGridId: f.microGridId,
                    tier: nil,
                    flags: [],
                    openAlerts: 0,
                    due: []
                )
            ].flags.append(f)
        }
        for a in alerts where a.status == .open {
            entries[
                a.residentId,
                default: Entry(
                    residentId: a.residentId,
                    name: a.residentName,
                    microGridId: a.microGridId,
                    tier: nil,
                    flags: [],
                    openAlerts: 0,
                    due: []
                )
            ].openAlerts += 1
        }
        var list = Array(entries.values)
        for i in list.indices {
            list[i].tier = list[i].flags.lazy.filter { $0.status == .confirmed }.map(\.tier).min { $0.urgencyRank < $1.urgencyRank }
        }
        return sortedByUrgency(list).prefix(limit).map { $0 }
    }

    /// Most urgent first; each entry's key is worked out once, not at every comparison.
    static func sortedByUrgency(_ list: [Entry]) -> [Entry] {
        list.map { (urgency($0), $0) }.sorted { $0.0 < $1.0 }.map(\.1)
    }

    static func urgency(_ e: Entry) -> (Int, Int, Int, Int64) {
        (e.openAlerts > 0 ? 0 : 1, e.tier?.urgencyRank ?? 3, e.due.lazy.map(\.dueOn.dayNumber).min() ?? Int.max, e.residentId)
    }

    /// The caller's residents that need something, from what `db`'s scope sees: open alerts, open flags
    /// and visits due by `until`; the `limit` most urgent of the whole scope, or those of `residentIds` (of
    /// one micro-grid, when given). Each carries every visit of theirs due by `until`. The API's
    /// `/v1/me/residents` and the console's 我的微网格 both read it. Only the residents returned are read
    /// (and audited) in full: the choice reads ids and ranks alone.
    public static func load(
        _ db: Database,
        today: SimpleDate,
        until: SimpleDate,
        limit: Int,
        microGridId: Int64? = nil,
        residentIds: [Int64]? = nil,
        logger: Logger
    ) async throws -> [Entry] {
        let ids: [Int64]
        if let residentIds {
            ids = residentIds
        } else {
            ids = try await mostUrgent(db, today: today, until: until, limit: limit, logger: logger)
        }
        guard !ids.isEmpty else { return [] }
        let (due, _) = try await DueVisitStore(db).due(
            .init(residentIds: ids, microGridId: microGridId, today: today, until: until, limit: 20_000),
            logger: logger
        )
        let flags = try await FlagStore(db).list(
            .init(microGridId: microGridId, openOnly: true, residentIds: ids),
            // Every open flag of theirs, not a page of them: a red flag past the 200th by id must still lead.
            page: PageRequest(firstOf: 5000),
            logger: logger
        ).items
        let alerts = try await AlertStore(db).list(
            teamId: nil,
            microGridId: microGridId,
            residentIds: ids,
            includeClosed: false,
            limit: 2000,
            logger: logger
        )
        return build(due: due, flags: flags, alerts: alerts, limit: limit)
    }

    /// The ids of the `limit` most urgent residents in sight, in the order `build` sorts them: one statement
    /// over the due table, open flags and open alerts, so that a grid worker's 30 need not be chosen from
    /// every flag and due visit read in full (820 flags and 2,096 visits for 30 micro-grids in the demo).
    static func mostUrgent(_ db: Database, today: SimpleDate, until: SimpleDate, limit: Int, logger: Logger) async throws -> [Int64] {
        let yearStart = SimpleDate(year: today.year, month: 1, day: 1)!
        // The caller's micro-grids again, as a filter the planner can take to an index (the policies' test is per row).
        let grids = db.scope?.microGridIds
        let rows = try await db.rows(
            """
            WITH candidate AS (
                SELECT d.resident_id, CASE WHEN d.year_clamped THEN greatest(d.due_on, \(yearStart)::date) ELSE d.due_on END AS due,
                       NULL::int AS rank, false AS alerted
                FROM due_visit d
                WHERE d.due_on <= \(until)::date
                  AND (d.active_from IS NULL OR d.active_from <= \(today)::date)
                  AND (d.active_until IS NULL OR d.active_until > \(today)::date)
                  AND (\(grids)::bigint[] IS NULL OR d.micro_grid_id = ANY(\(grids)))
                  AND EXISTS (SELECT 1 FROM care_team_catchment c WHERE c.micro_grid_id = d.micro_grid_id)
                UNION ALL
                SELECT f.resident_id, NULL,
                       CASE WHEN f.status = 'confirmed' THEN array_position(ARRAY['red', 'yellow', 'green'], f.tier::text) - 1 END, false
                FROM risk_flag f
                WHERE f.status IN ('raised', 'confirmed') AND (\(grids)::bigint[] IS NULL OR f.micro_grid_id = ANY(\(grids)))
                UNION ALL
                SELECT a.resident_id, NULL, NULL, true
                FROM alert a
                WHERE a.status = 'open' AND (\(grids)::bigint[] IS NULL OR a.micro_grid_id = ANY(\(grids)))
            )
            SELECT resident_id FROM candidate
            GROUP BY resident_id
            ORDER BY bool_or(alerted) DESC, coalesce(min(rank), 3), min(due) NULLS LAST, resident_id
            LIMIT \(limit)
            """,
            as: Int64.self,
            logger: logger
        )
        return rows
    }
}
