import GridcareAPI
import GridcareCore
import GridcareStore

extension APIHandler {
    var facilities: FacilityStore { FacilityStore(db) }

    func listFacilities(_ input: Operations.ListFacilities.Input) async throws -> Operations.ListFacilities.Output {
        let q = input.query
        let page = try await facilities.list(
            kind: q.kind,
            districtId: q.districtId,
            centreId: q.centreId,
            page: try pageRequest(cursor: q.cursor, limit: q.limit),
            logger: logger
        )
        return .ok(.init(body: .json(.init(items: page.items.map(Components.Schemas.Facility.init), nextCursor: page.nextCursor))))
    }

    func createFacility(_ input: Operations.CreateFacility.Input) async throws -> Operations.CreateFacility.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        let draft = FacilityStore.Draft(
            kind: b.kind,
            areaId: b.areaId,
            centreId: b.centreId,
            name: b.name,
            address: b.address,
            latitude: b.latitude,
            longitude: b.longitude,
            timeZone: b.timeZone
        )
        return .created(.init(body: .json(.init(try await facilities.create(draft, logger: logger)))))
    }

    func getFacility(_ input: Operations.GetFacility.Input) async throws -> Operations.GetFacility.Output {
        let f = Components.Schemas.Facility(try await facilities.get(input.path.id, logger: logger))
        return .ok(.init(headers: .init(eTag: etag(f.version)), body: .json(f)))
    }

    func updateFacility(_ input: Operations.UpdateFacility.Input) async throws -> Operations.UpdateFacility.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        let f = try await facilities.update(
            input.path.id,
            name: b.name,
            address: b.address,
            latitude: b.latitude,
            longitude: b.longitude,
            ifVersion: try version(ifMatch: input.headers.ifMatch),
            logger: logger
        )
        return .ok(.init(headers: .init(eTag: etag(f.version)), body: .json(.init(f))))
    }
}
