import Foundation
import GridcareCore
import GridcareRouting
import Logging
import PostgresNIO

/// What the planner needs about one team's week, read from the records.
public struct RoundsInput: Sendable {
    public var teamId: Int64, week: ISOWeek, centre: (latitude: Double, longitude: Double)
    public var members: [RoundsMember], visits: [RoundsVisit], days: [SimpleDate]
}

/// A saved plan: the planner's routes with each planned visit's id and state.
public struct SavedPlan: Sendable {
    public struct Visit: Sendable, Equatable {
        public var id: Int64, residentId: Int64, residentName: String, address: String, workerId: Int64, memberName: String
        public var day: SimpleDate, seq: Int, arriveMinute: Int, leaveMinute: Int, visit: VisitKind, also: [VisitKind], rule: String
        public var status: PlannedVisitStatus, serviceId: Int64?, version: Int
        /// The departure of the visit's route (nil in plans saved before routes were kept).
        public var departMinute: Int?
        /// Where the household is, for drawing the route.
        public var latitude: Double = 0, longitude: Double = 0
    }
    /// A member's route in one free block of a day, as the plan returned it.
    public struct Route: Sendable, Equatable {
        public var workerId: Int64, day: SimpleDate, departMinute: Int, returnMinute: Int, travelMinutes: Int
    }
    public var id: Int64, teamId: Int64, week: ISOWeek, createdAt: Date, superseded: Bool
    public var visits: [Visit]
    public var routes: [Route]
    public var unplanned: [(residentId: Int64, residentName: String, visit: String, rule: String, reason: String)]
}

/// Reads a team's week for the planner, keeps plans, and marks planned visits done or missed.
public struct RoundsStore: Sendable {
    let db: Database
    let rules: RoundsRules
    let calendar: HolidayCalendar
    var audit: AuditLog { AuditLog(db) }
    public init(_ db: Database, rules: RoundsRules = RoundsRules(), calendar: HolidayCalendar = HolidayCalendar()) {
        self.db = db
        self.rules = rules
        self.calendar = calendar
    }

    /// Whether a due visit belongs on a doctor team's home-visit rounds: home visits; follow-ups of the
    /// bedbound, the red tier, after a reading or a discharge, or overdue; annual checks of the bedbound.
    public static func isRoundsVisit(_ d: DueVisit, bedbound: Bool) -> Bool {
        switch d.visit {
        case .homeVisit: true
        case .doctorFollowUp:
            bedbound || d.tier == .red || d.rule == .followUpAfterReading || d.rule == .followUpAfterDischarge || d.overdueDays > 0
        case .annualCheck: bedbound
        case .welfareVisit: false
        }
    }

    /// The team's members, their rounds hours for each day from `from` to the week's end (working days of
    /// the calendar, less leave; each day's free blocks around the team's clinic sessions and the lunch
    /// break), and the visits due by the week's end.
    public func input(teamId: Int64, week: ISOWeek, from: SimpleDate, logger: Logger) async throws -> RoundsInput {
        try await requireOwnTeam(teamId, logger: logger)
        return try await inputs(teamId: teamId, districtId: nil, week: week, from: from, logger: logger).first.orThrow(
            StoreError.notFound("care team")
        )
    }

