import Foundation
import GridcareCore
import GridcareStore
import Hummingbird

/// 团队: a care team's members, its catchment micro-grids and its contracts (签约, 续签, 转签). Centre staff
/// change their own centre's teams only; TeamStore and ContractStore hold that rule for both doors.
extension Console {
    func registerTeamManagementPages(on router: Router<GridcareRequestContext>) {
        router.get("/app/team", use: page("getCareTeam") { r in try await teamPage(r) })
        router.post("/app/teams/:id/catchment", use: page("addCatchment") { r in try await addMicroGrid(r) })
        router.post("/app/teams/:id/catchment/:grid/remove", use: page("removeCatchment") { r in try await removeMicroGrid(r) })
        router.post("/app/teams/:id/contracts", use: page("signContract") { r in try await signContract(r) })
        router.post("/app/contracts/:id/renew", use: page("renewContract") { r in try await renewContract(r) })
        router.post("/app/contracts/:id/switch", use: page("switchContract") { r in try await switchContract(r) })
    }

    func teamPage(_ r: ConsoleRequest) async throws -> Response {
        let teams = try await myTeams(r)
        let chosen = r.query["team"].flatMap(Int64.init)
        guard let team = teams.first(where: { $0.id == chosen }) ?? teams.first else { throw StoreError.notFound("care team") }
        let today = SimpleDate.todayInChina()
        let workers = try await everyPage(cap: 1000) { page in
            try await WorkerStore(r.db).list(
                role: nil,
                districtId: team.districtId,
                centreId: nil,
                areaId: nil,
                namePrefix: nil,
                ids: team.members.map(\.workerId),
                page: page,
                logger: r.logger
            )
        }
        let workerNames = Dictionary(workers.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        let members: [[String: Any]] = team.members.map { seat in
            ["name": workerNames[seat.workerId] ?? "", "role": Labels.teamRole(seat.teamRole), "active": seat.active]
        }
        // Every micro-grid of the district: the names of the catchment, and the ones no team covers, for adding.
        let grids = try await everyPage(cap: 5000) { page in
            try await AreaStore(r.db).list(.init(level: .microGrid, districtId: team.districtId), page: page, logger: r.logger)
        }
        let gridNames = Dictionary(grids.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        let catchment: [[String: Any]] = team.microGridIds.map { ["id": $0, "name": gridNames[$0] ?? String($0)] }
        let covered = Set(teams.flatMap(\.microGridIds))
        let others = try await everyPage(cap: 400) { page in
            try await TeamStore(r.db).list(districtId: team.districtId, centreId: nil, page: page, logger: r.logger)
        }
        let coveredAnywhere = covered.union(others.flatMap(\.microGridIds))
        let contracts = try await ContractStore(r.db).endingSoonest(teamId: team.id, activeOn: today, limit: 50, logger: r.logger)
        let people = try await ResidentStore(r.db).briefs(
            .init(ids: contracts.map(\.residentId)),
            today: today,
            page: try PageRequest(cursor: nil, limit: PageRequest.maximumLimit),
            logger: r.logger
        )
        let names = Dictionary(people.items.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        var values: [String: Any] = [
            "team": team.name, "teamId": team.id, "members": members, "catchment": catchment,
            "free": grids.filter { !coveredAnywhere.contains($0.id) }.map { ["id": $0.id, "name": $0.name] },
            "teams": teams.map { ["id": $0.id, "name": $0.name, "selected": $0.id == team.id] }, "manyTeams": teams.count > 1,
            "otherTeams": others.filter { $0.id != team.id }.map { ["id": $0.id, "name": $0.name] },
            "contracts": contracts.map { c in
                ["id": c.id, "residentId": c.residentId, "name": names[c.residentId] ?? "", "from": c.startsOn.iso, "until": c.termEndsOn.iso]
                    as [String: Any]
            },
            "mayManage": AccessRules.allows(r.caller.role, "addCatchment"), "q": r.query["q"] ?? "",
            "hasFree": grids.contains { !coveredAnywhere.contains($0.id) }, "hasOtherTeams": others.count > 1,
        ]
        // One contract's switch form at a time, so the list does not carry every team for every row.
        if let id = r.query["switch"].flatMap(Int64.init), let c = contracts.first(where: { $0.id == id }), others.count > 1 {
            values["switching"] = true
            values["switchId"] = c.id
            values["switchName"] = names[c.residentId] ?? ""
        }
        if let q = r.query["q"] {
            let found = try await ResidentStore(r.db).briefs(
                .init(namePrefix: String(q.prefix(50))),
                today: today,
                page: try PageRequest(cursor: nil, limit: 20),
                logger: r.logger
            )
            values["found"] = found.items.map { ["id": $0.id, "name": $0.name, "about": Views.about($0)] as [String: Any] }
            values["searched"] = true
        }
        if let done = r.query["done"] {
            values["done"] = ["added": "已加入责任区。", "removed": "已移出责任区。", "signed": "已签约。", "renewed": "已续签。", "switched": "已转签。"][done] ?? ""
        }
        return render("team", title: team.name, caller: r.caller, values)
    }

    func addMicroGrid(_ r: ConsoleRequest) async throws -> Response {
        let id = try r.id()
        guard let grid = r.form["microGridId"].flatMap(Int64.init) else { throw FieldError("microGridIds", "请选择微网格") }
        _ = try await TeamStore(r.db).addToCatchment(id, microGridIds: [grid], logger: r.logger)
        return .redirect(to: "/app/team?team=\(id)&done=added")
    }

    func removeMicroGrid(_ r: ConsoleRequest) async throws -> Response {
        let id = try r.id()
        _ = try await TeamStore(r.db).removeFromCatchment(id, microGridId: try r.id("grid"), logger: r.logger)
        return .redirect(to: "/app/team?team=\(id)&done=removed")
    }

    func signContract(_ r: ConsoleRequest) async throws -> Response {
        let id = try r.id()
        guard let resident = r.form["residentId"].flatMap(Int64.init) else { throw FieldError("residentId", "请选择居民") }
        _ = try await ContractStore(r.db).sign(residentId: resident, teamId: id, startsOn: SimpleDate.todayInChina(), years: 1, logger: r.logger)
        return .redirect(to: "/app/team?team=\(id)&done=signed")
    }

    func renewContract(_ r: ConsoleRequest) async throws -> Response {
        let c = try await ContractStore(r.db).renew(try r.id(), years: 1, logger: r.logger)
        return .redirect(to: "/app/team?team=\(c.teamId)&done=renewed")
    }

    func switchContract(_ r: ConsoleRequest) async throws -> Response {
        guard let team = r.form["teamId"].flatMap(Int64.init) else { throw FieldError("teamId", "请选择团队") }
        let c = try await ContractStore(r.db).switchTeam(try r.id(), teamId: team, on: SimpleDate.todayInChina(), years: 1, logger: r.logger)
        return .redirect(to: "/app/team?team=\(c.teamId)&done=switched")
    }
}

extension Labels {
    static func teamRole(_ r: TeamRole) -> String {
        switch r {
        case .doctor: "家庭医生"
        case .nurse: "护士"
        case .publicHealth: "公卫人员"
        case .partyMember: "党员"
        case .gridWorker: "网格员"
        }
    }
}
