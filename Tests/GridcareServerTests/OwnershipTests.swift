import Foundation
import GridcareCore
import GridcareServer
import GridcareStore
import GridcareTestSupport
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import Testing

/// A second health centre in the fixture's district, with a team of its own covering the third micro-grid
/// and a signed-in doctor: the neighbour who must not reach the first centre's rounds.
struct OtherCentre: Sendable {
    var centreId: Int64, teamId: Int64, doctorId: Int64, doctorToken: String

    static func make(_ db: Database, _ f: Fixture) async throws -> OtherCentre {
        let centre = try await FacilityStore(db).create(
            .init(
                kind: .healthCentre,
                areaId: f.streetId,
                centreId: nil,
                name: "东湖社区卫生服务中心",
                address: nil,
                latitude: 30.65,
                longitude: 104.05,
                timeZone: nil
            ),
            logger: quiet
        )
        let workers = WorkerStore(db)
        func worker(_ role: WorkerRole, _ name: String, centre: Int64? = nil, area: Int64? = nil) async throws -> Int64 {
            try await workers.create(
                .init(
                    districtId: f.districtId,
                    role: role,
                    name: name,
                    phone: nil,
                    centreId: centre,
                    hospitalId: nil,
                    areaId: area
                ),
                logger: quiet
            ).id
        }
        let doctor = try await worker(.doctor, "赵医生", centre: centre.id)
        let team = try await TeamStore(db).create(
            centreId: centre.id,
            name: "东湖家庭医生团队",
            members: [
                .init(workerId: doctor, role: .doctor), .init(workerId: try await worker(.nurse, "钱护士", centre: centre.id), role: .nurse),
                .init(workerId: try await worker(.partyMember, "孙书记", area: f.communityId), role: .partyMember),
                .init(workerId: f.gridWorkerIds[2], role: .gridWorker),
            ],
            microGridIds: [f.microGridIds[2]],
            logger: quiet
        )
        let user = try await UserStore(db).add(
            .init(username: "doctor-east", role: .centreStaff, password: TestUsers.password, workerId: doctor),
            bcryptCost: TestUsers.bcryptCost,
            logger: quiet
        )
        return OtherCentre(centreId: centre.id, teamId: team.id, doctorId: doctor, doctorToken: try await TestUsers.token(for: user.id, db))
    }
}

/// A user of the fixture's centre for one of its workers (the nurse, a second doctor…).
func centreStaffToken(_ db: Database, worker: Int64, username: String) async throws -> String {
    let user = try await UserStore(db).add(
        .init(username: username, role: .centreStaff, password: TestUsers.password, workerId: worker),
        bcryptCost: TestUsers.bcryptCost,
        logger: quiet
    )
    return try await TestUsers.token(for: user.id, db)
}

func stops(_ plan: [String: Any]) -> [[String: Any]] {
    (plan["routes"] as? [[String: Any]] ?? []).flatMap { $0["stops"] as? [[String: Any]] ?? [] }
}

/// Security issue, item 4: rounds plans, planned visits, leave and rounds days are the centre's own.
/// Anyone else, in the district or outside it, meets them exactly as missing records.
@Suite struct CentreRoundsTests {
    /// The fixture team's saved plan for next week, made by its own doctor.
    func ownPlan(
        _ client: any TestClientProtocol,
        _ f: Fixture,
        _ users: TestUsers,
        _ db: Database
    ) async throws -> (plan: [String: Any], week: String) {
        _ = try await RoundsAPITests().bedbound(db, f)
        let week = ISOWeek(containing: SimpleDate.todayInChina().adding(days: 7)).description
        let (status, plan, _) = try await client.call(
            .post,
            "/v1/teams/\(f.teamId)/rounds-plans",
            json: ["week": week, "seconds": 0.2],
            token: users[.centreStaff]
        )
        #expect(status == .created, "\(plan)")
        #expect(stops(plan).count == 3)
        return (plan, week)
    }

