import Foundation
import GridcareCore
import GridcareServer
import GridcareStore
import GridcareTestSupport
import HTTPTypes
import HummingbirdTesting
import Testing

func isoTime(_ date: Date) -> String { date.formatted(.iso8601) }
func now(minus seconds: Double = 0) -> String { isoTime(Date().addingTimeInterval(-seconds)) }

/// Up to `seconds` ago but never before midnight in China: a reading that must fall on today's date
/// (an hour ago is yesterday from 00:00 to 01:00 in Chengdu, 16:00 to 17:00 UTC).
func earlierToday(minus seconds: Double) -> String {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "Asia/Shanghai")!
    let midnight = calendar.startOfDay(for: Date())
    return isoTime(max(midnight, Date().addingTimeInterval(-seconds)))
}

/// A nurse of the fixture's centre (centre staff, but not the team's doctor).
func nurseToken(_ db: Database, _ f: Fixture) async throws -> String {
    let nurse = try await UserStore(db).add(
        .init(username: "nurse", role: .centreStaff, password: TestUsers.password, workerId: f.nurseId),
        bcryptCost: 4,
        logger: quiet
    )
    return try await TestUsers.token(for: nurse.id, db)
}

@Suite struct FlagTests {
    @Test func aGridWorkerRaisesADoctorDecidesAndTheHistoryKeepsWhoDidWhat() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            let grid = users[.gridWorker]
            let doctor = users[.centreStaff]
            let raise: [String: Any] = ["residentId": p.inside.id, "category": "living_alone", "tier": "red", "population": "key", "note": "独居老人"]
            let (created, flag, _) = try await client.call(.post, "/v1/flags", json: raise, token: grid)
            #expect(created == .created)
            #expect(flag["status"] as? String == "raised")
            // The same open flag twice is one flag.
            let (again, problem, _) = try await client.call(.post, "/v1/flags", json: raise, token: grid)
            #expect(again == .conflict && problem.field == "category")
            // A resident outside the grid worker's micro-grids reads as no resident at all.
            var foreign = raise
            foreign["residentId"] = p.outsideGrid.id
            var missing = raise
            missing["residentId"] = 999_999
            let f1 = try await client.raw(.post, "/v1/flags", json: foreign, token: grid)
            let f2 = try await client.raw(.post, "/v1/flags", json: missing, token: grid)
            #expect(f1.0 == .unprocessableContent && f1.1 == f2.1)
            // The raise, the duplicate and the unseen resident each leave their audit row (one call, 0039), newest first.
            let trail = { (id: Int64) in
                try await AuditLog(db).list(.init(residentId: id), page: try PageRequest(cursor: nil, limit: 50), logger: quiet).items
                    .filter { $0.operation == "raiseFlag" }.map { "\($0.action.rawValue) \($0.outcome.rawValue) \($0.detail ?? "")" }
            }
            #expect(try await trail(p.inside.id) == ["create refused flag already open", "create ok flag \(flag.id)"])
            #expect(try await trail(p.outsideGrid.id) == ["create denied flag"])

