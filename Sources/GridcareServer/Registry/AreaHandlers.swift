import GridcareAPI
import GridcareCore
import GridcareStore

extension APIHandler {
    var areas: AreaStore { AreaStore(db) }

    func listAreas(_ input: Operations.ListAreas.Input) async throws -> Operations.ListAreas.Output {
        let q = input.query
        let filter = AreaStore.Filter(
            level: q.level,
            parentId: q.parentId,
            districtId: q.districtId,
            namePrefix: q.name
        )
        let page = try await areas.list(filter, page: try pageRequest(cursor: q.cursor, limit: q.limit), logger: logger)
        return .ok(.init(body: .json(.init(items: page.items.map(Components.Schemas.Area.init), nextCursor: page.nextCursor))))
    }

    func createArea(_ input: Operations.CreateArea.Input) async throws -> Operations.CreateArea.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        let area = try await areas.create(
            level: b.level,
            parentId: b.parentId,
            name: b.name,
            code: b.code,
            institution: b.institution,
            logger: logger
        )
        return .created(.init(body: .json(.init(area))))
    }

    func getArea(_ input: Operations.GetArea.Input) async throws -> Operations.GetArea.Output {
        let area = Components.Schemas.Area(try await areas.get(input.path.id, logger: logger))
        return .ok(.init(headers: .init(eTag: etag(area.version)), body: .json(area)))
    }

    func updateArea(_ input: Operations.UpdateArea.Input) async throws -> Operations.UpdateArea.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        let area = try await areas.update(
            input.path.id,
            name: b.name,
            code: b.code,
            ifVersion: try version(ifMatch: input.headers.ifMatch),
            logger: logger
        )
        return .ok(.init(headers: .init(eTag: etag(area.version)), body: .json(.init(area))))
    }
}
