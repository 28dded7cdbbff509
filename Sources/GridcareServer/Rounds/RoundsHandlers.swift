import Foundation
import GridcareAPI
import GridcareCore
import GridcareStore
import OpenAPIRuntime

extension Components.Schemas.RoundsPlan {
    /// A fresh plan (saved or previewed): routes in the planner's order.
    init(_ plan: RoundsPlan, teamId: Int64, week: ISOWeek, saved: SavedPlan?) {
        let ids = Dictionary((saved?.visits ?? []).map { ("\($0.day.iso)-\($0.workerId)-\($0.seq)", $0) }, uniquingKeysWith: { a, _ in a })
        self.init(
            id: saved?.id,
            teamId: teamId,
            week: week.description,
            saved: saved != nil,
            superseded: saved?.superseded,
            routes: plan.routes.map { r in
                .init(
                    day: r.day.iso,
                    workerId: r.workerId,
                    memberName: r.memberName,
                    depart: clock(r.departMinute),
                    _return: clock(r.returnMinute),
                    travelMinutes: r.travelMinutes,
                    stops: r.stops.map { s in
                        let kept = ids["\(r.day.iso)-\(r.workerId)-\(s.seq)"]
                        return .init(
                            plannedVisitId: kept?.id,
                            residentId: s.visit.residentId,
                            residentName: s.visit.residentName,
                            address: s.visit.address,
                            visit: s.visit.visit.rawValue,
                            also: s.visit.also.map(\.rawValue),
                            rule: s.visit.rule,
                            arrive: clock(s.arriveMinute),
                            leave: clock(s.leaveMinute),
                            status: .planned,
                            version: kept?.version
                        )
                    }
                )
            },
            unplanned: plan.unplanned.map {
                .init(
                    residentId: $0.visit.residentId,
                    residentName: $0.visit.residentName,
                    visit: $0.visit.visit.rawValue,
                    rule: $0.visit.rule,
                    reason: $0.reason
                )
            }
        )
    }

    /// A saved plan as stored, with each visit's state and each route's departure, return and travel
    /// (plans saved before routes were kept have one route per member-day without them).
    init(_ saved: SavedPlan) {
        var routes: [(key: String, visits: [SavedPlan.Visit])] = []
        for v in saved.visits {
            let key = "\(v.day.iso)-\(v.workerId)-\(v.departMinute.map(String.init) ?? "")"
            if routes.last?.key == key { routes[routes.count - 1].visits.append(v) } else { routes.append((key, [v])) }
        }
        let kept = Dictionary(saved.routes.map { ("\($0.day.iso)-\($0.workerId)-\($0.departMinute)", $0) }, uniquingKeysWith: { a, _ in a })
        self.init(
            id: saved.id,
            teamId: saved.teamId,
            week: saved.week.description,
            saved: true,
            superseded: saved.superseded,
            routes: routes.map { r in
                let first = r.visits[0]
                let route = kept[r.key]
                return .init(
                    day: first.day.iso,
                    workerId: first.workerId,
                    memberName: first.memberName,
                    depart: route.map { clock($0.departMinute) },
                    _return: route.map { clock($0.returnMinute) },
                    travelMinutes: route?.travelMinutes,
                    stops: r.visits.map { .init($0) }
                )
            },
            unplanned: saved.unplanned.map {
                .init(
                    residentId: $0.residentId,
                    residentName: $0.residentName,
                    visit: $0.visit,
                    rule: $0.rule,
                    reason: $0.reason
                )
            }
        )
    }
}

extension Components.Schemas.RoundsStop {
    init(_ v: SavedPlan.Visit) {
        self.init(
            plannedVisitId: v.id,
            residentId: v.residentId,
            residentName: v.residentName,
            address: v.address,
            visit: v.visit.rawValue,
            also: v.also.map(\.rawValue),
            rule: v.rule,
            arrive: clock(v.arriveMinute),
            leave: clock(v.leaveMinute),
            status: v.status,
            version: v.version
        )
    }
}

extension APIHandler {
    /// The 429 of a solve or mobilisation check refused for want of a place.
    func busy() -> Components.Responses.Busy {
        .init(headers: .init(retryAfter: heavyWork.retryAfterSeconds), body: .applicationProblemJson(heavyWork.problem))
    }

    func rounds(seconds: Double? = nil) throws -> RoundsStore { try config.roundsStore(db, solverSeconds: seconds) }

