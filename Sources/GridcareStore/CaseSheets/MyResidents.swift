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
        for a in alerts where a.status == .open { entries[a.residentId]?.openAlerts += 1 }
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

    /// The caller's residents that need something, from what `db`'s scope sees: visits due by `until`
    /// (the `dueLimit` most urgent), open flags and open alerts; of one micro-grid, or of `residentIds`,
    /// when given. With `everyDueVisit`, the residents chosen then carry all their visits due by `until`,
    /// not only those among the `dueLimit`. The API's `/v1/me/residents` and the console's 我的微网格 both
    /// read it.
    public static func load(
        _ db: Database,
        today: SimpleDate,
        until: SimpleDate,
        limit: Int,
        dueLimit: Int = 20_000,
        microGridId: Int64? = nil,
        residentIds: [Int64]? = nil,
        everyDueVisit: Bool = false,
        logger: Logger
    ) async throws -> [Entry] {
        var chosen = try await choose(
            db,
            today: today,
            until: until,
            limit: limit,
            dueLimit: dueLimit,
            microGridId: microGridId,
            residentIds: residentIds,
            logger: logger
        )
        guard everyDueVisit, !chosen.isEmpty else { return chosen }
        let ids = chosen.map(\.residentId)
        let (due, _) = try await DueVisitStore(db).due(.init(residentIds: ids, today: today, until: until, limit: 20_000), logger: logger)
        let byResident = Dictionary(grouping: due, by: \.residentId)
        for i in chosen.indices { chosen[i].due = byResident[chosen[i].residentId] ?? [] }
        return sortedByUrgency(chosen)
    }

    static func choose(
        _ db: Database,
        today: SimpleDate,
        until: SimpleDate,
        limit: Int,
        dueLimit: Int,
        microGridId: Int64?,
        residentIds: [Int64]?,
        logger: Logger
    ) async throws -> [Entry] {
        let (due, _) = try await DueVisitStore(db).due(.init(residentIds: residentIds, today: today, until: until, limit: dueLimit), logger: logger)
        let open = try await FlagStore(db).list(
            .init(microGridId: microGridId, openOnly: true),
            // Every open flag in sight, not a page of them: a red flag past the 200th by id must still lead.
            page: PageRequest(firstOf: 5000),
            logger: logger
        ).items
        let alerted = try await AlertStore(db).list(teamId: nil, microGridId: microGridId, includeClosed: false, limit: 2000, logger: logger)
        let wanted = residentIds.map(Set.init)
        return build(
            due: due.filter { microGridId == nil || $0.microGridId == microGridId },
            flags: open.filter { wanted?.contains($0.residentId) ?? true },
            alerts: alerted.filter { wanted?.contains($0.residentId) ?? true },
            limit: limit
        )
    }
}