    @Test func anotherCentreOfTheDistrictMeetsThePlanItsVisitsAndLeaveAsMissing() async throws {
        try await withScopedAPI { client, f, users, db in
            let (plan, week) = try await ownPlan(client, f, users, db)
            let east = try await OtherCentre.make(db, f).doctorToken

            // Reading the plan, as JSON or as a calendar: the very answer a missing plan gets.
            let missing = try await client.raw(.get, "/v1/rounds-plans/999999", token: east)
            let read = try await client.raw(.get, "/v1/rounds-plans/\(plan.id)", token: east)
            #expect(missing.0 == .notFound && read.0 == .notFound && read.1 == missing.1, "\(read)")
            let missingCalendar = try await client.raw(.get, "/v1/rounds-plans/999999/calendar", token: east)
            let calendar = try await client.raw(.get, "/v1/rounds-plans/\(plan.id)/calendar", token: east)
            #expect(calendar.0 == .notFound && calendar.1 == missingCalendar.1, "\(calendar)")

            // Planning the other centre's team, saved or previewed, is refused before anything is read or
            // solved, and the team's current plan stays current.
            let missingTeam = try await client.raw(.post, "/v1/teams/999999/rounds-plans", json: ["week": week, "seconds": 0.1], token: east)
            for body in [["week": week, "seconds": 0.1] as [String: Any], ["week": week, "seconds": 0.1, "save": false]] {
                let replan = try await client.raw(.post, "/v1/teams/\(f.teamId)/rounds-plans", json: body, token: east)
                #expect(replan.0 == .notFound && replan.1 == missingTeam.1, "\(replan)")
            }
            let (_, still, _) = try await client.call(.get, "/v1/rounds-plans/\(plan.id)", token: users[.centreStaff])
            #expect(still["superseded"] as? Bool == false)

            // Leave (with its reason) is the nurse's centre's: the neighbour sees none of it and adds none.
            let (added, _, _) = try await client.call(
                .post,
                "/v1/workers/\(f.nurseId)/leave",
                json: [
                    "firstDay": SimpleDate.todayInChina().adding(days: 30).iso, "lastDay": SimpleDate.todayInChina().adding(days: 31).iso,
                    "reason": "病假：术后复查",
                ],
                token: users[.centreStaff]
            )
            #expect(added == .created)
            let missingWorker = try await client.raw(.get, "/v1/workers/999999/leave", token: east)
            let leave = try await client.raw(.get, "/v1/workers/\(f.nurseId)/leave", token: east)
            #expect(leave.0 == .notFound && leave.1 == missingWorker.1 && !leave.1.contains("病假"), "\(leave)")
            let leaveBody: [String: Any] = [
                "firstDay": SimpleDate.todayInChina().adding(days: 40).iso, "lastDay": SimpleDate.todayInChina().adding(days: 40).iso,
            ]
            #expect(try await client.call(.post, "/v1/workers/\(f.nurseId)/leave", json: leaveBody, token: east).0 == .notFound)
            #expect(
                try await client.call(
                    .put,
                    "/v1/care-teams/\(f.teamId)/members/\(f.doctorId)/rounds-days",
                    json: ["weekdays": [1]],
                    token: east
                ).0 == .notFound
            )

            // The centre itself and administrators still see all of it.
            #expect(
                try await client.call(.get, "/v1/workers/\(f.nurseId)/leave", token: users[.centreStaff]).1.items.first?["reason"] as? String
                    == "病假：术后复查"
            )
            #expect(try await client.call(.get, "/v1/workers/\(f.nurseId)/leave", token: users[.admin]).1.items.count == 1)
            #expect(try await client.call(.get, "/v1/rounds-plans/\(plan.id)", token: users[.admin]).0 == .ok)
        }
    }

    /// A resident whose household moves into the other centre's catchment takes their micro-grid along,
    /// but not the first team's planned visit: it stays that team's, and the neighbour cannot mark it.
    @Test func aPlannedVisitFollowsItsPlanNotItsResidentsMicroGrid() async throws {
        try await withScopedAPI { client, f, users, db in
            let (plan, _) = try await ownPlan(client, f, users, db)
            let east = try await OtherCentre.make(db, f).doctorToken
            // The first household holds two of the three residents; it moves into the third micro-grid.
            try await db.client.query("UPDATE household SET micro_grid_id = \(f.microGridIds[2]) WHERE id = \(f.householdIds[0])")
            let moved = try await db.client.query(
                """
                SELECT p.id FROM planned_visit p WHERE p.plan_id = \(plan.id) AND p.micro_grid_id = \(f.microGridIds[2]) ORDER BY p.id
                """
            ).decode(Int64.self).all()
            #expect(moved.count == 2)
            let visit = try #require(moved.first)
            let services = try await db.client.query("SELECT count(*)::int FROM service_entry").decode(Int.self).all()
            let missing = try await client.raw(.post, "/v1/planned-visits/999999/status", json: ["action": "done", "notes": "x"], token: east)
            let marked = try await client.raw(.post, "/v1/planned-visits/\(visit)/status", json: ["action": "done", "notes": "x"], token: east)
            #expect(marked.0 == .notFound && marked.1 == missing.1, "\(marked)")
            #expect(try await client.call(.post, "/v1/planned-visits/\(visit)/status", json: ["action": "missed"], token: east).0 == .notFound)
            let status = try await db.client.query("SELECT status::text FROM planned_visit WHERE id = \(visit)").decode(String.self).all()
            #expect(status == ["planned"])
            // Nothing was written to the resident's case sheet either.
            #expect(try await db.client.query("SELECT count(*)::int FROM service_entry").decode(Int.self).all() == services)
        }
    }

    @Test func anotherDistrictMeetsEveryRoundsPathAsMissing() async throws {
        try await withScopedAPI { client, f, users, db in
            let (plan, week) = try await ownPlan(client, f, users, db)
            let visit = try #require((stops(plan).first?["plannedVisitId"] as? NSNumber)?.int64Value)
            let other = try await Fixture.make(db, name: "别区")
            let far = try await TestUsers.make(db, other, suffix: "-far")[.centreStaff]
            let pairs: [(HTTPRequest.Method, String, String, [String: Any]?)] = [
                (.get, "/v1/rounds-plans/\(plan.id)", "/v1/rounds-plans/999999", nil),
                (.get, "/v1/rounds-plans/\(plan.id)/calendar", "/v1/rounds-plans/999999/calendar", nil),
                (.post, "/v1/teams/\(f.teamId)/rounds-plans", "/v1/teams/999999/rounds-plans", ["week": week, "seconds": 0.1]),
                (.post, "/v1/planned-visits/\(visit)/status", "/v1/planned-visits/999999/status", ["action": "missed"]),
                (.get, "/v1/workers/\(f.nurseId)/leave", "/v1/workers/999999/leave", nil),
                (.post, "/v1/workers/\(f.nurseId)/leave", "/v1/workers/999999/leave", ["firstDay": "2026-12-01", "lastDay": "2026-12-02"]),
                (
                    .put, "/v1/care-teams/\(f.teamId)/members/\(f.doctorId)/rounds-days", "/v1/care-teams/999999/members/999999/rounds-days",
                    ["weekdays": [1]]
                ),
            ]
            for (method, path, missingPath, body) in pairs {
                let answer = try await client.raw(method, path, json: body, token: far)
                let missing = try await client.raw(method, missingPath, json: body, token: far)
                #expect(answer.0 == .notFound && answer.1 == missing.1, "\(method) \(path): \(answer)")
            }
        }
    }

    /// The wall is the database's: in the other centre's scope the rounds tables hold no row of this
    /// centre, whatever statement asks.
    @Test func thePoliciesHideAnotherCentresRoundsRows() async throws {
        try await withScopedAPI { client, f, users, db in
            let (plan, _) = try await ownPlan(client, f, users, db)
            _ = try await client.call(
                .post,
                "/v1/workers/\(f.nurseId)/leave",
                json: [
                    "firstDay": SimpleDate.todayInChina().adding(days: 30).iso, "lastDay": SimpleDate.todayInChina().adding(days: 31).iso,
                ],
                token: users[.centreStaff]
            )
            let east = try await OtherCentre.make(db, f)
            try await db.client.query("UPDATE household SET micro_grid_id = \(f.microGridIds[2]) WHERE id = \(f.householdIds[0])")
            /// What the caller's scope shows: as the service role (the test's own handle is the owner, whom
            /// the policies do not restrict), in a transaction rolled back afterwards.
            func counts(_ token: String) async throws -> [Int] {
                let scope = try #require(try await TokenStore(db).authenticate(token, logger: quiet)).scope
                let grids = scope.microGridIds.map { "{" + $0.map(String.init).joined(separator: ",") + "}" } ?? "*"
                return try await db.client.withConnection { conn in
                    @discardableResult
                    func run(_ query: PostgresQuery) async throws -> PostgresRowSequence { try await conn.query(query, logger: quiet) }
                    try await run("BEGIN")
                    try await run("SET LOCAL ROLE gridcare_service")
                    try await run(
                        """
                        SELECT gridcare_set_scope(\(String(scope.userId)), \(scope.role.rawValue), \(scope.districtId.map(String.init) ?? "*"), \(grids), '')
                        """
                    )
                    let seen = try await run(
                        """
                        SELECT (SELECT count(*) FROM rounds_plan WHERE id = \(plan.id))::int, (SELECT count(*) FROM planned_visit WHERE plan_id = \(plan.id))::int,
                               (SELECT count(*) FROM worker_leave)::int,
                               (SELECT count(*) FROM (SELECT 1 FROM rounds_plan WHERE id = \(plan.id) FOR UPDATE) x)::int
                        """
                    ).decode((Int, Int, Int, Int).self).all().first
                    // A superseding write in this scope: how many rows it reaches.
                    let touched = try await run("UPDATE rounds_plan SET superseded_at = now() WHERE id = \(plan.id) RETURNING id")
                        .decode(Int64.self).all().count
                    try await run("ROLLBACK")
                    return seen.map { [$0.0, $0.1, $0.2, $0.3, touched] } ?? []
                }
            }
            #expect(try await counts(east.doctorToken) == [0, 0, 0, 0, 0])
            // The centre's own doctor sees the plan, the visit still in its catchment and the leave.
            #expect(try await counts(users[.centreStaff]) == [1, 1, 1, 1, 1])
        }
    }
}

