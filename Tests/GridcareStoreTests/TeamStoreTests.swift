import GridcareCore
import GridcareStore
import GridcareTestSupport
import Logging
import PostgresNIO
import Testing

@Suite struct TeamStoreTests {
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test func aTeamThatBreaksOnePlusOnePlusNIsRefused() async throws {
        try await withTestDatabase { db, _ in
            let f = try await Fixture.make(db)
            await #expect {
                try await TeamStore(db).create(
                    centreId: f.centreId,
                    name: "缺党员",
                    members: [
                        .init(workerId: f.doctorId, role: .doctor), .init(workerId: f.gridWorkerIds[2], role: .gridWorker),
                    ],
                    microGridIds: [f.microGridIds[2]],
                    logger: logger
                )
            } throws: { ($0 as? ValidationFailure)?.errors.contains { $0.reason.contains("party member") } == true }
            // Nothing of the refused team was written.
            let teams = try await db.client.query("SELECT count(*)::int FROM care_team").decode(Int.self).all()
            #expect(teams == [1])
        }
    }

    @Test func twoTeamsRacingForOneMicroGridLeaveItInOneCatchment() async throws {
        try await withTestDatabase { db, _ in
            let f = try await Fixture.make(db)
            let store = TeamStore(db)
            let members: [TeamStore.Member] = [
                .init(workerId: f.doctorId, role: .doctor), .init(workerId: f.partyMemberId, role: .partyMember),
                .init(workerId: f.gridWorkerIds[2], role: .gridWorker),
            ]
            let teams = try await withThrowingTaskGroup(of: Int64.self) { group in
                for i in 0..<2 {
                    group.addTask {
                        try await store.create(centreId: f.centreId, name: "团队\(i)", members: members, microGridIds: [], logger: logger).id
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let results = await withTaskGroup(of: Bool.self) { group in
                for round in 0..<10 {
                    group.addTask {
                        (try? await store.addToCatchment(teams[round % 2], microGridIds: [f.microGridIds[2]], logger: logger)) != nil
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.filter { $0 }.count == 1)
            let owners = try await db.client.query("SELECT team_id FROM care_team_catchment WHERE micro_grid_id = \(f.microGridIds[2])")
                .decode(Int64.self).all()
            #expect(owners.count == 1)
        }
    }

    @Test func aResidentHasOneContractAtATimeEvenUnderConcurrentSigning() async throws {
        try await withTestDatabase { db, _ in
            let f = try await Fixture.make(db)
            let resident = try await ResidentStore(db).create(Fixture.residentDraft(household: f.householdIds[0], n: 1), logger: logger)
            let contracts = ContractStore(db)
            let start = SimpleDate(year: 2026, month: 1, day: 1)!
            let signed = await withTaskGroup(of: Bool.self) { group in
                for i in 0..<20 {
                    group.addTask {
                        (try? await contracts.sign(
                            residentId: resident.id,
                            teamId: f.teamId,
                            startsOn: start.adding(days: i * 7),
                            years: 1,
                            logger: logger
                        )) != nil
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(signed.filter { $0 }.count == 1)
        }
    }

    @Test func renewAndSwitchKeepTheHistoryWithoutOverlap() async throws {
        try await withTestDatabase { db, _ in
            let f = try await Fixture.make(db)
            let resident = try await ResidentStore(db).create(Fixture.residentDraft(household: f.householdIds[0], n: 1), logger: logger)
            let contracts = ContractStore(db)
            let first = try await contracts.sign(
                residentId: resident.id,
                teamId: f.teamId,
                startsOn: SimpleDate(year: 2025, month: 3, day: 1)!,
                years: 1,
                logger: logger
            )
            let renewed = try await contracts.renew(first.id, years: 1, logger: logger)
            #expect(renewed.startsOn.iso == "2026-03-01")
            #expect(renewed.previousId == first.id)
            #expect(try await contracts.get(first.id, logger: logger).endReason == .renewed)
            await #expect(throws: FieldError.self) { try await contracts.renew(first.id, years: 1, logger: logger) }

            // A second team covering the third micro-grid; move the household there, then switch.
            let other = try await f.secondTeam(db)
            await #expect(throws: ValidationFailure.self) {
                try await contracts.switchTeam(renewed.id, teamId: other.id, on: SimpleDate(year: 2026, month: 6, day: 1)!, years: 1, logger: logger)
            }
            _ = try await HouseholdStore(db).update(
                f.householdIds[0],
                address: nil,
                latitude: nil,
                longitude: nil,
                microGridId: f.microGridIds[2],
                ifVersion: nil,
                logger: logger
            )
            let switched = try await contracts.switchTeam(
                renewed.id,
                teamId: other.id,
                on: SimpleDate(year: 2026, month: 6, day: 1)!,
                years: 1,
                logger: logger
            )
            #expect(switched.teamId == other.id)
            let old = try await contracts.get(renewed.id, logger: logger)
            #expect(old.endedOn?.iso == "2026-06-01")
            #expect(old.endReason == .switched)
            let active = try await contracts.list(
                residentId: resident.id,
                teamId: nil,
                activeOn: SimpleDate(year: 2026, month: 7, day: 1)!,
                page: try PageRequest(cursor: nil, limit: nil),
                logger: logger
            )
            #expect(active.items.map(\.id) == [switched.id])
        }
    }

    @Test func coverageFindsTheUncoveredMicroGridAndBrokenTeams() async throws {
        try await withTestDatabase { db, _ in
            let f = try await Fixture.make(db)
            var report = try await CoverageStore(db).report(districtId: f.districtId, rules: CoverageRules(), logger: logger)
            #expect(report.uncovered.map(\.microGridId) == [f.microGridIds[2]])
            #expect(report.brokenTeams.isEmpty)
            #expect(report.outOfSize.count == 3)
            _ = try await WorkerStore(db).update(f.partyMemberId, name: nil, phone: nil, active: false, ifVersion: nil, logger: logger)
            report = try await CoverageStore(db).report(
                districtId: f.districtId,
                rules: CoverageRules(householdsPerMicroGrid: 0...100),
                logger: logger
            )
            #expect(report.brokenTeams.map(\.teamId) == [f.teamId])
            #expect(report.outOfSize.isEmpty)
        }
    }
}

@Suite struct MicroGridFollowsTests {
    /// Scope policies read micro_grid_id on residents, contracts and care records; when a household moves,
    /// the foreign keys carry the new micro-grid down to all of them.
    @Test func aHouseholdThatMovesTakesItsResidentsAndTheirRecordsAlong() async throws {
        try await withTestDatabase { db, _ in
            let f = try await Fixture.make(db)
            let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
            let r = try await ResidentStore(db).create(Fixture.residentDraft(household: f.householdIds[0], n: 1), logger: logger)
            _ = try await ContractStore(db).sign(residentId: r.id, teamId: f.teamId, startsOn: SimpleDate.todayInChina(), years: 1, logger: logger)
            try await db.client.query(
                """
                INSERT INTO app_user (username, role, password_hash) VALUES ('owner', 'admin', 'x');
                """
            )
            try await db.client.query(
                """
                INSERT INTO service_entry (district_id, resident_id, micro_grid_id, kind, performed_by, performed_at)
                SELECT district_id, id, micro_grid_id, 'home_visit', (SELECT id FROM app_user), now() FROM resident WHERE id = \(r.id)
                """
            )
            _ = try await HouseholdStore(db).update(
                f.householdIds[0],
                address: nil,
                latitude: nil,
                longitude: nil,
                microGridId: f.microGridIds[1],
                ifVersion: nil,
                logger: logger
            )
            for table in ["resident", "contract", "service_entry"] {
                let grids = try await db.client.query("SELECT DISTINCT micro_grid_id FROM \(unescaped: table)").decode(Int64.self).all()
                #expect(grids == [f.microGridIds[1]], "\(table)")
            }
        }
    }
}