    /// The same for one team or for every team of a district, read set-based (one due-visit statement,
    /// one query per kind of fact) so a whole district's week is read in seconds.
    public func inputs(teamId: Int64?, districtId: Int64?, week: ISOWeek, from: SimpleDate, logger: Logger) async throws -> [RoundsInput] {
        let days = week.days.filter { $0 >= from && (calendar.covers($0) ? calendar.isWorkday($0) : $0.isoWeekday <= 5) }
        let sunday = week.days[6]
        let (due, _) = try await DueVisitStore(db)
            .due(.init(teamId: teamId, districtId: teamId == nil ? districtId : nil, today: from, until: sunday, limit: 10_000_000), logger: logger)
        return try await db.transaction(logger: logger) { conn in
            let teams = try await conn.rows(
                """
                SELECT t.id, coalesce(f.latitude, 0), coalesce(f.longitude, 0) FROM care_team t JOIN facility f ON f.id = t.centre_id
                WHERE (\(teamId)::bigint IS NULL OR t.id = \(teamId)) AND (\(districtId)::bigint IS NULL OR t.district_id = \(districtId))
                ORDER BY t.id
                """,
                as: (Int64, Double, Double).self,
                logger: logger
            )
            let teamIds = teams.map(\.0)
            let memberRows = try await conn.rows(
                """
                SELECT m.team_id, w.id, w.name, m.rounds_weekdays::int[] FROM care_team_member m JOIN worker w ON w.id = m.worker_id
                WHERE m.team_id = ANY(\(teamIds)) AND w.active AND m.team_role IN ('doctor', 'nurse', 'public_health') ORDER BY m.team_id, m.team_role, w.id
                """,
                as: (Int64, Int64, String, [Int]).self,
                logger: logger
            )
            let leave = try await conn.rows(
                """
                SELECT worker_id, first_day::text, last_day::text FROM worker_leave
                WHERE worker_id = ANY(\(memberRows.map(\.1))) AND first_day <= \(sunday)::date AND last_day >= \(week.monday)::date
                """,
                as: (Int64, String, String).self,
                logger: logger
            )
            let sessions = try await conn.rows(
                """
                SELECT c.team_id, s.on_date::text, (extract(hour FROM s.starts_at) * 60 + extract(minute FROM s.starts_at))::int,
                       (extract(hour FROM s.ends_at) * 60 + extract(minute FROM s.ends_at))::int
                FROM clinic_session s JOIN clinic c ON c.id = s.clinic_id
                WHERE c.team_id = ANY(\(teamIds)) AND s.on_date BETWEEN \(week.monday)::date AND \(sunday)::date AND s.status IN ('scheduled', 'held')
                """,
                as: (Int64, String, Int, Int).self,
                logger: logger
            )
            let leaveByWorker = Dictionary(grouping: leave, by: \.0)
            let sessionsByTeam = Dictionary(grouping: sessions, by: \.0)
            let membersByTeam = Dictionary(grouping: memberRows, by: \.0).mapValues { rows in
                rows.map { team, id, name, weekdays in
                    var hours: [SimpleDate: [ClosedRange<Int>]] = [:]
                    for day in days where weekdays.contains(calendar.timetableWeekday(of: day) ?? day.isoWeekday) {
                        if (leaveByWorker[id] ?? []).contains(where: { SimpleDate(iso: $0.1)! <= day && day <= SimpleDate(iso: $0.2)! }) { continue }
                        let sessions = (sessionsByTeam[team] ?? []).filter { SimpleDate(iso: $0.1) == day }.map { $0.2...$0.3 }
                        let free = rules.freeBlocks(less: sessions)
                        if !free.isEmpty { hours[day] = free }
                    }
                    return RoundsMember(workerId: id, name: name, hours: hours)
                }
            }
            let candidates = due.filter { $0.visit != .welfareVisit }
            let places = try await conn.rows(
                """
                SELECT r.id, h.address, h.latitude, h.longitude, 'bedbound' = ANY (r.conditions) AS bedbound, a.from_minute, a.to_minute
                FROM resident r JOIN household h ON h.id = r.household_id LEFT JOIN resident_availability a ON a.resident_id = r.id
                WHERE r.id = ANY(\(Array(Set(candidates.map(\.residentId)))))
                """,
                logger: logger
            ) { c in
                (
                    id: try c("id", Int64.self), address: try c("address", String.self), latitude: try c("latitude", Double.self),
                    longitude: try c("longitude", Double.self), bedbound: try c("bedbound", Bool.self),
                    from: try c("from_minute", Int?.self), to: try c("to_minute", Int?.self)
                )
            }
            let byId = Dictionary(uniqueKeysWithValues: places.map { ($0.id, $0) })
            // One stop per resident: the most overdue visit leads, the others due are made at the same stop.
            var visitsByTeam: [Int64: [RoundsVisit]] = [:]
            var index: [Int64: (team: Int64, at: Int)] = [:]
            for d in candidates.sorted(by: { ($0.overdueDays, $1.residentId) > ($1.overdueDays, $0.residentId) }) {
                guard let p = byId[d.residentId], Self.isRoundsVisit(d, bedbound: p.bedbound) else { continue }
                if let i = index[d.residentId] {
                    var v = visitsByTeam[i.team]![i.at]
                    if d.visit != v.visit, !v.also.contains(d.visit) {
                        v.also.append(d.visit)
                        visitsByTeam[i.team]![i.at] = v
                    }
                    continue
                }
                let window = p.from.flatMap { from in p.to.map { from...$0 } }
                index[d.residentId] = (d.teamId, visitsByTeam[d.teamId, default: []].count)
                visitsByTeam[d.teamId, default: []].append(
                    RoundsVisit(
                        residentId: d.residentId,
                        residentName: d.residentName,
                        address: p.address,
                        latitude: p.latitude,
                        longitude: p.longitude,
                        visit: d.visit,
                        rule: d.rule.rawValue,
                        dueOn: d.dueOn,
                        overdueDays: d.overdueDays,
                        tier: d.tier,
                        alert: d.openAlert,
                        window: window
                    )
                )
            }
            try await audit.record(
                .search,
                residents: teamId == nil ? [] : Array(index.keys).sorted(),
                detail: "rounds input \(teamId.map { "team \($0)" } ?? "district \(districtId ?? 0)") \(week)",
                on: conn,
                logger: logger
            )
            return teams.map { id, lat, lon in
                RoundsInput(teamId: id, week: week, centre: (lat, lon), members: membersByTeam[id] ?? [], visits: visitsByTeam[id] ?? [], days: days)
            }
        }
    }

