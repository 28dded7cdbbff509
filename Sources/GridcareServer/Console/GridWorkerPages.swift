import Foundation
import GridcareCore
import GridcareStore
import Hummingbird

/// 网格员's screens: my micro-grids, a micro-grid's households, a household by its printed code (码上办),
/// and finding a resident by name.
extension Console {
    func registerGridWorkerPages(on router: Router<GridcareRequestContext>) {
        router.get("/app/grids", use: page("myResidents") { r in try await myGrids(r) })
        router.get("/app/grids/:id", use: page("listHouseholds") { r in try await microGrid(r) })
        router.get("/app/h/:token", use: page("getHouseholdByCode") { r in try await householdByCode(r) })
        router.get("/app/search", use: page("listResidents") { r in try await search(r) })
    }

    /// 我的微网格: the caller's micro-grids, and first the residents who need something (open alerts, then
    /// red, yellow, green flags, then what is due soonest).
    func myGrids(_ r: ConsoleRequest) async throws -> Response {
        let today = SimpleDate.todayInChina()
        let attention = try await MyResidents.load(r.db, today: today, until: today.adding(days: 14), limit: 30, logger: r.logger)
        let mine = r.caller.scope.microGridIds ?? []
        let areas =
            mine.isEmpty
            ? []
            : try await everyPage { page in
                try await AreaStore(r.db).list(.init(level: .microGrid, ids: mine), page: page, logger: r.logger)
            }
        let grids: [[String: Any]] = areas.map { ["id": $0.id, "name": $0.name] }
        return render(
            "grids",
            title: "我的微网格",
            caller: r.caller,
            ["grids": grids, "attention": attention.map(Views.attention), "hasAttention": !attention.isEmpty]
        )
    }

    /// A micro-grid and its households, as the caller sees them. Out of sight reads as missing: a
    /// micro-grid outside the caller's scope shows no household.
    func microGridHouseholds(_ r: ConsoleRequest, _ id: Int64) async throws -> (Area, [Household]) {
        let area = try await AreaStore(r.db).get(id, logger: r.logger)
        guard area.level == .microGrid else { throw StoreError.notFound("micro-grid") }
        let households = try await everyPage { page in
            try await HouseholdStore(r.db).list(microGridId: id, gridId: nil, districtId: nil, page: page, logger: r.logger)
        }
        if households.isEmpty, let mine = r.caller.scope.microGridIds, !mine.contains(id) { throw StoreError.notFound("micro-grid") }
        return (area, households)
    }

    /// A micro-grid's households with their residents, the ones needing something marked; `q` narrows
    /// it to a name or an address.
    func microGrid(_ r: ConsoleRequest) async throws -> Response {
        let id = try r.id()
        let (area, households) = try await microGridHouseholds(r, id)
        let residents = try await everyPage { page in
            try await ResidentStore(r.db).briefs(.init(microGridId: id), today: SimpleDate.todayInChina(), page: page, logger: r.logger)
        }
        let today = SimpleDate.todayInChina()
        let attention = try await MyResidents.load(
            r.db,
            today: today,
            until: today.adding(days: 14),
            limit: 2000,
            microGridId: id,
            residentIds: residents.map(\.id),
            logger: r.logger
        )
        let byResident = Dictionary(attention.map { ($0.residentId, $0) }, uniquingKeysWith: { a, _ in a })
        let q = r.query["q"]
        var rows: [[String: Any]] = []
        let byHousehold = Dictionary(grouping: residents, by: \.householdId)
        for h in households {
            let people = byHousehold[h.id] ?? []
            let matches = q.map { q in h.address.contains(q) || people.contains { $0.name.contains(q) } } ?? true
            guard matches else { continue }
            rows.append([
                "address": h.address, "code": h.codeToken, "count": people.count,
                "residents": Views.residentLines(people, needs: byResident),
            ])
        }
        return render(
            "microgrid",
            title: area.name,
            caller: r.caller,
            ["name": area.name, "id": id, "households": rows, "q": q ?? "", "empty": rows.isEmpty, "count": rows.count]
        )
    }

    /// 码上办: the household a printed code names, its residents and what each needs.
    func householdByCode(_ r: ConsoleRequest) async throws -> Response {
        guard let token = r.parameters.get("token"), token.count <= 100 else { throw StoreError.notFound("household") }
        let h = try await HouseholdStore(r.db).byCode(token, logger: r.logger)
        let residents = try await everyPage { page in
            try await ResidentStore(r.db).briefs(.init(householdId: h.id), today: SimpleDate.todayInChina(), page: page, logger: r.logger)
        }
        let today = SimpleDate.todayInChina()
        let attention = try await MyResidents.load(
            r.db,
            today: today,
            until: today.adding(days: 14),
            limit: 100,
            microGridId: h.microGridId,
            residentIds: residents.map(\.id),
            logger: r.logger
        )
        let byResident = Dictionary(attention.map { ($0.residentId, $0) }, uniquingKeysWith: { a, _ in a })
        return render(
            "household",
            title: h.address,
            caller: r.caller,
            ["address": h.address, "microGridId": h.microGridId, "residents": Views.residentLines(residents, needs: byResident)]
        )
    }

    /// Residents whose name starts with `q`, and households whose address contains it, within what the
    /// caller sees.
    func search(_ r: ConsoleRequest) async throws -> Response {
        let q = r.query["q"]
        var found = ""
        var households: [[String: Any]] = []
        if let q {
            let h = try await HouseholdStore(r.db).list(
                microGridId: nil,
                gridId: nil,
                districtId: nil,
                addressContains: String(q.prefix(50)),
                page: try PageRequest(cursor: nil, limit: 20),
                logger: r.logger
            )
            households = h.items.map { ["address": $0.address, "code": $0.codeToken] }
            let page = try await ResidentStore(r.db).briefs(
                .init(namePrefix: String(q.prefix(50))),
                today: SimpleDate.todayInChina(),
                page: try PageRequest(cursor: nil, limit: 50),
                logger: r.logger
            )
            found = Views.residentLines(page.items)
        }
        return render(
            "search",
            title: "查找居民",
            caller: r.caller,
            ["q": q ?? "", "results": found, "households": households, "searched": q != nil, "none": q != nil && found.isEmpty && households.isEmpty]
        )
    }
}

/// Every item of a paged list, up to `cap`, read as one page.
func everyPage<T: Sendable>(cap: Int = 2000, _ list: (PageRequest) async throws -> Page<T>) async throws -> [T] {
    try await list(PageRequest(firstOf: cap)).items
}
