import GridcareAPI
import GridcareCore
import GridcareStore

extension APIHandler {
    var workers: WorkerStore { WorkerStore(db) }

    func listWorkers(_ input: Operations.ListWorkers.Input) async throws -> Operations.ListWorkers.Output {
        let q = input.query
        let page = try await workers.list(
            role: q.role,
            districtId: q.districtId,
            centreId: q.centreId,
            areaId: q.areaId,
            namePrefix: q.name,
            page: try pageRequest(cursor: q.cursor, limit: q.limit),
            logger: logger
        )
        return .ok(.init(body: .json(.init(items: page.items.map(Components.Schemas.Worker.init), nextCursor: page.nextCursor))))
    }

    func createWorker(_ input: Operations.CreateWorker.Input) async throws -> Operations.CreateWorker.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        let draft = WorkerStore.Draft(
            districtId: b.districtId,
            role: b.role,
            name: b.name,
            phone: b.phone,
            centreId: b.centreId,
            hospitalId: b.hospitalId,
            areaId: b.areaId
        )
        return .created(.init(body: .json(.init(try await workers.create(draft, logger: logger)))))
    }

    func getWorker(_ input: Operations.GetWorker.Input) async throws -> Operations.GetWorker.Output {
        let w = Components.Schemas.Worker(try await workers.get(input.path.id, logger: logger))
        return .ok(.init(headers: .init(eTag: etag(w.version)), body: .json(w)))
    }

    func updateWorker(_ input: Operations.UpdateWorker.Input) async throws -> Operations.UpdateWorker.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        let w = try await workers.update(
            input.path.id,
            name: b.name,
            phone: b.phone,
            active: b.active,
            ifVersion: try version(ifMatch: input.headers.ifMatch),
            logger: logger
        )
        return .ok(.init(headers: .init(eTag: etag(w.version)), body: .json(.init(w))))
    }
}