            // Only a doctor of the resident's team decides: not a grid worker (role), not the nurse (not the team's doctor).
            let decision = "/v1/flags/\(flag.id)/decision"
            #expect(try await client.call(.post, decision, json: ["action": "confirm"], token: grid).0 == .forbidden)
            #expect(try await client.call(.post, decision, json: ["action": "confirm"], token: try await nurseToken(db, f)).0 == .forbidden)
            #expect(try await client.call(.post, "/v1/flags/\(flag.id)/close", json: [:], token: grid).0 == .conflict)
            let (confirmed, decided, headers) = try await client.call(.post, decision, json: ["action": "confirm", "note": "核实"], token: doctor)
            #expect(confirmed == .ok && decided["status"] as? String == "confirmed")
            #expect(headers[.eTag] == "\"2\"")
            let (twice, twiceProblem, _) = try await client.call(.post, decision, json: ["action": "dismiss"], token: doctor)
            #expect(twice == .conflict && twiceProblem.field == "action" && twiceProblem["allowed"] as? [String] == ["close"])
            // A stale version loses nothing.
            #expect(
                try await client.call(.post, "/v1/flags/\(flag.id)/close", json: [:], headers: [.ifMatch: "\"1\""], token: grid).0
                    == .preconditionFailed
            )
            #expect(
                try await client.call(.post, "/v1/flags/\(flag.id)/close", json: ["note": "已入住养老院"], headers: [.ifMatch: "\"2\""], token: grid).0
                    == .ok
            )

            let (_, full, _) = try await client.call(.get, "/v1/flags/\(flag.id)", token: doctor)
            let history = full["history"] as? [[String: Any]] ?? []
            #expect(history.map { $0["action"] as? String } == ["raised", "confirmed", "closed"])
            #expect(history.map { $0["username"] as? String } == ["grid", "doctor", "grid"])
            // Closed, not deleted; and a closed category may be raised again.
            #expect(try await client.call(.post, "/v1/flags", json: raise, token: grid).0 == .created)
            let (_, open, _) = try await client.call(.get, "/v1/flags?residentId=\(p.inside.id)&open=true", token: grid)
            #expect(open.items.count == 1)
            let (_, all, _) = try await client.call(.get, "/v1/flags?residentId=\(p.inside.id)", token: grid)
            #expect(all.items.count == 2)
        }
    }

    @Test func racingGridWorkersRaiseOneFlag() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<12 {
                    group.addTask {
                        try await client.call(
                            .post,
                            "/v1/flags",
                            json: [
                                "residentId": p.inside.id, "category": "empty_nest", "tier": "yellow",
                                "population": "secondary",
                            ],
                            token: users[.gridWorker]
                        ).0
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == 1)
            #expect(statuses.filter { $0 == .conflict }.count == 11)
        }
    }
}

