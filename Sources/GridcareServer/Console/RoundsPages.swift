import Foundation
import GridcareCore
import GridcareStore
import Hummingbird

/// 巡诊: the team's week of home-visit rounds. Plan or re-plan it with the routing solver, see each
/// member's day as a list and as a drawing of the route over the households, mark visits done or missed.
extension Console {
    func registerRoundsPages(on router: Router<GridcareRequestContext>) {
        router.get("/app/rounds", use: page("getRoundsPlan") { r in try await roundsWeek(r) })
        router.post("/app/rounds/plan", use: page("planRounds") { r in try await planWeek(r) })
        router.post("/app/planned-visits/:id", use: page("markPlannedVisit") { r in try await markVisit(r) })
    }

    func roundsStore(_ db: Database) throws -> RoundsStore { try config.roundsStore(db) }

    /// The week asked for (this week by default), never one before this one.
    func week(_ r: ConsoleRequest) -> ISOWeek {
        let now = ISOWeek(containing: SimpleDate.todayInChina())
        guard let asked = r.query["week"].flatMap(ISOWeek.init), asked.monday >= now.monday else { return now }
        return asked
    }

    func roundsWeek(_ r: ConsoleRequest) async throws -> Response {
        let week = week(r)
        guard let team = try await myTeams(r).first else { throw StoreError.notFound("care team") }
        let store = try roundsStore(r.db)
        var values: [String: Any] = [
            "team": team.name, "teamId": team.id, "week": week.description,
            "from": week.monday.iso, "through": week.days[6].iso,
            "next": ISOWeek(monday: week.monday.adding(days: 7)).description,
            "previous": week.monday > ISOWeek(containing: SimpleDate.todayInChina()).monday
                ? ISOWeek(monday: week.monday.adding(days: -7)).description : "",
            "mayPlan": AccessRules.allows(r.caller.role, "planRounds"),
        ]
        if let id = try await store.current(teamId: team.id, week: week, logger: r.logger) {
            let plan = try await store.get(id, logger: r.logger)
            values["plan"] = true
            values["days"] = Views.roundsDays(plan)
            values["unplanned"] = plan.unplanned.map { ["name": $0.residentName, "reason": $0.reason] }
            values["visitCount"] = plan.visits.count
            values["hasUnplanned"] = !plan.unplanned.isEmpty
        }
        if let done = r.query["done"] { values["done"] = ["planned": "已规划本周巡诊。", "marked": "已更新巡诊记录。"][done] ?? "" }
        return render("rounds", title: "巡诊", caller: r.caller, values)
    }

    func planWeek(_ r: ConsoleRequest) async throws -> Response {
        guard let week = r.form["week"].flatMap(ISOWeek.init) else { throw FieldError("week", "不是有效的周") }
        let today = SimpleDate.todayInChina()
        guard week.days[6] >= today else { throw FieldError("week", "已经过去") }
        guard let teamId = r.form["teamId"].flatMap(Int64.init) else { throw FieldError("teamId", "请选择团队") }
        _ = try await TeamStore(r.db).get(teamId, logger: r.logger)
        let store = try roundsStore(r.db)
        guard
            let (_, plan) = try await heavyWork.run({
                try await store.plan(teamId: teamId, week: week, from: max(today, week.monday), logger: r.logger)
            })
        else {
            return refusal(r.caller, status: .tooManyRequests, "排班计算繁忙，请稍后再试。")
        }
        _ = try await store.save(plan, teamId: teamId, week: week, logger: r.logger)
        return .redirect(to: "/app/rounds?week=\(week.description)&done=planned")
    }

    func markVisit(_ r: ConsoleRequest) async throws -> Response {
        guard let action = r.form["action"].flatMap(PlannedVisitStatus.Action.init(rawValue:)) else { throw FieldError("action", "请选择完成或未遇") }
        let visit = try await roundsStore(r.db).mark(try r.id(), action, notes: r.form["notes"], ifVersion: nil, logger: r.logger)
        return .redirect(to: "/app/rounds?week=\(ISOWeek(containing: visit.day).description)&done=marked")
    }
}

