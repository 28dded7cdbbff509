import GridcareAPI
import GridcareCore
import GridcareStore

extension APIHandler {
    var households: HouseholdStore { HouseholdStore(db) }

    func listHouseholds(_ input: Operations.ListHouseholds.Input) async throws -> Operations.ListHouseholds.Output {
        let q = input.query
        let page = try await households.list(
            microGridId: q.microGridId,
            gridId: q.gridId,
            districtId: q.districtId,
            page: try pageRequest(cursor: q.cursor, limit: q.limit),
            logger: logger
        )
        return .ok(.init(body: .json(.init(items: page.items.map(Components.Schemas.Household.init), nextCursor: page.nextCursor))))
    }

    func createHousehold(_ input: Operations.CreateHousehold.Input) async throws -> Operations.CreateHousehold.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        let draft = HouseholdDraft(
            microGridId: b.microGridId,
            externalRef: b.externalRef,
            address: b.address,
            latitude: b.latitude,
            longitude: b.longitude
        )
        return .created(.init(body: .json(.init(try await households.create(draft, logger: logger)))))
    }

    func getHousehold(_ input: Operations.GetHousehold.Input) async throws -> Operations.GetHousehold.Output {
        let h = Components.Schemas.Household(try await households.get(input.path.id, logger: logger))
        return .ok(.init(headers: .init(eTag: etag(h.version)), body: .json(h)))
    }

    func getHouseholdByCode(_ input: Operations.GetHouseholdByCode.Input) async throws -> Operations.GetHouseholdByCode.Output {
        let h = Components.Schemas.Household(try await households.byCode(input.path.token, logger: logger))
        return .ok(.init(headers: .init(eTag: etag(h.version)), body: .json(h)))
    }

    func updateHousehold(_ input: Operations.UpdateHousehold.Input) async throws -> Operations.UpdateHousehold.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        let h = try await households.update(
            input.path.id,
            address: b.address,
            latitude: b.latitude,
            longitude: b.longitude,
            microGridId: b.microGridId,
            ifVersion: try version(ifMatch: input.headers.ifMatch),
            logger: logger
        )
        return .ok(.init(headers: .init(eTag: etag(h.version)), body: .json(.init(h))))
    }
}