@Suite struct CaseSheetTests {
    /// Another grid's resident: the case sheet, a reading, a service and a flag answer exactly as for nobody.
    @Test func aForeignResidentsCareRecordsReadAsMissing() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            let doctor = users[.centreStaff]
            let (_, flag, _) = try await client.call(
                .post,
                "/v1/flags",
                json: [
                    "residentId": p.outsideGrid.id, "category": "other",
                    "tier": "green", "population": "secondary",
                ],
                token: users[.admin]
            )
            for (method, path, body) in [
                (HTTPRequest.Method.get, "case-sheet", nil as [String: Any]?),
                (.post, "readings", ["measuredAt": now(), "heartRate": 70]),
                (.post, "services", ["kind": "home_visit", "performedAt": now()]),
            ] {
                let foreign = try await client.raw(method, "/v1/residents/\(p.outsideGrid.id)/\(path)", json: body, token: doctor)
                let missing = try await client.raw(method, "/v1/residents/999999/\(path)", json: body, token: doctor)
                #expect(foreign.0.code >= 400 && foreign.0 == missing.0 && foreign.1 == missing.1, "\(path): \(foreign)")
            }
            let foreignFlag = try await client.raw(.get, "/v1/flags/\(flag.id)", token: doctor)
            let missingFlag = try await client.raw(.get, "/v1/flags/999999", token: doctor)
            #expect(foreignFlag.0 == .notFound && foreignFlag.1 == missingFlag.1)
        }
    }

    @Test func impossibleVitalsAreRefusedByField() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            let path = "/v1/residents/\(p.inside.id)/readings"
            for (body, field) in [
                (["systolic": 400, "diastolic": 90] as [String: Any], "systolic"), (["glucoseFasting": 0], "glucoseFasting"),
                (["systolic": 120], "diastolic"), ([:], "body"), (["spo2": 101], "spo2"),
            ] {
                var b = body
                b["measuredAt"] = now()
                let (status, problem, _) = try await client.call(.post, path, json: b, token: users[.centreStaff])
                #expect(status == .unprocessableContent, "\(body)")
                #expect(problem.field == field, "\(body)")
            }
            let (future, problem, _) = try await client.call(
                .post,
                path,
                json: ["measuredAt": isoTime(Date().addingTimeInterval(86_400)), "heartRate": 70],
                token: users[.centreStaff]
            )
            #expect(future == .unprocessableContent && problem.field == "measuredAt")
            let (_, sheet, _) = try await client.call(.get, "/v1/residents/\(p.inside.id)/case-sheet", token: users[.centreStaff])
            #expect((sheet["readings"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func anUrgentReadingAlertsTheTeamAndTheGridWorkerAndAsksForAFollowUp() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            let doctor = users[.centreStaff]
            let grid = users[.gridWorker]
            let (status, outcome, _) = try await client.call(
                .post,
                "/v1/residents/\(p.inside.id)/readings",
                json: ["measuredAt": now(), "glucoseRandom": 30.0],
                token: doctor
            )
            #expect(status == .created)
            let alert = try #require(outcome["alert"] as? [String: Any])
            #expect(alert["suggestsGreenChannel"] as? Bool == true)
            #expect((alert["reason"] as? String)?.contains("随机血糖 30.0 mmol/L") == true)
            #expect((alert["teamId"] as? NSNumber)?.int64Value == f.teamId)
            let followUp = try #require(outcome["followUp"] as? [String: Any])
            #expect(followUp["dueBy"] as? String == SimpleDate.todayInChina().adding(days: 14).iso)

            // An uncontrolled reading asks for a follow-up but raises no alert; a normal one does neither.
            let (_, uncontrolled, _) = try await client.call(
                .post,
                "/v1/residents/\(p.inside.id)/readings",
                json: ["measuredAt": now(), "systolic": 150, "diastolic": 95],
                token: doctor
            )
            #expect(uncontrolled["alert"] == nil && uncontrolled["followUp"] != nil)
            let (_, normal, _) = try await client.call(
                .post,
                "/v1/residents/\(p.inside.id)/readings",
                json: ["measuredAt": now(), "systolic": 120, "diastolic": 80, "heartRate": 70],
                token: doctor
            )
            #expect(normal["alert"] == nil && normal["followUp"] == nil)

            // The micro-grid's worker sees the alert (to contact the family); a worker of another grid does not.
            let (_, gridAlerts, _) = try await client.call(.get, "/v1/alerts", token: grid)
            #expect(gridAlerts.items.map(\.id) == [alert.id])
            let other = try await Placed.otherGridWorker(db, f)
            let (_, otherAlerts, _) = try await client.call(.get, "/v1/alerts", token: other)
            #expect(otherAlerts.items.isEmpty)
            #expect(try await client.call(.post, "/v1/alerts/\(alert.id)/acknowledge", token: other).0 == .notFound)

            #expect(try await client.call(.post, "/v1/alerts/\(alert.id)/acknowledge", token: grid).0 == .ok)
            let (twice, problem, _) = try await client.call(.post, "/v1/alerts/\(alert.id)/acknowledge", token: grid)
            #expect(twice == .conflict && problem.field == "action" && problem["allowed"] as? [String] == ["close"])
            let (_, sheet, _) = try await client.call(.get, "/v1/residents/\(p.inside.id)/case-sheet", token: doctor)
            #expect((sheet["alerts"] as? [[String: Any]])?.first?["status"] as? String == "acknowledged")
            #expect((sheet["followUps"] as? [Any])?.count == 2)
            #expect((sheet["readings"] as? [Any])?.count == 3)
            let (closed, closedAlert, _) = try await client.call(.post, "/v1/alerts/\(alert.id)/close", token: doctor)
            #expect(closed == .ok && closedAlert["status"] as? String == "closed")
            let (_, after, _) = try await client.call(.get, "/v1/alerts", token: grid)
            #expect(after.items.isEmpty)
        }
    }

    @Test func openAlertsHeadTheAlertList() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            let second = try await ResidentStore(db).create(Fixture.residentDraft(household: f.householdIds[1], n: 801), logger: quiet)
            var ids: [Int64] = []
            for r in [p.inside.id, second.id] {
                let (_, o, _) = try await client.call(
                    .post,
                    "/v1/residents/\(r)/readings",
                    json: ["measuredAt": now(), "systolic": 200, "diastolic": 120],
                    token: users[.centreStaff]
                )
                ids.append((o["alert"] as! [String: Any]).id)
            }
            // Acknowledged with what was done: the note stays with the alert; an overlong one is refused.
            let long = String(repeating: "长", count: 1001)
            let (tooLong, problem, _) = try await client.call(
                .post,
                "/v1/alerts/\(ids[0])/acknowledge",
                json: ["note": long],
                token: users[.gridWorker]
            )
            #expect(tooLong == .badRequest || (tooLong == .unprocessableContent && problem.field == "note"))
            let (acked, alert, _) = try await client.call(
                .post,
                "/v1/alerts/\(ids[0])/acknowledge",
                json: ["note": "已电话联系家属，女儿陪同就医"],
                token: users[.gridWorker]
            )
            #expect(acked == .ok && alert["acknowledgeNote"] as? String == "已电话联系家属，女儿陪同就医" && alert["status"] as? String == "acknowledged")
            let (_, list, _) = try await client.call(.get, "/v1/alerts", token: users[.centreStaff])
            #expect(list.items.map(\.id) == [ids[1], ids[0]])
            #expect(list.items.last?["acknowledgeNote"] as? String == "已电话联系家属，女儿陪同就医")
        }
    }
}