    /// A team's rounds are its centre's (0022_centre_rounds.sql): a team of another centre answers like a
    /// missing one, before anything of its week is read or solved. The owner's tools plan any team.
    func requireOwnTeam(_ teamId: Int64, logger: Logger) async throws {
        guard db.scope != nil else { return }
        guard
            try await db.first(
                "SELECT 1 FROM care_team WHERE id = \(teamId) AND gridcare_team_of_scope_centre(id)",
                as: Int.self,
                logger: logger
            ) != nil
        else { throw StoreError.notFound("care team") }
    }

    /// Reads the team's week and plans it: the one way both the API and the CLI plan rounds. A cancelled
    /// task (a request whose deadline passed, a server shutting down) stops the solver and throws.
    public func plan(teamId: Int64, week: ISOWeek, from: SimpleDate, logger: Logger) async throws -> (input: RoundsInput, plan: RoundsPlan) {
        let input = try await input(teamId: teamId, week: week, from: from, logger: logger)
        let plan = await Self.plan([input], rules: rules)[0]
        try Task.checkCancellation()
        return (input, plan)
    }

    /// Plans teams' weeks, as many at once as there are cores, off Swift's cooperative pool (a solve is
    /// CPU-bound for its whole time limit); the plans come back in the order of `inputs`.
    public static func plan(_ inputs: [RoundsInput], rules: RoundsRules) async -> [RoundsPlan] {
        let lanes = max(1, ProcessInfo.processInfo.activeProcessorCount)
        return await withTaskGroup(of: (Int, RoundsPlan).self) { group in
            var plans = [RoundsPlan?](repeating: nil, count: inputs.count)
            var next = 0
            func add(_ group: inout TaskGroup<(Int, RoundsPlan)>) {
                let (index, input) = (next, inputs[next])
                next += 1
                group.addTask {
                    (
                        index,
                        await offThePool { stop in
                            var planner = RoundsPlanner(rules: rules, centre: input.centre)
                            planner.stop = stop
                            return planner.plan(visits: input.visits, members: input.members, days: input.days)
                        }
                    )
                }
            }
            while next < min(lanes, inputs.count) { add(&group) }
            while let (index, plan) = await group.next() {
                plans[index] = plan
                if next < inputs.count { add(&group) }
            }
            return plans.map { $0! }
        }
    }

