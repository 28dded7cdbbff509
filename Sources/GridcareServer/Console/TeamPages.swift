import Foundation
import GridcareCore
import GridcareStore
import Hummingbird

/// 家庭医生团队's screens: today (alerts, flags to confirm, slips waiting for the team, today's clinic
/// sessions) and the due list grouped by household.
extension Console {
    func registerTeamPages(on router: Router<GridcareRequestContext>) {
        router.get("/app/today", use: page("listAlerts") { r in try await today(r) })
        router.get("/app/due", use: page("listDueVisits") { r in try await dueList(r) })
    }

    func today(_ r: ConsoleRequest) async throws -> Response {
        let today = SimpleDate.todayInChina()
        let alerts = try await AlertStore(r.db).list(teamId: nil, microGridId: nil, includeClosed: false, limit: 200, logger: r.logger)
        let raised = try await FlagStore(r.db).list(.init(status: .raised), page: try PageRequest(cursor: nil, limit: 100), logger: r.logger)
        let slips = try await ReferralStore(r.db).list(.init(openOnly: true), page: try PageRequest(cursor: nil, limit: 100), logger: r.logger).items
        // The slips whose next step is the team's (send a draft, follow up after discharge, close the loop).
        let forTeam = slips.filter { s in s.status.moves.contains { $0.action.party == .team && $0.action != .cancel } }
        let sessions = try await ClinicStore(r.db).sessions(from: today, through: today, stationId: nil, teamId: nil, logger: r.logger)
        var values: [String: Any] = [
            "date": today.iso,
            "alerts": alerts.filter { $0.status == .open }.map(Views.alert), "hasAlerts": alerts.contains { $0.status == .open },
            "flags": raised.items.map(Views.flag), "hasFlags": !raised.items.isEmpty,
            "slips": forTeam.map { s in
                [
                    "id": s.id, "number": s.number, "name": s.patient.name, "residentId": s.residentId, "status": Labels.referral(s.status),
                    "hospital": s.hospitalName,
                ]
            },
            "hasSlips": !forTeam.isEmpty,
            "sessions": sessions.map { s in
                [
                    "station": s.stationName, "time": "\(ClinicStore.time(s.startMinute))–\(ClinicStore.time(s.endMinute))",
                    "status": Labels.session(s.status), "booked": s.places - s.free, "places": s.places,
                ]
            },
            "hasSessions": !sessions.isEmpty, "back": "/app/today",
        ]
        // Today's rounds from the week's plan in force: the caller's own stops, or the whole team's.
        let store = try roundsStore(r.db)
        if let team = try await myTeams(r).first,
            let plan = try await store.current(teamId: team.id, week: ISOWeek(containing: today), logger: r.logger)
        {
            let visits = try await store.get(plan, logger: r.logger).visits.filter { $0.day == today }
            let mine = visits.filter { $0.workerId == r.caller.caller.workerId }
            values["rounds"] = (mine.isEmpty ? visits : mine).sorted { ($0.arriveMinute, $0.id) < ($1.arriveMinute, $1.id) }.map { v in
                [
                    "time": ClinicStore.time(v.arriveMinute), "name": v.residentName, "residentId": v.residentId, "member": v.memberName,
                    "visit": Labels.visit(v.visit), "status": Labels.planned(v.status),
                ]
            }
            values["hasRounds"] = !visits.isEmpty
        }
        if let done = r.query["done"].flatMap({ Self.done[$0] }) { values["done"] = done }
        return render("today", title: "今日", caller: r.caller, values)
    }

    /// What is due in the next weeks, one block per household, filtered by visit kind and micro-grid.
    func dueList(_ r: ConsoleRequest) async throws -> Response {
        let today = SimpleDate.todayInChina()
        let kind = r.query["visit"].flatMap(VisitKind.init(rawValue:))
        let grid = r.query["grid"].flatMap(Int64.init)
        // The team's list (the caller's own team, or the one chosen); without a team, all the caller sees.
        let teams = try await myTeams(r)
        let chosen = r.query["team"].flatMap(Int64.init)
        let team = teams.first { $0.id == chosen } ?? teams.first
        // The 200 most urgent (open alerts, then the most overdue) are shown; the page says how many there are.
        let (shown, total) = try await DueVisitStore(r.db).due(
            .init(teamId: team?.id, visit: kind, microGridId: grid, today: today, until: today.adding(days: 14), limit: 200),
            logger: r.logger
        )
        var order: [Int64] = []
        var blocks: [Int64: Markup] = [:]
        var addresses: [Int64: String] = [:]
        for d in shown {
            let h = d.householdId ?? -d.residentId
            if blocks[h] == nil { order.append(h) }
            addresses[h] = d.address
            var m = blocks[h] ?? Markup(capacity: 400)
            m.raw("<li class=\"\(Views.tierClass(d.tier))\"><a href=\"/app/r/\(d.residentId)\">")
            m.text(d.residentName)
            m.raw("</a> · <strong>\(Labels.visit(d.visit))</strong> · \(Labels.rule(d.rule)) · \(d.dueOn.iso)")
            if d.overdueDays > 0 { m.raw(" <span class=\"badge alert\">逾期\(d.overdueDays)天</span>") }
            if d.openAlert { m.raw(" <span class=\"badge alert\">预警</span>") }
            if let tier = d.tier { m.raw(" <span class=\"badge \(Views.tierClass(tier))\">\(Labels.tier(tier))</span>") }
            m.raw("</li>")
            blocks[h] = m
        }
        let catchment = team.map(\.microGridIds) ?? Array(Set(shown.map(\.microGridId)))
        let areas =
            catchment.isEmpty
            ? []
            : try await everyPage { page in
                try await AreaStore(r.db).list(.init(level: .microGrid, ids: catchment), page: page, logger: r.logger)
            }
        let names = Dictionary(areas.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        let grids: [[String: Any]] = catchment.sorted().map { id in
            ["value": id, "label": names[id] ?? String(id), "selected": id == grid]
        }
        return render(
            "due",
            title: "待随访",
            caller: r.caller,
            [
                "households": order.prefix(300).map { h in ["address": addresses[h] ?? "", "rows": blocks[h]?.html ?? ""] as [String: Any] },
                "count": shown.count, "total": total, "empty": shown.isEmpty,
                "visits": VisitKind.allCases.map { ["value": $0.rawValue, "label": Labels.visit($0), "selected": $0 == kind] },
                "grids": grids, "teams": teams.map { ["id": $0.id, "name": $0.name, "selected": $0.id == team?.id] },
                "manyTeams": teams.count > 1,
            ]
        )
    }
}
