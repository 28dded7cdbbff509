import GridcareAPI
import GridcareCore
import GridcareStore

extension Components.Schemas.Contract {
    init(_ c: Contract, today: SimpleDate) {
        self.init(
            id: c.id,
            districtId: c.districtId,
            residentId: c.residentId,
            teamId: c.teamId,
            startsOn: c.startsOn.iso,
            termEndsOn: c.termEndsOn.iso,
            endedOn: c.endedOn?.iso,
            endReason: c.endReason,
            previousId: c.previousId,
            active: c.isActive(on: today),
            version: c.version
        )
    }
}

extension APIHandler {
    var contracts: ContractStore { ContractStore(db) }

    func listContracts(_ input: Operations.ListContracts.Input) async throws -> Operations.ListContracts.Output {
        let q = input.query
        let today = self.today
        let page = try await contracts.list(
            residentId: q.residentId,
            teamId: q.teamId,
            activeOn: try date(q.activeOn, field: "activeOn"),
            page: try pageRequest(cursor: q.cursor, limit: q.limit),
            logger: logger
        )
        return .ok(.init(body: .json(.init(items: page.items.map { .init($0, today: today) }, nextCursor: page.nextCursor))))
    }

    func signContract(_ input: Operations.SignContract.Input) async throws -> Operations.SignContract.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        let today = self.today
        let c = try await contracts.sign(
            residentId: b.residentId,
            teamId: b.teamId,
            startsOn: try date(b.startsOn, field: "startsOn") ?? today,
            years: b.years ?? 1,
            logger: logger
        )
        return .created(.init(body: .json(.init(c, today: today))))
    }

    func getContract(_ input: Operations.GetContract.Input) async throws -> Operations.GetContract.Output {
        let c = Components.Schemas.Contract(try await contracts.get(input.path.id, logger: logger), today: today)
        return .ok(.init(headers: .init(eTag: etag(c.version)), body: .json(c)))
    }

    func renewContract(_ input: Operations.RenewContract.Input) async throws -> Operations.RenewContract.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        let c = try await contracts.renew(input.path.id, years: b.years ?? 1, logger: logger)
        return .created(.init(body: .json(.init(c, today: today))))
    }

    func switchContract(_ input: Operations.SwitchContract.Input) async throws -> Operations.SwitchContract.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        let today = self.today
        let c = try await contracts.switchTeam(
            input.path.id,
            teamId: b.teamId,
            on: try date(b.on, field: "on") ?? today,
            years: b.years ?? 1,
            logger: logger
        )
        return .created(.init(body: .json(.init(c, today: today))))
    }

    func endContract(_ input: Operations.EndContract.Input) async throws -> Operations.EndContract.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        let today = self.today
        let c = try await contracts.end(
            input.path.id,
            on: try date(b.on, field: "on") ?? today,
            reason: ContractEndReason(rawValue: b.reason.rawValue)!,
            logger: logger
        )
        return .ok(.init(body: .json(.init(c, today: today))))
    }
}