/// Security issue, item 5: each action has an owner (AccessRules, "Owners"). Everyone else who sees the
/// record is answered 403 problem+json; those who cannot see it still get 404.
@Suite struct OwnerRuleTests {
    func expectForbidden(_ answer: (HTTPResponse.Status, [String: Any], HTTPFields), _ what: String) {
        #expect(answer.0 == .forbidden, "\(what): \(answer.1)")
        #expect(answer.2[.contentType] == "application/problem+json", "\(what)")
        #expect(answer.1["status"] as? Int == 403, "\(what)")
    }

    @Test func whoPostedAnOfferWithdrawsIt() async throws {
        try await withScopedAPI { client, f, users, db in
            let s = try await BoardSetup.make(client, f, users)
            let offer = try await s.offer()  // posted by the micro-grid's grid worker
            let other = try await Placed.otherGridWorker(db, f)
            let nurse = try await nurseToken(db, f)
            // They all see the offer (offers are the district's) but did not post it.
            for (name, token) in [("doctor", users[.centreStaff]), ("nurse", nurse), ("another grid worker", other)] {
                #expect(try await client.call(.get, "/v1/board/offers/\(offer.id)", token: token).0 == .ok)
                expectForbidden(try await client.call(.post, "/v1/board/offers/\(offer.id)/withdraw", token: token), name)
            }
            #expect(try await client.call(.get, "/v1/board/offers/\(offer.id)").1["status"] as? String == "open")
            // Another district does not see it at all.
            let far = try await TestUsers.make(db, try await Fixture.make(db, name: "别区"), suffix: "-far")
            let missing = try await client.raw(.post, "/v1/board/offers/999999/withdraw", token: far[.gridWorker])
            let foreign = try await client.raw(.post, "/v1/board/offers/\(offer.id)/withdraw", token: far[.gridWorker])
            #expect(foreign.0 == .notFound && foreign.1 == missing.1)
            // The poster withdraws it; an administrator withdraws anyone's.
            #expect(
                try await client.call(.post, "/v1/board/offers/\(offer.id)/withdraw", token: users[.gridWorker]).1["status"] as? String == "withdrawn"
            )
            let second = try await s.offer("口罩", category: "protective_supply")
            #expect(
                try await client.call(.post, "/v1/board/offers/\(second.id)/withdraw", token: users[.admin]).1["status"] as? String == "withdrawn"
            )
        }
    }

    @Test func whoClaimedCarriesOrCancelsAndTheRecipientsGridWorkerConfirms() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            let s = try await BoardSetup.make(client, f, users)
            let offer = try await s.offer(quantity: 10)
            let request = try await s.request(p.inside.id, quantity: 6)
            let claim = try await s.claim(request.id, offer.id, 2)  // the first grid worker's
            // The team's second grid worker and the centre's doctor see the claim; it is not theirs to move.
            let teammate = try await UserStore(db).add(
                .init(
                    username: "grid-b",
                    role: .gridWorker,
                    password: TestUsers.password,
                    workerId: f.gridWorkerIds[1]
                ),
                bcryptCost: TestUsers.bcryptCost,
                logger: quiet
            )
            let mate = try await TestUsers.token(for: teammate.id, db)
            for (name, token) in [("teammate", mate), ("doctor", users[.centreStaff])] {
                #expect(try await client.call(.get, "/v1/board/claims?requestId=\(request.id)", token: token).1.items.count == 1)
                for action in ["pick_up", "cancel"] {
                    expectForbidden(
                        try await client.call(.post, "/v1/board/claims/\(claim.id)/actions", json: ["action": action], token: token),
                        "\(name) \(action)"
                    )
                }
            }
            // A grid worker who does not see the resident gets the missing answer.
            let outsider = try await Placed.otherGridWorker(db, f)
            let missing = try await client.raw(.post, "/v1/board/claims/999999/actions", json: ["action": "cancel"], token: outsider)
            let foreign = try await client.raw(.post, "/v1/board/claims/\(claim.id)/actions", json: ["action": "cancel"], token: outsider)
            #expect(foreign.0 == .notFound && foreign.1 == missing.1)
            // The claimer carries it; on the way it is still only theirs to cancel; the recipient's grid
            // worker (here the teammate) confirms the delivery.
            try await s.act(claim.id, "pick_up")
            expectForbidden(
                try await client.call(.post, "/v1/board/claims/\(claim.id)/actions", json: ["action": "cancel"], token: mate),
                "teammate cancel"
            )
            #expect(try await s.act(claim.id, "deliver", token: mate)["status"] as? String == "delivered")
            // A doctor's claim is the doctor's to cancel; an administrator may cancel anyone's.
            let doctors = try await s.claim(request.id, offer.id, 1, token: users[.centreStaff])
            expectForbidden(
                try await client.call(.post, "/v1/board/claims/\(doctors.id)/actions", json: ["action": "cancel"], token: users[.gridWorker]),
                "grid worker cancelling the doctor's claim"
            )
            #expect(try await s.act(doctors.id, "cancel", token: users[.centreStaff])["status"] as? String == "cancelled")
            let another = try await s.claim(request.id, offer.id, 1)
            #expect(try await s.act(another.id, "cancel", token: users[.admin])["status"] as? String == "cancelled")
        }
    }

    /// The owner check runs on the locked row: a crowd of teammates racing the claimer moves nothing.
    @Test func racingNonOwnersNeverMoveAClaim() async throws {
        try await withScopedAPI(config: concurrencyConfig(), poolSize: 8) { client, f, users, db in
            let p = try await Placed.make(db, f)
            let s = try await BoardSetup.make(client, f, users)
            let offer = try await s.offer(quantity: 10)
            let request = try await s.request(p.inside.id, quantity: 2)
            let claim = try await s.claim(request.id, offer.id, 2)
            let doctor = users[.centreStaff]
            let claimer = users[.gridWorker]
            let claimId = claim.id
            let answers = try await withThrowingTaskGroup(of: (Bool, HTTPResponse.Status).self) { group in
                for i in 0..<16 {
                    group.addTask {
                        let owner = i == 7
                        let status = try await client.call(
                            .post,
                            "/v1/board/claims/\(claimId)/actions",
                            json: ["action": owner ? "pick_up" : "cancel"],
                            token: owner ? claimer : doctor
                        ).0
                        return (owner, status)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(answers.filter { !$0.0 }.allSatisfy { $0.1 == .forbidden }, "\(answers)")
            #expect(answers.first { $0.0 }?.1 == .ok)
            let state = try await db.client.query("SELECT status::text FROM board_claim WHERE id = \(claimId)").decode(String.self).all()
            #expect(state == ["picked_up"])
            #expect(try await client.call(.get, "/v1/board/offers/\(offer.id)").1["available"] as? Int == 8)
        }
    }

    @Test func theTeamsDoctorsSendCloseAndCancelTheirSlips() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            let s = Slips(client: client, f: f, users: users)
            let nurse = try await nurseToken(db, f)
            // A doctor of a second team of the same centre: she sees the centre's slips, but they are not her team's.
            let workers = WorkerStore(db)
            func worker(_ role: WorkerRole, _ name: String) async throws -> Int64 {
                try await workers.create(
                    .init(
                        districtId: f.districtId,
                        role: role,
                        name: name,
                        phone: nil,
                        centreId: role == .partyMember ? nil : f.centreId,
                        hospitalId: nil,
                        areaId: role == .partyMember ? f.communityId : nil
                    ),
                    logger: quiet
                ).id
            }
            let secondDoctor = try await worker(.doctor, "周医生")
            _ = try await TeamStore(db).create(
                centreId: f.centreId,
                name: "第二团队",
                members: [
                    .init(workerId: secondDoctor, role: .doctor), .init(workerId: try await worker(.nurse, "吴护士"), role: .nurse),
                    .init(workerId: try await worker(.partyMember, "郑书记"), role: .partyMember),
                    .init(workerId: f.gridWorkerIds[2], role: .gridWorker),
                ],
                microGridIds: [
                    try await AreaStore(db).create(
                        level: .microGrid,
                        parentId: f.gridId,
                        name: "第1-4微网格",
                        code: nil,
                        institution: nil,
                        logger: quiet
                    ).id
                ],
                logger: quiet
            )
            let colleague = try await centreStaffToken(db, worker: secondDoctor, username: "doctor-second")

            let slip = try await s.write(p.inside.id)  // sent by the resident's team's doctor
            for (name, token) in [("nurse", nurse), ("the other team's doctor", colleague)] {
                #expect(try await client.call(.get, "/v1/referrals/\(slip.id)", token: token).0 == .ok, "\(name)")
                expectForbidden(
                    try await client.call(.post, "/v1/referrals/\(slip.id)/actions", json: ["action": "cancel"], token: token),
                    "\(name) cancel"
                )
            }
            try await s.act(slip.id, "receive", as: .hospitalStaff)
            try await s.act(slip.id, "decline", as: .hospitalStaff, ["note": "本院无床位"])
            for (name, token) in [("nurse", nurse), ("the other team's doctor", colleague)] {
                expectForbidden(
                    try await client.call(.post, "/v1/referrals/\(slip.id)/actions", json: ["action": "close"], token: token),
                    "\(name) close"
                )
            }
            #expect(try await client.call(.get, "/v1/referrals/\(slip.id)").1["status"] as? String == "declined")
            // Another centre does not see the slip at all.
            let east = try await OtherCentre.make(db, f).doctorToken
            let missing = try await client.raw(.post, "/v1/referrals/999999/actions", json: ["action": "cancel"], token: east)
            let foreign = try await client.raw(.post, "/v1/referrals/\(slip.id)/actions", json: ["action": "cancel"], token: east)
            #expect(foreign.0 == .notFound && foreign.1 == missing.1)
            // The team's doctor closes it.
            #expect(try await s.act(slip.id, "close", as: .centreStaff)["status"] as? String == "closed")

            // A draft: the nurse cannot send or cancel it; an administrator may cancel it.
            let draft = try await s.write(p.inside.id, send: false)
            expectForbidden(try await client.call(.post, "/v1/referrals/\(draft.id)/actions", json: ["action": "send"], token: nurse), "nurse send")
            #expect(try await s.act(draft.id, "cancel", as: .admin)["status"] as? String == "cancelled")
        }
    }
}
