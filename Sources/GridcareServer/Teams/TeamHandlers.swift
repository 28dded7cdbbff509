import GridcareAPI
import GridcareCore
import GridcareStore

extension Components.Schemas.CareTeam {
    init(_ t: CareTeam) {
        self.init(
            id: t.id,
            districtId: t.districtId,
            centreId: t.centreId,
            name: t.name,
            members: t.members.map { .init(workerId: $0.workerId, role: $0.teamRole) },
            microGridIds: t.microGridIds,
            problems: TeamComposition.violations(t.members),
            version: t.version
        )
    }
}

extension TeamStore.Member {
    init(_ m: Components.Schemas.TeamMember) {
        self.init(workerId: m.workerId, role: m.role)
    }
}

extension APIHandler {
    var teams: TeamStore { TeamStore(db) }

    func listCareTeams(_ input: Operations.ListCareTeams.Input) async throws -> Operations.ListCareTeams.Output {
        let q = input.query
        let page = try await teams.list(
            districtId: q.districtId,
            centreId: q.centreId,
            page: try pageRequest(cursor: q.cursor, limit: q.limit),
            logger: logger
        )
        return .ok(.init(body: .json(.init(items: page.items.map(Components.Schemas.CareTeam.init), nextCursor: page.nextCursor))))
    }

    func createCareTeam(_ input: Operations.CreateCareTeam.Input) async throws -> Operations.CreateCareTeam.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        let team = try await teams.create(
            centreId: b.centreId,
            name: b.name,
            members: b.members.map(TeamStore.Member.init),
            microGridIds: b.microGridIds ?? [],
            logger: logger
        )
        return .created(.init(body: .json(.init(team))))
    }

    func getCareTeam(_ input: Operations.GetCareTeam.Input) async throws -> Operations.GetCareTeam.Output {
        let team = Components.Schemas.CareTeam(try await teams.get(input.path.id, logger: logger))
        return .ok(.init(headers: .init(eTag: etag(team.version)), body: .json(team)))
    }

    func updateCareTeam(_ input: Operations.UpdateCareTeam.Input) async throws -> Operations.UpdateCareTeam.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        let team = try await teams.update(
            input.path.id,
            name: b.name,
            members: b.members?.map(TeamStore.Member.init),
            ifVersion: try version(ifMatch: input.headers.ifMatch),
            logger: logger
        )
        return .ok(.init(headers: .init(eTag: etag(team.version)), body: .json(.init(team))))
    }

    func addCatchment(_ input: Operations.AddCatchment.Input) async throws -> Operations.AddCatchment.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        return .ok(.init(body: .json(.init(try await teams.addToCatchment(input.path.id, microGridIds: b.microGridIds, logger: logger)))))
    }

    func removeCatchment(_ input: Operations.RemoveCatchment.Input) async throws -> Operations.RemoveCatchment.Output {
        .ok(.init(body: .json(.init(try await teams.removeFromCatchment(input.path.id, microGridId: input.path.microGridId, logger: logger)))))
    }

    func coverageReport(_ input: Operations.CoverageReport.Input) async throws -> Operations.CoverageReport.Output {
        let report = try await CoverageStore(db.reporting()).report(districtId: input.query.districtId, rules: config.coverage, logger: logger)
        let line: (CoverageReport.MicroGridLine) -> Components.Schemas.CoverageMicroGrid = {
            .init(microGridId: $0.microGridId, name: $0.name, gridName: $0.gridName, households: $0.households)
        }
        let range = config.coverage.householdsPerMicroGrid
        return .ok(
            .init(
                body: .json(
                    .init(
                        microGrids: report.microGrids,
                        coveredMicroGrids: report.coveredMicroGrids,
                        householdRange: [range.lowerBound, range.upperBound],
                        uncovered: report.uncovered.map(line),
                        outOfSize: report.outOfSize.map(line),
                        brokenTeams: report.brokenTeams.map { .init(teamId: $0.teamId, name: $0.name, problems: $0.problems) }
                    )
                )
            )
        )
    }
}
