import Foundation
import GridcareAPI
import GridcareCore
import GridcareRouting
import GridcareStore

extension APIHandler {
    func mobilisationReport(_ input: Operations.MobilisationReport.Input) async throws -> Operations.MobilisationReport.Output {
        let q = input.query
        guard let district = q.districtId ?? db.scope?.districtId else {
            throw FieldError("districtId", "is required for a deployment-wide administrator")
        }
        // A district the caller cannot see answers 404, like a missing one.
        let area = try await AreaStore(db).get(district, logger: logger)
        guard area.level == .district else { throw FieldError("districtId", "is not a district") }
        // The generated decoders do not enforce the document's bounds on query numbers: checked here.
        let kind = q.kind ?? .notice
        var rule = config.mobilisationRules.rule(kind)
        if let m = q.minutesPerHousehold { rule.minutesPerHousehold = try within(m, 0...120, "minutesPerHousehold") }
        if let w = q.walkingKmh { rule.walkingKmPerHour = try within(w, 0.5...30, "walkingKmh") }
        if let l = q.limitMinutes { rule.limitMinutes = try within(l, 1...1440, "limitMinutes") }
        guard
            let results = try await heavyWork.run({
                try await MobilisationStore(db.reporting()).check(districtId: district, rule: rule, logger: logger)
            })
        else { return .tooManyRequests(busy()) }
        let failing = results.filter { !$0.result.meets }
        let shown = (q.failingOnly ?? true) ? failing : results
        return .ok(
            .init(
                body: .json(
                    .init(
                        districtId: district,
                        kind: kind,
                        checked: results.count,
                        failing: failing.count,
                        peopleNeeded: failing.compactMap(\.result.shortfall).reduce(0, +),
                        minutesPerHousehold: rule.minutesPerHousehold,
                        walkingKmh: rule.walkingKmPerHour,
                        limitMinutes: rule.limitMinutes,
                        items: shown.map { m in
                            .init(
                                microGridId: m.microGridId,
                                name: m.name,
                                gridName: m.gridName,
                                households: m.result.households,
                                workers: m.result.workers,
                                forces: .init(
                                    microGridWorkers: m.forces.workers,
                                    partyMembers: m.forces[.partyMember],
                                    buildingLeaders: m.forces[.buildingLeader],
                                    volunteers: m.forces[.volunteer]
                                ),
                                minutes: m.result.minutesWithWorkers.isFinite ? (m.result.minutesWithWorkers * 10).rounded() / 10 : nil,
                                fewestWorkers: m.result.fewestWorkers == MobilisationResult.impossible ? nil : m.result.fewestWorkers,
                                shortfall: m.result.shortfall,
                                meets: m.result.meets
                            )
                        }
                    )
                )
            )
        )
    }
}