    func planRounds(_ input: Operations.PlanRounds.Input) async throws -> Operations.PlanRounds.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        guard let week = ISOWeek(b.week) else { throw FieldError("week", "must be an ISO week like 2026-W49") }
        guard week.days[6] >= today else { throw FieldError("week", "has passed") }
        guard week.monday <= today.adding(days: 366) else { throw FieldError("week", "must be within a year") }
        // A team the caller cannot see answers 404, like a missing one.
        _ = try await TeamStore(db).get(input.path.id, logger: logger)
        let store = try rounds(seconds: try b.seconds.map { try within($0, 0.05...30, "seconds") })
        // Admitted or refused at once (429), never queued behind other solves.
        guard
            let (_, plan) = try await heavyWork.run({
                try await store.plan(teamId: input.path.id, week: week, from: max(today, week.monday), logger: logger)
            })
        else { return .tooManyRequests(busy()) }
        let saved = b.save == false ? nil : try await store.save(plan, teamId: input.path.id, week: week, logger: logger)
        return .created(.init(body: .json(.init(plan, teamId: input.path.id, week: week, saved: saved))))
    }

    func getRoundsPlan(_ input: Operations.GetRoundsPlan.Input) async throws -> Operations.GetRoundsPlan.Output {
        .ok(.init(body: .json(.init(try await rounds().get(input.path.id, logger: logger)))))
    }

    func roundsCalendar(_ input: Operations.RoundsCalendar.Input) async throws -> Operations.RoundsCalendar.Output {
        let saved = try await rounds().get(input.path.id, logger: logger)
        let routes = Dictionary(saved.routes.map { ("\($0.day.iso)-\($0.workerId)-\($0.departMinute)", $0) }, uniquingKeysWith: { a, _ in a })
        let rows = saved.visits.map { v -> RoundsRow in
            let route = v.departMinute.flatMap { routes["\(v.day.iso)-\(v.workerId)-\($0)"] }
            return RoundsRow(
                day: v.day,
                member: v.memberName,
                seq: v.seq,
                arrive: v.arriveMinute,
                leave: v.leaveMinute,
                residentId: v.residentId,
                resident: v.residentName,
                address: v.address,
                visit: ([v.visit] + v.also).map(\.rawValue).joined(separator: "+"),
                rule: v.rule,
                status: v.status.rawValue,
                uid: "planned-visit-\(v.id)",
                route: route.map { $0.departMinute...$0.returnMinute }
            )
        }
        return .ok(.init(body: .textCalendar(HTTPBody(RoundsCalendar.ics(rows, name: "Rounds team \(saved.teamId) \(saved.week)")))))
    }

    func markPlannedVisit(_ input: Operations.MarkPlannedVisit.Input) async throws -> Operations.MarkPlannedVisit.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        let visit = try await rounds().mark(
            input.path.id,
            b.action,
            notes: b.notes,
            ifVersion: try version(ifMatch: input.headers.ifMatch),
            logger: logger
        )
        return .ok(.init(body: .json(.init(visit))))
    }

    func setAvailability(_ input: Operations.SetAvailability.Input) async throws -> Operations.SetAvailability.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        guard let from = ClinicStore.parseTime(b.from) else { throw FieldError("from", "must be a time HH:MM") }
        guard let to = ClinicStore.parseTime(b.to), to > from else { throw FieldError("to", "must be a time HH:MM after from") }
        try await rounds().setAvailability(residentId: input.path.id, window: from...to, note: b.note, logger: logger)
        return .ok(.init(body: .json(b)))
    }

    func listLeave(_ input: Operations.ListLeave.Input) async throws -> Operations.ListLeave.Output {
        let items = try await rounds().leave(workerId: input.path.id, logger: logger)
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: items.map {
                            .init(
                                id: $0.id,
                                workerId: $0.workerId,
                                firstDay: $0.firstDay.iso,
                                lastDay: $0.lastDay.iso,
                                reason: $0.reason
                            )
                        }
                    )
                )
            )
        )
    }

    func addLeave(_ input: Operations.AddLeave.Input) async throws -> Operations.AddLeave.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        guard let first = try date(b.firstDay, field: "firstDay"), let last = try date(b.lastDay, field: "lastDay") else {
            throw FieldError("firstDay", "is required")
        }
        let l = try await rounds().addLeave(workerId: input.path.id, firstDay: first, lastDay: last, reason: b.reason, logger: logger)
        return .created(.init(body: .json(.init(id: l.id, workerId: l.workerId, firstDay: l.firstDay.iso, lastDay: l.lastDay.iso, reason: l.reason))))
    }

    func setRoundsDays(_ input: Operations.SetRoundsDays.Input) async throws -> Operations.SetRoundsDays.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        try distinct(b.weekdays.map(String.init), "weekdays")
        let days = try await rounds().setRoundsWeekdays(teamId: input.path.id, workerId: input.path.workerId, weekdays: b.weekdays, logger: logger)
        return .ok(.init(body: .json(.init(weekdays: days))))
    }
}