    /// Saves a plan as the team's current one for the week, its routes (departure, return, travel) with
    /// it; the plan it supersedes keeps its history, and the visits already done in it are carried into
    /// the new one with their routes.
    public func save(_ plan: RoundsPlan, teamId: Int64, week: ISOWeek, logger: Logger) async throws -> SavedPlan {
        guard let user = db.scope?.userId else { throw StoreError.notAllowed("plans are saved by signed-in users") }
        let unplanned = plan.unplanned.map { u in
            [
                "residentId": NSNumber(value: u.visit.residentId), "residentName": u.visit.residentName, "visit": u.visit.visit.rawValue,
                "rule": u.visit.rule, "reason": u.reason,
            ] as [String: Any]
        }
        let json = String(decoding: try JSONSerialization.data(withJSONObject: unplanned), as: UTF8.self)
        let id = try await db.transaction(logger: logger) { conn in
            let previous = try await conn.first(
                """
                UPDATE rounds_plan SET superseded_at = now() WHERE team_id = \(teamId) AND week_monday = \(week.monday)::date AND superseded_at IS NULL
                RETURNING id
                """,
                as: Int64.self,
                logger: logger
            )
            let id = try await conn.first(
                """
                INSERT INTO rounds_plan (district_id, team_id, week_monday, created_by, unplanned)
                SELECT district_id, id, \(week.monday)::date, \(user), \(json)::jsonb FROM care_team
                WHERE id = \(teamId) AND gridcare_team_of_scope_centre(id)
                RETURNING id
                """,
                as: Int64.self,
                logger: logger
            ).orThrow(StoreError.notFound("care team"))
            for route in plan.routes {
                try await conn.query(
                    """
                    INSERT INTO rounds_route (plan_id, district_id, worker_id, day, depart_minute, return_minute, travel_minutes)
                    SELECT id, district_id, \(route.workerId), \(route.day)::date, \(route.departMinute), \(route.returnMinute), \(route.travelMinutes)
                    FROM rounds_plan WHERE id = \(id)
                    """,
                    logger: logger
                )
            }
            if let previous {
                // A done visit keeps its route: the old plan's, unless the new plan has one leaving at the same time.
                try await conn.query(
                    """
                    INSERT INTO rounds_route (plan_id, district_id, worker_id, day, depart_minute, return_minute, travel_minutes)
                    SELECT \(id), o.district_id, o.worker_id, o.day, o.depart_minute, o.return_minute, o.travel_minutes FROM rounds_route o
                    WHERE o.plan_id = \(previous) AND EXISTS (SELECT 1 FROM planned_visit p WHERE p.plan_id = \(previous) AND p.status = 'done'
                          AND p.worker_id = o.worker_id AND p.day = o.day AND p.depart_minute = o.depart_minute)
                    ON CONFLICT DO NOTHING
                    """,
                    logger: logger
                )
                try await conn.query(
                    """
                    INSERT INTO planned_visit (plan_id, district_id, resident_id, micro_grid_id, worker_id, day, seq, arrive_minute, leave_minute,
                                               visit, also, rule, status, service_id, marked_by, marked_at, depart_minute)
                    SELECT \(id), district_id, resident_id, micro_grid_id, worker_id, day, seq, arrive_minute, leave_minute, visit, also, rule, status,
                           service_id, marked_by, marked_at, depart_minute
                    FROM planned_visit WHERE plan_id = \(previous) AND status = 'done'
                    """,
                    logger: logger
                )
            }
            for route in plan.routes {
                for stop in route.stops {
                    try await conn.query(
                        """
                        INSERT INTO planned_visit (plan_id, district_id, resident_id, micro_grid_id, worker_id, day, seq, arrive_minute, leave_minute, visit, also, rule,
                                                   depart_minute)
                        SELECT \(id), r.district_id, r.id, r.micro_grid_id, \(route.workerId), \(route.day)::date, \(stop.seq), \(stop.arriveMinute),
                               \(stop.leaveMinute), \(stop.visit.visit.rawValue)::visit_kind, \(stop.visit.also.map(\.rawValue))::visit_kind[], \(stop.visit.rule),
                               \(route.departMinute)
                        FROM resident r WHERE r.id = \(stop.visit.residentId)
                        """,
                        logger: logger
                    )
                }
            }
            try await audit.record(
                .create,
                residents: Array(Set(plan.routes.flatMap { $0.stops.map(\.visit.residentId) })).sorted(),
                detail: "rounds plan \(id) team \(teamId) \(week)",
                on: conn,
                logger: logger
            )
            return id
        }
        return try await get(id, logger: logger)
    }

