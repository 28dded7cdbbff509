import GridcareAPI
import GridcareCore
import GridcareStore

extension APIHandler {
    var alerts: AlertStore { AlertStore(db) }

    func listAlerts(_ input: Operations.ListAlerts.Input) async throws -> Operations.ListAlerts.Output {
        let q = input.query
        let items = try await alerts.list(
            teamId: q.teamId,
            microGridId: q.microGridId,
            includeClosed: q.includeClosed ?? false,
            limit: try bounded(q.limit, "limit", default: 200, max: 2000),
            logger: logger
        )
        return .ok(.init(body: .json(.init(items: items.map { .init($0) }))))
    }

    func acknowledgeAlert(_ input: Operations.AcknowledgeAlert.Input) async throws -> Operations.AcknowledgeAlert.Output {
        var note: String?
        if case .json(let b) = input.body { note = b.note }
        let a = try await alerts.act(input.path.id, .acknowledge, note: note, ifVersion: try version(ifMatch: input.headers.ifMatch), logger: logger)
        return .ok(.init(body: .json(.init(a))))
    }

    func closeAlert(_ input: Operations.CloseAlert.Input) async throws -> Operations.CloseAlert.Output {
        let a = try await alerts.act(input.path.id, .close, ifVersion: try version(ifMatch: input.headers.ifMatch), logger: logger)
        return .ok(.init(body: .json(.init(a))))
    }
}