@Suite struct DueVisitTests {
    func due(_ client: some TestClientProtocol, _ f: Fixture, token: String, until: SimpleDate? = nil) async throws -> [[String: Any]] {
        let query = until.map { "?until=\($0.iso)" } ?? ""
        let (status, list, _) = try await client.call(.get, "/v1/teams/\(f.teamId)/due-visits\(query)", token: token)
        #expect(status == .ok)
        return list.items
    }

    func rules(_ items: [[String: Any]], _ resident: Int64) -> [String] {
        items.filter { $0.residentId == resident }.compactMap { $0["rule"] as? String }.sorted()
    }

    @Test func rulesMakeVisitsDueAndRecordedServicesSatisfyThem() async throws {
        try await withScopedAPI { client, f, users, db in
            let today = SimpleDate.todayInChina()
            let doctor = users[.centreStaff]
            let grid = users[.gridWorker]
            // A 76-year-old with hypertension, signed with the team: a chronic follow-up and an annual check are due.
            let elder = try await ResidentStore(db).create(
                Fixture.residentDraft(household: f.householdIds[0], n: 901, conditions: [.hypertension]),
                logger: quiet
            )
            _ = try await ContractStore(db).sign(residentId: elder.id, teamId: f.teamId, startsOn: today.adding(days: -30), years: 1, logger: quiet)
            // A young resident without a contract or flag: nothing due.
            let young = try await ResidentStore(db).create(
                Fixture.residentDraft(
                    household: f.householdIds[0],
                    n: 902,
                    born: SimpleDate(year: 1990, month: 1, day: 1)!
                ),
                logger: quiet
            )
            var items = try await due(client, f, token: doctor)
            #expect(rules(items, elder.id) == ["annual_check", "chronic_follow_up"])
            #expect(rules(items, young.id).isEmpty)
            let chronic = items.first { $0.residentId == elder.id && $0["rule"] as? String == "chronic_follow_up" }!
            #expect(chronic["visit"] as? String == "doctor_follow_up")
            #expect(chronic["dueOn"] as? String == max(today.adding(days: -30), SimpleDate(year: today.year, month: 1, day: 1)!).iso)

            // A follow-up by phone does not count; a home visit does, and the next one is due in 91 days.
            var (status, problem, _) = try await client.call(
                .post,
                "/v1/residents/\(elder.id)/services",
                json: ["kind": "phone_consultation", "visit": "doctor_follow_up", "performedAt": now()],
                token: doctor
            )
            #expect(status == .unprocessableContent && problem.field == "visit")
            // A grid worker records welfare visits, not clinical ones.
            (status, _, _) = try await client.call(
                .post,
                "/v1/residents/\(elder.id)/services",
                json: ["kind": "home_visit", "visit": "doctor_follow_up", "performedAt": now()],
                token: grid
            )
            #expect(status == .forbidden)
            (status, _, _) = try await client.call(
                .post,
                "/v1/residents/\(elder.id)/services",
                json: ["kind": "home_visit", "visit": "doctor_follow_up", "performedAt": now(), "notes": "血压稳定"],
                token: doctor
            )
            #expect(status == .created)
            items = try await due(client, f, token: doctor)
            #expect(rules(items, elder.id) == ["annual_check"])
            items = try await due(client, f, token: doctor, until: today.adding(days: 120))
            let next = items.first { $0.residentId == elder.id && $0["rule"] as? String == "chronic_follow_up" }
            #expect(next?["dueOn"] as? String == today.adding(days: 91).iso)
            #expect(next?["lastDone"] as? String == today.iso)

            // An uncontrolled reading asks for a follow-up within two weeks; the doctor's next follow-up answers it.
            _ = try await client.call(
                .post,
                "/v1/residents/\(elder.id)/readings",
                json: ["measuredAt": now(), "systolic": 150, "diastolic": 92],
                token: doctor
            )
            items = try await due(client, f, token: doctor)
            #expect(rules(items, elder.id) == ["annual_check", "follow_up_after_reading"])
            _ = try await client.call(
                .post,
                "/v1/residents/\(elder.id)/services",
                json: ["kind": "clinic_visit", "visit": "doctor_follow_up", "performedAt": now()],
                token: doctor
            )
            #expect(rules(try await due(client, f, token: doctor), elder.id) == ["annual_check"])
        }
    }