extension Views {
    /// The plan by day, then by member: each member's visits in order and the drawing of their route.
    static func roundsDays(_ plan: SavedPlan) -> [[String: Any]] {
        let byDay = Dictionary(grouping: plan.visits, by: \.day)
        return byDay.keys.sorted().map { day in
            let visits = byDay[day]!
            let members = Dictionary(grouping: visits, by: \.workerId)
            let rows: [[String: Any]] = members.keys.sorted().map { worker in
                let stops = members[worker]!.sorted {
                    ($0.departMinute ?? 0, $0.arriveMinute, $0.seq) < ($1.departMinute ?? 0, $1.arriveMinute, $1.seq)
                }
                return [
                    "member": stops[0].memberName, "count": stops.count, "route": RouteDrawing.svg(stops),
                    "stops": stops.enumerated().map { i, v in
                        [
                            "n": i + 1, "id": v.id, "time": ClinicStore.time(v.arriveMinute), "name": v.residentName, "residentId": v.residentId,
                            "address": v.address, "visit": ([v.visit] + v.also).map(Labels.visit).joined(separator: "、"),
                            "status": Labels.planned(v.status), "isPlanned": v.status == .planned,
                        ] as [String: Any]
                    },
                ]
            }
            return ["day": day.iso, "weekday": Labels.weekday(day.isoWeekday), "members": rows]
        }
    }
}

extension Labels {
    static func planned(_ s: PlannedVisitStatus) -> String {
        switch s {
        case .planned: "待上门"
        case .done: "已完成"
        case .missed: "未遇"
        }
    }
}

/// A member's stops of a day drawn over the households' coordinates, numbered in visiting order.
enum RouteDrawing {
    static func svg(_ stops: [SavedPlan.Visit]) -> String {
        let w = 320.0
        let h = 200.0
        let pad = 16.0
        let lats = stops.map(\.latitude)
        let lons = stops.map(\.longitude)
        guard let minLat = lats.min(), let maxLat = lats.max(), let minLon = lons.min(), let maxLon = lons.max() else { return "" }
        // Equal scale on both axes (a degree of longitude is shorter than one of latitude here: cos 30°).
        let k = cos(((minLat + maxLat) / 2) * .pi / 180)
        let spanX = max((maxLon - minLon) * k, 1e-6)
        let spanY = max(maxLat - minLat, 1e-6)
        let scale = min((w - 2 * pad) / spanX, (h - 2 * pad) / spanY)
        func point(_ v: SavedPlan.Visit) -> (Double, Double) {
            (pad + (v.longitude - minLon) * k * scale, h - pad - (v.latitude - minLat) * scale)
        }
        let points = stops.map(point)
        var s = "<svg class=\"route\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" role=\"img\" aria-label=\"巡诊路线\">"
        s += "<rect class=\"frame\" x=\"0\" y=\"0\" width=\"\(Int(w))\" height=\"\(Int(h))\"/>"
        if points.count > 1 {
            s +=
                "<polyline class=\"path\" points=\"" + points.map { "\(ReadingChart.f($0.0)),\(ReadingChart.f($0.1))" }.joined(separator: " ")
                + "\"/>"
        }
        for (i, p) in points.enumerated() {
            let done = stops[i].status == .done ? " done" : ""
            s += "<circle class=\"stop\(done)\" cx=\"\(ReadingChart.f(p.0))\" cy=\"\(ReadingChart.f(p.1))\" r=\"8\"/>"
            s += "<text class=\"n\" x=\"\(ReadingChart.f(p.0))\" y=\"\(ReadingChart.f(p.1 + 3.5))\">\(i + 1)</text>"
        }
        return s + "</svg>"
    }
}
