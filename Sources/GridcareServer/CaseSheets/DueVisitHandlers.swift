import GridcareAPI
import GridcareCore
import GridcareStore

extension Components.Schemas.DueVisit {
    init(_ d: DueVisit) {
        self.init(
            residentId: d.residentId,
            residentName: d.residentName,
            microGridId: d.microGridId,
            teamId: d.teamId,
            visit: d.visit,
            rule: d.rule,
            dueOn: d.dueOn.iso,
            overdueDays: d.overdueDays,
            lastDone: d.lastDone?.iso,
            tier: d.tier,
            openAlert: d.openAlert
        )
    }
}

extension APIHandler {
    var dueVisits: DueVisitStore { DueVisitStore(db) }

    /// Due by `until`, today + 14 days when not given.
    func dueUntil(_ raw: String?) throws -> SimpleDate {
        let today = self.today
        let until = try date(raw, field: "until") ?? today.adding(days: 14)
        guard until >= today.adding(days: -366), until <= today.adding(days: 366) else { throw FieldError("until", "must be within a year of today") }
        return until
    }

    func listDueVisits(_ input: Operations.ListDueVisits.Input) async throws -> Operations.ListDueVisits.Output {
        let today = self.today
        // A team the caller cannot see has no due visits they may read: the same 404 as a missing team.
        let (items, total) = try await dueVisits.due(
            .init(
                teamId: input.path.id,
                today: today,
                until: try dueUntil(input.query.until),
                limit: try bounded(input.query.limit, "limit", default: 100, max: 5000)
            ),
            logger: logger
        )
        return .ok(.init(body: .json(.init(items: items.map { .init($0) }, total: total))))
    }

    func myResidents(_ input: Operations.MyResidents.Input) async throws -> Operations.MyResidents.Output {
        let today = self.today
        let limit = try bounded(input.query.limit, "limit", default: 200, max: 2000)
        let list = try await MyResidents.load(db, today: today, until: try dueUntil(input.query.until), limit: limit, logger: logger)
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: list.map { r in
                            .init(
                                residentId: r.residentId,
                                name: r.name,
                                microGridId: r.microGridId,
                                tier: r.tier,
                                flags: r.flags.map { .init($0) },
                                openAlerts: r.openAlerts,
                                due: r.due.map { .init($0) }
                            )
                        }
                    )
                )
            )
        )
    }
}
