import GridcareAPI
import GridcareCore
import GridcareStore

extension Components.Schemas.Flag {
    init(_ f: RiskFlag, history: [FlagEvent]? = nil) {
        self.init(
            id: f.id,
            residentId: f.residentId,
            residentName: f.residentName,
            microGridId: f.microGridId,
            category: f.category,
            tier: f.tier,
            population: f.population,
            note: f.note,
            status: f.status,
            raisedBy: f.raisedBy,
            raisedAt: f.raisedAt,
            decidedBy: f.decidedBy,
            decidedAt: f.decidedAt,
            closedBy: f.closedBy,
            closedAt: f.closedAt,
            version: f.version,
            history: history?.map { .init(at: $0.at, userId: $0.userId, username: $0.username, action: $0.action, note: $0.note) }
        )
    }
}

extension APIHandler {
    var flags: FlagStore { FlagStore(db) }

    func listFlags(_ input: Operations.ListFlags.Input) async throws -> Operations.ListFlags.Output {
        let q = input.query
        let filter = FlagStore.Filter(
            residentId: q.residentId,
            status: q.status,
            microGridId: q.microGridId,
            teamId: q.teamId,
            openOnly: q.open ?? false
        )
        let page = try await flags.list(filter, page: try pageRequest(cursor: q.cursor, limit: q.limit), logger: logger)
        return .ok(.init(body: .json(.init(items: page.items.map { .init($0) }, nextCursor: page.nextCursor))))
    }

    func raiseFlag(_ input: Operations.RaiseFlag.Input) async throws -> Operations.RaiseFlag.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        let flag = try await flags.raise(
            residentId: b.residentId,
            category: b.category,
            tier: b.tier,
            population: b.population,
            note: b.note,
            logger: logger
        )
        return .created(.init(body: .json(.init(flag))))
    }

    func getFlag(_ input: Operations.GetFlag.Input) async throws -> Operations.GetFlag.Output {
        let (flag, history) = try await flags.get(input.path.id, logger: logger)
        return .ok(.init(headers: .init(eTag: etag(flag.version)), body: .json(.init(flag, history: history))))
    }

    func decideFlag(_ input: Operations.DecideFlag.Input) async throws -> Operations.DecideFlag.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        let action: FlagStatus.Action = b.action == .confirm ? .confirm : .dismiss
        let flag = try await flags.act(input.path.id, action, note: b.note, ifVersion: try version(ifMatch: input.headers.ifMatch), logger: logger)
        return .ok(.init(headers: .init(eTag: etag(flag.version)), body: .json(.init(flag))))
    }

    func closeFlag(_ input: Operations.CloseFlag.Input) async throws -> Operations.CloseFlag.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        let flag = try await flags.act(input.path.id, .close, note: b.note, ifVersion: try version(ifMatch: input.headers.ifMatch), logger: logger)
        return .ok(.init(headers: .init(eTag: etag(flag.version)), body: .json(.init(flag))))
    }
}