    @Test func confirmedFlagsMakeWelfareAndHomeVisitsDueByTier() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            let doctor = users[.centreStaff]
            let grid = users[.gridWorker]
            let (_, flag, _) = try await client.call(
                .post,
                "/v1/flags",
                json: [
                    "residentId": p.inside.id, "category": "disabled_elderly",
                    "tier": "red", "population": "key",
                ],
                token: grid
            )
            // Raised but not confirmed: nothing is due yet.
            #expect(rules(try await due(client, f, token: grid), p.inside.id).isEmpty)
            _ = try await client.call(.post, "/v1/flags/\(flag.id)/decision", json: ["action": "confirm"], token: doctor)
            var items = try await due(client, f, token: grid)
            #expect(rules(items, p.inside.id) == ["disabled_elderly_home_visit", "welfare_visit"])
            #expect(items.filter { $0.residentId == p.inside.id }.allSatisfy { $0["tier"] as? String == "red" })

            // The grid worker's visit (a call counts) satisfies the welfare visit; red comes round again in 7 days.
            let (recorded, _, _) = try await client.call(
                .post,
                "/v1/residents/\(p.inside.id)/services",
                json: ["kind": "phone_consultation", "visit": "welfare_visit", "performedAt": now()],
                token: grid
            )
            #expect(recorded == .created)
            items = try await due(client, f, token: grid, until: SimpleDate.todayInChina().adding(days: 6))
            #expect(rules(items, p.inside.id) == ["disabled_elderly_home_visit"])
            items = try await due(client, f, token: grid, until: SimpleDate.todayInChina().adding(days: 7))
            #expect(rules(items, p.inside.id) == ["disabled_elderly_home_visit", "welfare_visit"])

