import Foundation
import GridcareCore
import GridcareServer
import GridcareStore
import GridcareTestSupport
import HTTPTypes
import HummingbirdTesting
import Logging
import PostgresNIO
import Testing

/// Residents placed around the fixture: one in the team's catchment, one in the uncovered third
/// micro-grid of the same district, one in a second district. Written as the owner, outside any scope.
struct Placed: Sendable {
    var inside: Resident, outsideGrid: Resident, otherDistrict: Resident
    var outsideHousehold: Int64, otherFixture: Fixture

    static func make(_ db: Database, _ f: Fixture) async throws -> Placed {
        let l = quiet
        let households = HouseholdStore(db)
        let outsideHousehold = try await households.create(
            .init(
                microGridId: f.microGridIds[2],
                externalRef: "OUT",
                address: "外面路1号",
                latitude: 30.6,
                longitude: 104.0
            ),
            logger: l
        ).id
        let other = try await Fixture.make(db, name: "另一区")
        let residents = ResidentStore(db)
        return Placed(
            inside: try await residents.create(Fixture.residentDraft(household: f.householdIds[0], n: 101), logger: l),
            outsideGrid: try await residents.create(Fixture.residentDraft(household: outsideHousehold, n: 102), logger: l),
            otherDistrict: try await residents.create(Fixture.residentDraft(household: other.householdIds[0], n: 103), logger: l),
            outsideHousehold: outsideHousehold,
            otherFixture: other
        )
    }
}

extension Placed {
    /// A token for the third grid worker, who sits on no team: a grid worker whose scope holds none of these residents.
    static func otherGridWorker(_ db: Database, _ f: Fixture) async throws -> String {
        let user = try await UserStore(db).add(
            .init(
                username: "grid3",
                role: .gridWorker,
                password: TestUsers.password,
                workerId: f.gridWorkerIds[2]
            ),
            bcryptCost: 4,
            logger: quiet
        )
        return try await TestUsers.token(for: user.id, db)
    }
}