    public func get(_ id: Int64, logger: Logger) async throws -> SavedPlan {
        try await db.audited(logger: logger) { conn in
            guard
                let head = try await conn.first(
                    """
                    SELECT team_id, week_monday::text, created_at, superseded_at IS NOT NULL, unplanned::text FROM rounds_plan WHERE id = \(id)
                    """,
                    as: (Int64, String, Date, Bool, String).self,
                    logger: logger
                )
            else {
                try await audit.record(.read, outcome: .denied, detail: "rounds plan \(id)", on: conn, logger: logger)
                return .refused(StoreError.notFound("rounds plan"))
            }
            let visits = try await conn.rows(
                """
                SELECT p.id, p.resident_id, r.name AS resident_name, h.address, p.worker_id, w.name AS member_name, p.day::text, p.seq, p.arrive_minute,
                       p.leave_minute, p.visit::text, p.rule, p.status::text, p.service_id, p.version, p.also::text[], p.depart_minute,
                       h.latitude, h.longitude
                FROM planned_visit p JOIN resident r ON r.id = p.resident_id JOIN household h ON h.id = r.household_id JOIN worker w ON w.id = p.worker_id
                WHERE p.plan_id = \(id) ORDER BY p.day, w.name, p.worker_id, p.depart_minute NULLS FIRST, p.arrive_minute, p.seq
                """,
                logger: logger
            ) { c in
                SavedPlan.Visit(
                    id: try c("id"),
                    residentId: try c("resident_id"),
                    residentName: try c("resident_name"),
                    address: try c("address"),
                    workerId: try c("worker_id"),
                    memberName: try c("member_name"),
                    day: SimpleDate(iso: try c("day"))!,
                    seq: try c("seq"),
                    arriveMinute: try c("arrive_minute"),
                    leaveMinute: try c("leave_minute"),
                    visit: VisitKind(rawValue: try c("visit"))!,
                    also: (try c("also", [String].self)).compactMap(VisitKind.init(rawValue:)),
                    rule: try c("rule"),
                    status: PlannedVisitStatus(rawValue: try c("status"))!,
                    serviceId: try c("service_id"),
                    version: try c("version"),
                    departMinute: try c("depart_minute"),
                    latitude: try c("latitude"),
                    longitude: try c("longitude")
                )
            }
            let routes = try await conn.rows(
                """
                SELECT worker_id, day::text, depart_minute, return_minute, travel_minutes FROM rounds_route WHERE plan_id = \(id)
                ORDER BY day, worker_id, depart_minute
                """,
                as: (Int64, String, Int, Int, Int).self,
                logger: logger
            )
            .map { SavedPlan.Route(workerId: $0.0, day: SimpleDate(iso: $0.1)!, departMinute: $0.2, returnMinute: $0.3, travelMinutes: $0.4) }
            let raw = (try? JSONSerialization.jsonObject(with: Data(head.4.utf8))) as? [[String: Any]] ?? []
            let unplanned = raw.map { u in
                (
                    residentId: (u["residentId"] as? NSNumber)?.int64Value ?? 0, residentName: u["residentName"] as? String ?? "",
                    visit: u["visit"] as? String ?? "", rule: u["rule"] as? String ?? "", reason: u["reason"] as? String ?? ""
                )
            }
            try await audit.record(
                .read,
                residents: Array(Set(visits.map(\.residentId))).sorted(),
                detail: "rounds plan \(id)",
                on: conn,
                logger: logger
            )
            return .done(
                SavedPlan(
                    id: id,
                    teamId: head.0,
                    week: ISOWeek(monday: SimpleDate(iso: head.1)!),
                    createdAt: head.2,
                    superseded: head.3,
                    visits: visits,
                    routes: routes,
                    unplanned: unplanned
                )
            )
        }
    }

    /// The team's plan in force for `week`, if one was saved (a later plan supersedes it).
    public func current(teamId: Int64, week: ISOWeek, logger: Logger) async throws -> Int64? {
        try await db.first(
            """
            SELECT id FROM rounds_plan WHERE team_id = \(teamId) AND week_monday = \(week.monday)::date AND superseded_at IS NULL
            ORDER BY id DESC LIMIT 1
            """,
            as: Int64.self,
            logger: logger
        )
    }