            // My residents: the flagged resident with an open alert comes first.
            _ = try await client.call(
                .post,
                "/v1/residents/\(p.inside.id)/readings",
                json: ["measuredAt": now(), "systolic": 185, "diastolic": 100],
                token: doctor
            )
            let (_, mine, _) = try await client.call(.get, "/v1/me/residents", token: grid)
            let first = try #require(mine.items.first)
            #expect(first["residentId"] as? NSNumber == NSNumber(value: p.inside.id))
            #expect(first["openAlerts"] as? Int == 1 && first["tier"] as? String == "red")
            #expect((first["due"] as? [Any])?.isEmpty == false)
            // A team the caller cannot see answers 404, like a missing one.
            let foreign = try await client.raw(.get, "/v1/teams/\(p.otherFixture.teamId)/due-visits", token: grid)
            let missing = try await client.raw(.get, "/v1/teams/999999/due-visits", token: grid)
            #expect(
                foreign.0 == .notFound && foreign.1.replacingOccurrences(of: "team", with: "") == missing.1.replacingOccurrences(of: "team", with: "")
            )
        }
    }
    @Test func aRedFlagPastTheTwoHundredthOpenFlagStillLeadsMyResidents() async throws {
        try await withScopedAPI { client, f, users, db in
            let grid = users[.gridWorker]
            func raise(_ resident: Int64, tier: String) async throws -> Int64 {
                let body: [String: Any] = ["residentId": resident, "category": "living_alone", "tier": tier, "population": "secondary"]
                let (status, flag, _) = try await client.call(.post, "/v1/flags", json: body, token: grid)
                #expect(status == .created)
                return flag.id
            }
            let born = SimpleDate(year: 1940, month: 1, day: 1)!
            for i in 0..<201 {
                let r = try await ResidentStore(db).create(
                    Fixture.residentDraft(household: f.householdIds[0], n: 300, born: born.adding(days: i)),
                    logger: quiet
                )
                _ = try await raise(r.id, tier: "green")
            }
            // The last flag raised, by id past the 200 a page of flags holds, is the one that is red.
            let last = try await ResidentStore(db).create(Fixture.residentDraft(household: f.householdIds[0], n: 301), logger: quiet)
            let flag = try await raise(last.id, tier: "red")
            _ = try await client.call(.post, "/v1/flags/\(flag)/decision", json: ["action": "confirm"], token: users[.centreStaff])
            let (_, mine, _) = try await client.call(.get, "/v1/me/residents", token: grid)
            let first = try #require(mine.items.first)
            #expect(first.residentId == last.id && first["tier"] as? String == "red")
        }
    }
    @Test func anAlertedResidentWithNothingDueLeadsMyResidentsAndOnlyThoseShownAreAudited() async throws {
        try await withScopedAPI { client, f, users, db in
            // A young adult without a contract: no visit rule makes anything due, no flag is raised.
            let young = try await ResidentStore(db).create(
                Fixture.residentDraft(household: f.householdIds[0], n: 400, born: SimpleDate(year: 1995, month: 5, day: 5)!),
                logger: quiet
            )
            let (reading, _, _) = try await client.call(
                .post,
                "/v1/residents/\(young.id)/readings",
                json: ["measuredAt": now(), "glucoseFasting": 30.0],
                token: users[.centreStaff]
            )
            #expect(reading == .created)
            // Another resident with an open flag: weighed for the list, but behind the alert, so not shown.
            let flagged = try await ResidentStore(db).create(Fixture.residentDraft(household: f.householdIds[0], n: 401), logger: quiet)
            let (raised, _, _) = try await client.call(
                .post,
                "/v1/flags",
                json: ["residentId": flagged.id, "category": "living_alone", "tier": "red", "population": "key"],
                token: users[.gridWorker]
            )
            #expect(raised == .created)
            let before = try #require(
                try await db.client.query("SELECT coalesce(max(id), 0) FROM audit_event").decode(Int64.self).all().first
            )
            let (status, mine, _) = try await client.call(.get, "/v1/me/residents?limit=1", token: users[.gridWorker])
            #expect(status == .ok && mine.items.count == 1)
            let first = try #require(mine.items.first)
            #expect(first.residentId == young.id && first["openAlerts"] as? Int == 1)
            // The audit trail names exactly the residents returned, not every one whose flags or visits were weighed.
            let audited = try await db.client.query(
                "SELECT DISTINCT resident_id FROM audit_event WHERE id > \(before) AND resident_id IS NOT NULL ORDER BY 1"
            ).decode(Int64.self).all()
            #expect(audited == [young.id])
            let (_, both, _) = try await client.call(.get, "/v1/me/residents?limit=2", token: users[.gridWorker])
            #expect(both.items.map(\.residentId) == [young.id, flagged.id])
        }
    }
}

extension [String: Any] {
    var residentId: Int64 { (self["residentId"] as? NSNumber)?.int64Value ?? -1 }
}