@Suite struct ScopeTests {
    @Test func aRecordOutsideTheScopeAnswersExactlyAsAMissingOne() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            for role in [Role.gridWorker, .centreStaff] {
                let token = users[role]
                #expect(try await client.call(.get, "/v1/residents/\(p.inside.id)", token: token).0 == .ok, "\(role)")
                let missing = try await client.raw(.get, "/v1/residents/999999", token: token)
                #expect(missing.0 == .notFound)
                for foreign in [p.outsideGrid.id, p.otherDistrict.id] {
                    let answer = try await client.raw(.get, "/v1/residents/\(foreign)", token: token)
                    #expect(answer.0 == missing.0 && answer.1 == missing.1, "\(role) reading \(foreign): \(answer)")
                    let patch = try await client.raw(.patch, "/v1/residents/\(foreign)", json: ["name": "改名"], token: token)
                    let patchMissing = try await client.raw(.patch, "/v1/residents/999999", json: ["name": "改名"], token: token)
                    #expect(patch.0 == .notFound && patch.1 == patchMissing.1)
                }
                let household = try await client.raw(.get, "/v1/households/\(p.outsideHousehold)", token: token)
                let householdMissing = try await client.raw(.get, "/v1/households/999999", token: token)
                #expect(household.0 == .notFound && household.1 == householdMissing.1)
            }
            // The district manager sees the whole district, but not the other one.
            let manager = users[.districtManager]
            #expect(try await client.call(.get, "/v1/residents/\(p.outsideGrid.id)", token: manager).0 == .ok)
            #expect(try await client.call(.get, "/v1/residents/\(p.otherDistrict.id)", token: manager).0 == .notFound)
            // The administrator sees everything.
            #expect(try await client.call(.get, "/v1/residents/\(p.otherDistrict.id)").0 == .ok)
        }
    }

    @Test func listsAndSearchesNeverHoldAForeignRow() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            let visible: [Role: Set<Int64>] = [
                .gridWorker: [p.inside.id], .centreStaff: [p.inside.id],
                .districtManager: [p.inside.id, p.outsideGrid.id], .admin: [p.inside.id, p.outsideGrid.id, p.otherDistrict.id],
            ]
            for (role, ids) in visible {
                let (status, page, _) = try await client.call(.get, "/v1/residents?limit=200", token: users[role])
                #expect(status == .ok)
                #expect(Set(page.items.map(\.id)) == ids, "\(role)")
                // Asking for a foreign micro-grid or district by name finds nothing rather than something.
                for query in ["microGridId=\(f.microGridIds[2])", "districtId=\(p.otherFixture.districtId)", "gridId=\(p.otherFixture.gridId)"] {
                    let (_, filtered, _) = try await client.call(.get, "/v1/residents?\(query)", token: users[role])
                    #expect(Set(filtered.items.map(\.id)).isSubset(of: ids), "\(role) \(query)")
                }
            }
            let (_, households, _) = try await client.call(.get, "/v1/households?limit=200", token: users[.gridWorker])
            #expect(households.items.allSatisfy { f.microGridIds.prefix(2).contains(($0["microGridId"] as! NSNumber).int64Value) })
            #expect(households.items.count == 2)
            let (_, contracts, _) = try await client.call(.get, "/v1/contracts", token: users[.gridWorker])
            #expect(contracts.items.isEmpty)
        }
    }

    /// A grid worker's list takes each of their micro-grids' first ids and keeps the lowest (ResidentStore.search,
    /// 0038). Residents of two in-scope micro-grids and one foreign one, interleaved by id, walked two at a time:
    /// the same residents in the same order as the administrator's lists of those two micro-grids, none foreign.
    @Test func aGridWorkersPagesInterleaveTheirMicroGridsAndHoldNoForeignRow() async throws {
        try await withScopedAPI { client, f, users, db in
            let households = HouseholdStore(db)
            func household(_ microGrid: Int64, _ ref: String) async throws -> Int64 {
                try await households.create(
                    .init(microGridId: microGrid, externalRef: ref, address: "\(ref)路1号", latitude: 30.6, longitude: 104.0),
                    logger: quiet
                ).id
            }
            let second = try await household(f.microGridIds[1], "B")
            let foreign = try await household(f.microGridIds[2], "C")
            let residents = ResidentStore(db)
            var foreignIds: Set<Int64> = []
            for n in 0..<9 {
                let home = [f.householdIds[0], second, foreign][n % 3]
                let made = try await residents.create(Fixture.residentDraft(household: home, n: 400 + n), logger: quiet)
                if home == foreign { foreignIds.insert(made.id) }
            }
            var expected: [Int64] = []
            for microGrid in f.microGridIds.prefix(2) {
                expected += try await client.call(.get, "/v1/residents?microGridId=\(microGrid)&limit=200").1.items.map(\.id)
            }
            expected.sort()
            #expect(expected.count >= 6)
            let grid = users[.gridWorker]
            #expect(try await client.call(.get, "/v1/residents?limit=200", token: grid).1.items.map(\.id) == expected)
            var walked: [Int64] = []
            var cursor: String? = ""
            while let at = cursor, walked.count <= expected.count {
                let (_, page, _) = try await client.call(.get, "/v1/residents?limit=2" + (at.isEmpty ? "" : "&cursor=\(at)"), token: grid)
                walked += page.items.map(\.id)
                cursor = page["nextCursor"] as? String
            }
            #expect(walked == expected)
            #expect(foreignIds.isDisjoint(with: walked))
        }
    }

    @Test func creatingOrMovingIntoAForeignScopeIsRefusedAsIfItDidNotExist() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            let token = users[.gridWorker]
            func newResident(_ household: Int64) -> [String: Any] {
                let d = Fixture.residentDraft(household: household, n: 300)
                return ["householdId": household, "name": "新居民", "sex": "female", "birthDate": d.birthDate.iso, "idNumber": d.idNumber.value]
            }
            let foreign = try await client.raw(.post, "/v1/residents", json: newResident(p.outsideHousehold), token: token)
            let missing = try await client.raw(.post, "/v1/residents", json: newResident(999999), token: token)
            #expect(foreign.0 == .unprocessableContent && foreign.1 == missing.1, "\(foreign) vs \(missing)")
            // A household of the caller's own may be created; one in a foreign micro-grid may not.
            let (mine, _, _) = try await client.call(
                .post,
                "/v1/households",
                json: [
                    "microGridId": f.microGridIds[1], "address": "自己路1号", "latitude": 30.6, "longitude": 104.0,
                ],
                token: token
            )
            #expect(mine == .created)
            let (theirs, problem, _) = try await client.call(
                .post,
                "/v1/households",
                json: [
                    "microGridId": f.microGridIds[2], "address": "别人路1号", "latitude": 30.6, "longitude": 104.0,
                ],
                token: token
            )
            #expect(theirs == .unprocessableContent)
            #expect(problem.field == "microGridId")
            // Moving one's own resident or household into a foreign micro-grid is refused, and nothing changes.
            let (move, moveProblem, _) = try await client.call(
                .patch,
                "/v1/residents/\(p.inside.id)",
                json: ["householdId": p.outsideHousehold],
                token: token
            )
            #expect(move == .unprocessableContent)
            #expect(moveProblem.field == "householdId")
            let (moveHousehold, _, _) = try await client.call(
                .patch,
                "/v1/households/\(f.householdIds[0])",
                json: ["microGridId": f.microGridIds[2]],
                token: token
            )
            #expect(moveHousehold == .unprocessableContent)
            let (_, still, _) = try await client.call(.get, "/v1/residents/\(p.inside.id)", token: token)
            #expect((still["householdId"] as? NSNumber)?.int64Value == f.householdIds[0])
            // A doctor cannot sign a contract for a resident outside the centre's teams.
            let (sign, signProblem, _) = try await client.call(
                .post,
                "/v1/contracts",
                json: [
                    "residentId": p.outsideGrid.id, "teamId": f.teamId, "startsOn": "2026-01-01",
                ],
                token: users[.centreStaff]
            )
            #expect(sign == .unprocessableContent)
            #expect(signProblem.field == "residentId")
        }
    }

    /// The duplicate check and the search by ID-card number are the two ways to ask "is this person
    /// registered?"; for a resident outside the scope they answer exactly as for nobody.
    @Test func existenceProbesCannotTellAForeignResidentFromAMissingOne() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            let foreignNumber = Fixture.residentDraft(household: 0, n: 102).idNumber.value  // p.outsideGrid's
            let unusedNumber = Fixture.residentDraft(household: 0, n: 555).idNumber.value
            let ownNumber = Fixture.residentDraft(household: 0, n: 101).idNumber.value  // p.inside's
            let token = users[.gridWorker]
            let checkForeign = try await client.raw(.post, "/v1/residents/id-number-checks", json: ["idNumber": foreignNumber], token: token)
            let checkMissing = try await client.raw(.post, "/v1/residents/id-number-checks", json: ["idNumber": unusedNumber], token: token)
            #expect(checkForeign.0 == .ok && checkForeign.1 == checkMissing.1)
            #expect(try JSONSerialization.jsonObject(with: Data(checkMissing.1.utf8)) as? NSDictionary == ["registered": false])
            let (_, own, _) = try await client.call(.post, "/v1/residents/id-number-checks", json: ["idNumber": ownNumber], token: token)
            #expect(own["registered"] as? Bool == true)
            #expect((own["residentId"] as? NSNumber)?.int64Value == p.inside.id)

            let searchForeign = try await client.raw(.get, "/v1/residents?idNumber=\(foreignNumber)", token: token)
            let searchMissing = try await client.raw(.get, "/v1/residents?idNumber=\(unusedNumber)", token: token)
            #expect(searchForeign.0 == .ok && searchForeign.1 == searchMissing.1)
            let (_, found, _) = try await client.call(.get, "/v1/residents?idNumber=\(ownNumber)", token: token)
            #expect(found.items.map(\.id) == [p.inside.id])

            // A number someone the caller cannot see holds is registered as a new one would be (and held for an
            // administrator's review, IdentityPrivacyTests); one the caller sees is a duplicate.
            func body(_ number: String) -> [String: Any] {
                ["householdId": f.householdIds[1], "name": "重复", "sex": "female", "birthDate": "1950-03-09", "idNumber": number]
            }
            let dupForeign = try await client.raw(.post, "/v1/residents", json: body(foreignNumber), token: token)
            let dupOwn = try await client.raw(.post, "/v1/residents", json: body(ownNumber), token: token)
            #expect(dupForeign.0 == .created && dupOwn.0 == .conflict)
        }
    }

    /// Two grid workers of different teams hammer the API at once through a pool of two connections, so
    /// every connection serves both in turn: a scope left on a connection would show up as a foreign row.
    @Test func tenThousandInterleavedRequestsFromTwoGridsReturnNoForeignRow() async throws {
        try await withScopedAPI(poolSize: 2) { client, f, users, db in
            let l = quiet
            // A second team, covering the third micro-grid, with the third grid worker on it.
            let workers = WorkerStore(db)
            func worker(_ role: WorkerRole, _ name: String) async throws -> Int64 {
                try await workers.create(
                    .init(
                        districtId: f.districtId,
                        role: role,
                        name: name,
                        phone: nil,
                        centreId: role == .doctor || role == .nurse ? f.centreId : nil,
                        hospitalId: nil,
                        areaId: role == .partyMember ? f.communityId : nil
                    ),
                    logger: l
                ).id
            }
            _ = try await TeamStore(db).create(
                centreId: f.centreId,
                name: "第二团队",
                members: [
                    .init(workerId: try await worker(.doctor, "二医生"), role: .doctor), .init(workerId: try await worker(.nurse, "二护士"), role: .nurse),
                    .init(workerId: try await worker(.partyMember, "二书记"), role: .partyMember),
                    .init(workerId: f.gridWorkerIds[2], role: .gridWorker),
                ],
                microGridIds: [f.microGridIds[2]],
                logger: l
            )
            let second = try await UserStore(db).add(
                .init(
                    username: "grid2",
                    role: .gridWorker,
                    password: TestUsers.password,
                    workerId: f.gridWorkerIds[2]
                ),
                bcryptCost: 4,
                logger: l
            )
            let secondToken = try await TestUsers.token(for: second.id, db)
            let households = HouseholdStore(db)
            let theirHousehold = try await households.create(
                .init(
                    microGridId: f.microGridIds[2],
                    externalRef: "T2",
                    address: "二路1号",
                    latitude: 30.6,
                    longitude: 104.0
                ),
                logger: l
            ).id
            var firstIds: [Int64] = []
            var secondIds: [Int64] = []
            for n in 0..<15 {
                firstIds.append(try await ResidentStore(db).create(Fixture.residentDraft(household: f.householdIds[n % 2], n: 400 + n), logger: l).id)
                secondIds.append(try await ResidentStore(db).create(Fixture.residentDraft(household: theirHousehold, n: 500 + n), logger: l).id)
            }
            let callers: [(token: String, own: Set<Int64>, grids: Set<Int64>)] = [
                (users[.gridWorker], Set(firstIds), Set(f.microGridIds.prefix(2))),
                (secondToken, Set(secondIds), [f.microGridIds[2]]),
            ]
            let everyone = firstIds + secondIds
            let total = 10_000
            let lanes = 8
            let tallies = try await withThrowingTaskGroup(of: (foreign: Int, own: Int, hidden: Int).self) { group in
                for lane in 0..<lanes {
                    group.addTask {
                        var t = (foreign: 0, own: 0, hidden: 0)
                        var i = lane
                        while i < total {
                            let caller = callers[i % 2]
                            if i % 3 == 0 {
                                let (status, page, _) = try await client.call(.get, "/v1/residents?limit=50", token: caller.token)
                                #expect(status == .ok)
                                for item in page.items {
                                    let grid = (item["microGridId"] as? NSNumber)?.int64Value ?? -1
                                    if caller.own.contains(item.id) && caller.grids.contains(grid) { t.own += 1 } else { t.foreign += 1 }
                                }
                            } else {
                                let id = everyone[(i / 2) % everyone.count]
                                let (status, body, _) = try await client.call(.get, "/v1/residents/\(id)", token: caller.token)
                                if status == .ok {
                                    if caller.own.contains(body.id) { t.own += 1 } else { t.foreign += 1 }
                                } else if status == .notFound && !caller.own.contains(id) {
                                    t.hidden += 1
                                } else {
                                    t.foreign += 1
                                }
                            }
                            i += lanes
                        }
                        return t
                    }
                }
                return try await group.reduce(into: (foreign: 0, own: 0, hidden: 0)) {
                    $0.foreign += $1.foreign
                    $0.own += $1.own
                    $0.hidden += $1.hidden
                }
            }
            #expect(tallies.foreign == 0)
            #expect(tallies.own > 10_000)  // lists give 15 rows each, reads one
            #expect(tallies.hidden > 2_000)  // about half the reads aim at the other grid's residents
            // Every one of those requests is in the audit trail.
            let audited = try await db.client.query("SELECT count(DISTINCT user_id) FROM audit_event WHERE action IN ('read', 'search')")
                .decode(Int.self).all()
            #expect(audited == [2])
        }
    }
}