    /// Marks a planned visit done (a service on the case sheet that satisfies its due visit) or missed
    /// (nothing is written, so it stays on the due list).
    public func mark(
        _ id: Int64,
        _ action: PlannedVisitStatus.Action,
        notes: String?,
        ifVersion: Int?,
        logger: Logger
    ) async throws -> SavedPlan.Visit {
        var c = FieldChecker()
        c.text(notes, "notes", max: 4000, required: false)
        try c.finish()
        guard let user = db.scope?.userId else { throw StoreError.notAllowed("visits are marked by signed-in users") }
        let planId = try await db.move(
            "planned visit",
            id,
            action,
            ifVersion: ifVersion,
            logger: logger,
            lock: { conn in
                try await conn.first(
                    """
                    SELECT plan_id, resident_id, visit::text, status::text, version, also::text[] FROM planned_visit WHERE id = \(id) FOR UPDATE
                    """,
                    logger: logger
                ) { c in
                    LockedVisit(
                        planId: try c("plan_id"),
                        residentId: try c("resident_id"),
                        visits: [VisitKind(rawValue: try c("visit"))!] + (try c("also", [String].self)).compactMap(VisitKind.init(rawValue:)),
                        status: PlannedVisitStatus(rawValue: try c("status"))!,
                        version: try c("version")
                    )
                }
            },
            write: { current, next, conn in
                var service: Int64?
                if next == .done {
                    // One service per visit made at the stop, so each due visit is answered; the first is the stop's record.
                    for visit in current.visits {
                        let entry = try await CaseSheetStore.insertService(
                            residentId: current.residentId,
                            kind: .homeVisit,
                            visit: visit,
                            by: user,
                            at: Date(),
                            notes: notes ?? "rounds",
                            on: conn,
                            logger: logger
                        )
                        service = service ?? entry
                        if visit == .doctorFollowUp {
                            try await FollowUps.satisfy(residentId: current.residentId, service: entry, db: db, on: conn, logger: logger)
                        }
                    }
                }
                try await conn.query(
                    """
                    UPDATE planned_visit SET status = \(next.rawValue)::planned_visit_status, service_id = \(service), marked_by = \(user), marked_at = now(),
                           version = version + 1 WHERE id = \(id)
                    """,
                    logger: logger
                )
                return current.planId
            }
        )
        return try await get(planId, logger: logger).visits.first { $0.id == id }!
    }

    /// Sets a member's rounds weekdays in a team (centre staff: a team of their own centre).
    public func setRoundsWeekdays(teamId: Int64, workerId: Int64, weekdays: [Int], logger: Logger) async throws -> [Int] {
        guard !weekdays.isEmpty, weekdays.allSatisfy({ (1...7).contains($0) }) else {
            throw ValidationFailure([FieldError("weekdays", "must name ISO weekdays 1 (Monday) to 7 (Sunday)")])
        }
        guard let scope = db.scope else { throw StoreError.notAllowed("rounds days are set by signed-in users") }
        let days = Array(Set(weekdays)).sorted()
        return try await db.transaction(logger: logger) { conn in
            let mine = try await conn.managedCentre(scope, logger: logger)
            guard
                try await conn.first(
                    """
                    UPDATE care_team_member m SET rounds_weekdays = \(days)::smallint[] FROM care_team t
                    WHERE t.id = m.team_id AND m.team_id = \(teamId) AND m.worker_id = \(workerId) AND (\(mine)::bigint IS NULL OR t.centre_id = \(mine))
                    RETURNING 1
                    """,
                    as: Int.self,
                    logger: logger
                ) != nil
            else { throw StoreError.notFound("team member") }
            return days
        }
    }

    public struct Leave: Sendable, Equatable {
        public var id: Int64, workerId: Int64, firstDay: SimpleDate, lastDay: SimpleDate, reason: String?
    }

    /// Records a worker's days away (a worker of the caller's district; centre staff: of their own centre).
    public func addLeave(workerId: Int64, firstDay: SimpleDate, lastDay: SimpleDate, reason: String?, logger: Logger) async throws -> Leave {
        var c = FieldChecker()
        c.text(reason, "reason", max: 200, required: false)
        c.require(firstDay <= lastDay, "lastDay", "must not be before firstDay")
        c.require(lastDay.dayNumber - firstDay.dayNumber <= 366, "lastDay", "leave is recorded a year at a time at most")
        try c.finish()
        guard let scope = db.scope else { throw StoreError.notAllowed("leave is recorded by signed-in users") }
        return try await db.transaction(logger: logger) { conn in
            let mine = try await conn.managedCentre(scope, logger: logger)
            guard
                let id = try await conn.first(
                    """
                    INSERT INTO worker_leave (district_id, worker_id, first_day, last_day, reason)
                    SELECT w.district_id, w.id, \(firstDay)::date, \(lastDay)::date, \(reason?.trimmed) FROM worker w
                    WHERE w.id = \(workerId) AND (\(mine)::bigint IS NULL OR w.centre_id = \(mine))
                    RETURNING id
                    """,
                    as: Int64.self,
                    logger: logger
                )
            else { throw StoreError.notFound("worker") }
            return Leave(id: id, workerId: workerId, firstDay: firstDay, lastDay: lastDay, reason: reason?.trimmed)
        }
    }

    /// A worker's leave, reasons included: their centre's to read (and an administrator's). A worker of
    /// another centre answers like a missing one; the policy on worker_leave hides their rows as well.
    public func leave(workerId: Int64, logger: Logger) async throws -> [Leave] {
        let scoped = db.scope != nil
        return try await db.read(logger: logger) { conn in
            guard
                try await conn.first(
                    """
                    SELECT 1 FROM worker w WHERE w.id = \(workerId)
                      AND (NOT \(scoped) OR (SELECT gridcare_scope_centre()) IS NULL OR w.centre_id = (SELECT gridcare_scope_centre()))
                    """,
                    as: Int.self,
                    logger: logger
                ) != nil
            else { throw StoreError.notFound("worker") }
            return try await conn.rows(
                """
                SELECT id, worker_id, first_day::text, last_day::text, reason FROM worker_leave WHERE worker_id = \(workerId) ORDER BY first_day DESC LIMIT 500
                """,
                as: (Int64, Int64, String, String, String?).self,
                logger: logger
            )
            .map { Leave(id: $0.0, workerId: $0.1, firstDay: SimpleDate(iso: $0.2)!, lastDay: SimpleDate(iso: $0.3)!, reason: $0.4) }
        }
    }

    /// Sets when a resident can be visited at home (nil clears it).
    public func setAvailability(residentId: Int64, window: ClosedRange<Int>?, note: String?, logger: Logger) async throws {
        var c = FieldChecker()
        c.text(note, "note", max: 200, required: false)
        try c.finish()
        _ = try await db.audited(logger: logger) { conn -> Refusable<Bool> in
            guard try await conn.first("SELECT 1 FROM resident WHERE id = \(residentId)", as: Int.self, logger: logger) != nil else {
                try await audit.record(.update, residents: [residentId], outcome: .denied, detail: "availability", on: conn, logger: logger)
                return .refused(StoreError.notFound("resident"))
            }
            if let window {
                try await conn.query(
                    """
                    INSERT INTO resident_availability (resident_id, district_id, micro_grid_id, from_minute, to_minute, note)
                    SELECT id, district_id, micro_grid_id, \(window.lowerBound), \(window.upperBound), \(note?.trimmed) FROM resident WHERE id = \(residentId)
                    ON CONFLICT (resident_id) DO UPDATE SET from_minute = excluded.from_minute, to_minute = excluded.to_minute, note = excluded.note
                    """,
                    logger: logger
                )
            } else {
                try await conn.query("DELETE FROM resident_availability WHERE resident_id = \(residentId)", logger: logger)
            }
            try await audit.record(.update, residents: [residentId], detail: "availability", on: conn, logger: logger)
            return .done(true)
        }
    }
}

/// A planned visit as `Database.move` locks it: its plan, resident, the visits made at the stop, its state.
struct LockedVisit: MachineRecord {
    var planId: Int64, residentId: Int64, visits: [VisitKind], status: PlannedVisitStatus, version: Int
}
