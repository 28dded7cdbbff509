import Foundation
import GridcareCore
import GridcareServer
import GridcareStore
import GridcareTestSupport
import HTTPTypes
import HummingbirdTesting
import Testing

/// Helpers for slips: write one as the team's doctor and move it as a given party.
struct Slips: Sendable {
    let client: any TestClientProtocol
    let f: Fixture
    let users: TestUsers

    func write(_ resident: Int64, urgency: String = "routine", send: Bool = true, reason: String = "血压控制不佳，需专科调整用药") async throws -> [String: Any] {
        let (status, slip, _) = try await client.call(
            .post,
            "/v1/referrals",
            json: [
                "residentId": resident, "hospitalId": f.hospitalId, "department": "心内科", "urgency": urgency,
                "reason": reason, "diagnosis": "高血压3级", "send": send,
            ],
            token: users[.centreStaff]
        )
        #expect(status == .created, "\(slip)")
        return slip
    }

    @discardableResult
    func act(
        _ id: Int64,
        _ action: String,
        as role: Role,
        _ extra: [String: Any] = [:],
        expect expected: HTTPResponse.Status = .ok
    ) async throws -> [String: Any] {
        var body = extra
        body["action"] = action
        let (status, answer, _) = try await client.call(.post, "/v1/referrals/\(id)/actions", json: body, token: users[role])
        #expect(status == expected, "\(action) as \(role): \(answer)")
        return answer
    }
}

/// A second designated hospital of the fixture's district, with a user of its own.
func otherHospitalToken(_ db: Database, _ f: Fixture) async throws -> String {
    let hospital = try await FacilityStore(db).create(
        .init(
            kind: .hospital,
            areaId: f.districtId,
            centreId: nil,
            name: "第二人民医院",
            address: nil,
            latitude: 30.68,
            longitude: 104.08,
            timeZone: nil
        ),
        logger: quiet
    )
    let user = try await UserStore(db).add(
        .init(username: "hospital2", role: .hospitalStaff, password: TestUsers.password, hospitalId: hospital.id),
        bcryptCost: 4,
        logger: quiet
    )
    return try await TestUsers.token(for: user.id, db)
}

@Suite struct ReferralLoopTests {
    @Test func aSlipGoesUpToTheHospitalAndComesBackDownUntilTheLoopCloses() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            let s = Slips(client: client, f: f, users: users)
            let doctor = users[.centreStaff]
            let hospital = users[.hospitalStaff]
            let grid = users[.gridWorker]
            _ = try await client.call(
                .post,
                "/v1/residents/\(p.inside.id)/readings",
                // Today's, so its own follow-up is not due a day before the discharge's (the list shows the earliest).
                json: ["measuredAt": earlierToday(minus: 3600), "systolic": 186, "diastolic": 112],
                token: doctor
            )
            let draft = try await s.write(p.inside.id, send: false)
            #expect(draft["status"] as? String == "draft")
            let year = SimpleDate.todayInChina().year
            #expect(draft["number"] as? String == "C\(f.centreId)-\(year)-000001")
            #expect(draft["allowedActions"] as? [String] == ["send", "cancel"])
            let patient = draft["patient"] as? [String: Any] ?? [:]
            #expect(patient["name"] as? String == p.inside.name)
            #expect((patient["idNumberMasked"] as? String)?.contains("*") == true)
            let vitals = draft["vitals"] as? [[String: Any]] ?? []
            #expect(vitals.count == 1 && vitals.first?["systolic"] as? Int == 186)

            // A draft is the team's own: the hospital neither lists nor reads it.
            #expect(try await client.call(.get, "/v1/referrals", token: hospital).1.items.isEmpty)
            #expect(try await client.call(.get, "/v1/referrals/\(draft.id)", token: hospital).0 == .notFound)

            try await s.act(draft.id, "send", as: .centreStaff)
            let inbox = try await client.call(.get, "/v1/referrals?open=true", token: hospital).1.items
            #expect(inbox.map(\.id) == [draft.id])
            #expect(inbox.first?["acknowledgeBy"] != nil)
            try await s.act(draft.id, "receive", as: .hospitalStaff)
            try await s.act(draft.id, "accept", as: .hospitalStaff, ["note": "收入心内科"])
            try await s.act(draft.id, "admit", as: .hospitalStaff)
            let discharged = try await s.act(
                draft.id,
                "discharge",
                as: .hospitalStaff,
                [
                    "plan": [
                        "instructions": "低盐饮食，每日监测血压", "medication": "氨氯地平 5mg qd",
                    ]
                ]
            )
            #expect(discharged["status"] as? String == "discharged_down")
            let plan = discharged["plan"] as? [String: Any] ?? [:]
            #expect(plan["followUpBy"] as? String == SimpleDate.todayInChina().adding(days: 14).iso)

            // The grid worker gets the notice; the team gets a due follow-up.
            let notices = try await client.call(.get, "/v1/alerts", token: grid).1.items.filter {
                ($0["referralId"] as? NSNumber)?.int64Value == draft.id
            }
            #expect(notices.count == 1 && notices.first?["suggestsGreenChannel"] as? Bool == false)
            let due = try await client.call(
                .get,
                "/v1/teams/\(f.teamId)/due-visits?until=\(SimpleDate.todayInChina().adding(days: 30).iso)",
                token: doctor
            ).1.items
            #expect(due.contains { $0.residentId == p.inside.id && $0["rule"] as? String == "follow_up_after_discharge" })

            let followed = try await s.act(draft.id, "follow_up", as: .centreStaff, ["note": "上门随访，血压 138/86"])
            #expect(followed["status"] as? String == "follow_up_done")
            let service = (followed["followUpServiceId"] as? NSNumber)?.int64Value
            #expect(service != nil)
            let sheet = try await client.call(.get, "/v1/residents/\(p.inside.id)/case-sheet", token: doctor).1
            let services = sheet["services"] as? [[String: Any]] ?? []
            #expect(services.contains { $0.id == service && $0["visit"] as? String == "doctor_follow_up" })
            let dueAfter = try await client.call(
                .get,
                "/v1/teams/\(f.teamId)/due-visits?until=\(SimpleDate.todayInChina().adding(days: 30).iso)",
                token: doctor
            ).1.items
            #expect(!dueAfter.contains { $0.residentId == p.inside.id && $0["rule"] as? String == "follow_up_after_discharge" })

            let closed = try await s.act(draft.id, "close", as: .centreStaff)
            #expect(closed["status"] as? String == "closed")
            #expect(closed["allowedActions"] as? [String] == [])
            let (_, full, _) = try await client.call(.get, "/v1/referrals/\(draft.id)", token: doctor)
            let history = full["history"] as? [[String: Any]] ?? []
            #expect(
                history.compactMap { $0["action"] as? String } == ["create", "send", "receive", "accept", "admit", "discharge", "follow_up", "close"]
            )
            #expect(
                history.compactMap { $0["username"] as? String } == [
                    "doctor", "doctor", "hospital", "hospital", "hospital", "hospital", "doctor", "doctor",
                ]
            )
            #expect(history.compactMap { $0["to"] as? String }.last == "closed")

            let (_, report, _) = try await client.call(.get, "/v1/reports/referrals", token: users[.districtManager])
            let byHospital = report["byHospital"] as? [[String: Any]] ?? []
            #expect(byHospital.count == 1)
            #expect(byHospital.first?["loopClosureRate"] as? Double == 1.0)
            #expect(byHospital.first?["closedLoops"] as? Int == 1)
            let medians = byHospital.first?["medianHours"] as? [String: Double] ?? [:]
            #expect(Set(medians.keys) == ["acknowledge", "decide", "admit", "stay", "follow_up", "close"])
            #expect((report["byCentre"] as? [[String: Any]])?.first?["facilityName"] as? String == "石桥社区卫生服务中心")
        }
    }

    @Test func eachPartyMovesOnlyItsOwnStepsAndIllegalStepsNameWhatMayComeNext() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            let s = Slips(client: client, f: f, users: users)
            let slip = try await s.write(p.inside.id)
            #expect(slip["status"] as? String == "sent")
            // The team cannot receive; the hospital cannot cancel (both legal in this state, wrong party).
            try await s.act(slip.id, "receive", as: .centreStaff, expect: .forbidden)
            try await s.act(slip.id, "cancel", as: .hospitalStaff, expect: .forbidden)
            let refused = try await s.act(slip.id, "admit", as: .hospitalStaff, expect: .conflict)
            #expect(refused["allowed"] as? [String] == ["receive", "cancel"])
            #expect(refused.field == "action")
            try await s.act(slip.id, "receive", as: .hospitalStaff)
            // Declining says why.
            let missingReason = try await s.act(slip.id, "decline", as: .hospitalStaff, expect: .unprocessableContent)
            #expect(missingReason.field == "note")
            let declined = try await s.act(slip.id, "decline", as: .hospitalStaff, ["note": "本院无床位，建议转市三医院"])
            #expect(declined["declineReason"] as? String == "本院无床位，建议转市三医院")
            #expect(declined["allowedActions"] as? [String] == ["close", "cancel"])
            try await s.act(slip.id, "close", as: .centreStaff)
            let after = try await s.act(slip.id, "cancel", as: .centreStaff, expect: .conflict)
            #expect(after["allowed"] as? [String] == [])

            // A nurse of the centre is not the resident's doctor: she may not write a slip.
            let nurse = try await nurseToken(db, f)
            let (byNurse, _, _) = try await client.call(
                .post,
                "/v1/referrals",
                json: [
                    "residentId": p.inside.id, "hospitalId": f.hospitalId, "urgency": "routine", "reason": "x", "diagnosis": "y",
                ],
                token: nurse
            )
            #expect(byNurse == .forbidden)
            // The hospital must be a designated hospital; the resident one the doctor sees.
            let (notHospital, problem, _) = try await client.call(
                .post,
                "/v1/referrals",
                json: [
                    "residentId": p.inside.id, "hospitalId": f.stationId, "urgency": "routine", "reason": "x", "diagnosis": "y",
                ],
                token: users[.centreStaff]
            )
            #expect(notHospital == .unprocessableContent && problem.field == "hospitalId")
            let (foreign, foreignProblem, _) = try await client.call(
                .post,
                "/v1/referrals",
                json: [
                    "residentId": p.outsideGrid.id, "hospitalId": f.hospitalId, "urgency": "routine", "reason": "x", "diagnosis": "y",
                ],
                token: users[.centreStaff]
            )
            #expect(foreign == .unprocessableContent && foreignProblem.field == "residentId")
        }
    }

    @Test func aDischargeNeedsAPlanWithinTheFollowUpWindow() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            let s = Slips(client: client, f: f, users: users)
            let slip = try await s.write(p.inside.id, urgency: "green_channel")
            for action in ["receive", "accept", "admit"] { try await s.act(slip.id, action, as: .hospitalStaff) }
            #expect(try await s.act(slip.id, "discharge", as: .hospitalStaff, expect: .unprocessableContent).field == "plan")
            let late = SimpleDate.todayInChina().adding(days: 15).iso
            let tooLate = try await s.act(
                slip.id,
                "discharge",
                as: .hospitalStaff,
                ["plan": ["instructions": "复查", "followUpBy": late]],
                expect: .unprocessableContent
            )
            #expect(tooLate.field == "plan.followUpBy")
            #expect(
                try await s.act(slip.id, "receive", as: .hospitalStaff, ["plan": ["instructions": "x"]], expect: .unprocessableContent).field
                    == "plan"
            )
            let soon = SimpleDate.todayInChina().adding(days: 3).iso
            let done = try await s.act(slip.id, "discharge", as: .hospitalStaff, ["plan": ["instructions": "三天后复查血糖", "followUpBy": soon]])
            #expect((done["plan"] as? [String: Any])?["followUpBy"] as? String == soon)
            // Nothing was half-applied by the refused attempts: one discharge event, one notice.
            let events = try await db.client.query("SELECT count(*) FROM referral_event WHERE referral_id = \(slip.id) AND action = 'discharge'")
                .decode(Int.self).all()
            let notices = try await db.client.query("SELECT count(*) FROM alert WHERE referral_id = \(slip.id)").decode(Int.self).all()
            #expect(events == [1] && notices == [1])
        }
    }
}

@Suite struct ReferralScopeTests {
    @Test func aHospitalSeesOnlyTheSlipsSentToIt() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            let s = Slips(client: client, f: f, users: users)
            let slip = try await s.write(p.inside.id)
            let other = try await otherHospitalToken(db, f)
            #expect(try await client.call(.get, "/v1/referrals", token: other).1.items.isEmpty)
            let missing = try await client.raw(.get, "/v1/referrals/999999", token: other)
            for path in ["/v1/referrals/\(slip.id)", "/v1/referrals/\(slip.id)/slip", "/v1/referrals/\(slip.id)/fhir"] {
                let answer = try await client.raw(.get, path, token: other)
                #expect(answer.0 == .notFound && answer.1 == missing.1, "\(path)")
            }
            let act = try await client.raw(.post, "/v1/referrals/\(slip.id)/actions", json: ["action": "receive"], token: other)
            #expect(act.0 == .notFound)
            #expect(try await client.call(.get, "/v1/overdue-referrals", token: other).1.items.isEmpty)
            // The addressed hospital sees it, but not the registry behind it.
            #expect(try await client.call(.get, "/v1/referrals/\(slip.id)", token: users[.hospitalStaff]).0 == .ok)
            #expect(try await client.call(.get, "/v1/residents/\(p.inside.id)", token: users[.hospitalStaff]).0 == .forbidden)
            // Every read of the slip is audited with its resident.
            let audited = try await db.client.query(
                """
                SELECT count(*) FROM audit_event WHERE resident_id = \(p.inside.id) AND operation = 'getReferral' AND outcome = 'ok'
                """
            ).decode(Int.self).all()
            #expect(audited == [1])
        }
    }

    @Test func writingTheSameSlipTwiceWithOneKeyWritesOne() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            let key = HTTPField.Name("Idempotency-Key")!
            let body: [String: Any] = [
                "residentId": p.inside.id, "hospitalId": f.hospitalId, "urgency": "urgent", "reason": "胸痛", "diagnosis": "不稳定心绞痛?",
            ]
            let (a, first, _) = try await client.call(.post, "/v1/referrals", json: body, headers: [key: "slip-1"], token: users[.centreStaff])
            let (b, second, headers) = try await client.call(.post, "/v1/referrals", json: body, headers: [key: "slip-1"], token: users[.centreStaff])
            #expect(a == .created && b == .created && first.id == second.id)
            #expect(headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            let count = try await db.client.query("SELECT count(*) FROM referral").decode(Int.self).all()
            #expect(count == [1])
        }
    }
}

@Suite struct ReferralConcurrencyTests {
    @Test func manyDoctorsWritingAtOnceGetConsecutiveDistinctNumbers() async throws {
        try await withScopedAPI(config: concurrencyConfig(), poolSize: 8) { client, f, users, db in
            let p = try await Placed.make(db, f)
            let s = Slips(client: client, f: f, users: users)
            let numbers = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<24 { group.addTask { try await s.write(p.inside.id)["number"] as? String } }
                return try await group.reduce(into: [String]()) { if let n = $1 { $0.append(n) } }
            }
            let year = SimpleDate.todayInChina().year
            #expect(numbers.sorted() == (1...24).map { ReferralRules.number(centre: f.centreId, year: year, sequence: $0) })
        }
    }

    @Test func oneReceiptWinsWhenTheHospitalClicksTwelveTimes() async throws {
        try await withScopedAPI(config: concurrencyConfig(), poolSize: 8) { client, f, users, db in
            let p = try await Placed.make(db, f)
            let s = Slips(client: client, f: f, users: users)
            let id = try await s.write(p.inside.id).id
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<12 {
                    group.addTask {
                        try await client.call(.post, "/v1/referrals/\(id)/actions", json: ["action": "receive"], token: users[.hospitalStaff]).0
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .ok }.count == 1)
            #expect(statuses.filter { $0 == .conflict }.count == 11)
            let events = try await db.client.query("SELECT count(*) FROM referral_event WHERE referral_id = \(id) AND action = 'receive'")
                .decode(Int.self).all()
            #expect(events == [1])
        }
    }
}

@Suite struct ReferralTimelinessTests {
    @Test func lateAcknowledgementsAndFollowUpsAreListedWithHowLate() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            let s = Slips(client: client, f: f, users: users)
            let green = try await s.write(p.inside.id, urgency: "green_channel")
            let routine = try await s.write(p.inside.id, urgency: "routine")
            let home = try await s.write(p.inside.id, urgency: "urgent")
            for action in ["receive", "accept", "admit"] { try await s.act(home.id, action, as: .hospitalStaff) }
            try await s.act(home.id, "discharge", as: .hospitalStaff, ["plan": ["instructions": "随访"]])
            // Time passes (the owner moves the clocks back): both slips were sent three hours ago, the
            // patient came home 16 days ago with a follow-up due two days ago.
            try await db.client.query("UPDATE referral SET sent_at = now() - interval '3 hours' WHERE id IN (\(green.id), \(routine.id))")
            try await db.client.query(
                """
                UPDATE referral SET discharged_at = now() - interval '16 days', follow_up_by = (now() AT TIME ZONE 'Asia/Shanghai')::date - 2
                WHERE id = \(home.id)
                """
            )
            let (_, overdue, _) = try await client.call(.get, "/v1/overdue-referrals", token: users[.centreStaff])
            let late = Dictionary(uniqueKeysWithValues: overdue.items.map { ($0.id, $0) })
            #expect(Set(late.keys) == [green.id, home.id])
            #expect(late[green.id]?["stage"] as? String == "acknowledge")
            let greenLate = late[green.id]?["lateMinutes"] as? Int ?? 0
            #expect((59...61).contains(greenLate))
            #expect(late[home.id]?["stage"] as? String == "follow_up")
            #expect((late[home.id]?["lateMinutes"] as? Int ?? 0) >= 24 * 60)
            // The longest overdue comes first.
            #expect(overdue.items.first?.id == home.id)
            // The hospital sees its own late acknowledgements too.
            #expect(try await client.call(.get, "/v1/overdue-referrals", token: users[.hospitalStaff]).1.items.count == 2)
            let (_, report, _) = try await client.call(.get, "/v1/reports/referrals", token: users[.centreStaff])
            let figures = (report["byHospital"] as? [[String: Any]])?.first ?? [:]
            #expect(figures["sent"] as? Int == 3)
            #expect(figures["acknowledgedLate"] as? Int == 1)
            #expect(figures["openNow"] as? Int == 3)
            #expect(figures["loopClosureRate"] as? Double == 0)
        }
    }
}

@Suite struct ReferralExportTests {
    @Test func theSlipPrintsAsEscapedHTMLAndExportsAsFHIR() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            let s = Slips(client: client, f: f, users: users)
            let slip = try await s.write(p.inside.id, urgency: "green_channel", reason: "<script>alert(1)</script> 胸痛 & 气促")
            let (status, html) = try await client.raw(.get, "/v1/referrals/\(slip.id)/slip", token: users[.hospitalStaff])
            #expect(status == .ok)
            #expect(html.contains("双向转诊单") && html.contains(slip["number"] as! String) && html.contains("size: A4"))
            #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; 胸痛 &amp; 气促"))
            #expect(!html.contains("<script>"))
            let (fhirStatus, bundle, headers) = try await client.call(.get, "/v1/referrals/\(slip.id)/fhir", token: users[.centreStaff])
            #expect(fhirStatus == .ok)
            #expect(headers[.contentType]?.hasPrefix("application/fhir+json") == true)
            let resources = (bundle["entry"] as? [[String: Any]] ?? []).compactMap { $0["resource"] as? [String: Any] }
            let task = resources.first { $0["resourceType"] as? String == "Task" } ?? [:]
            let request = resources.first { $0["resourceType"] as? String == "ServiceRequest" } ?? [:]
            #expect(task["status"] as? String == "requested" && task["priority"] as? String == "stat")
            #expect((task["focus"] as? [String: Any])?["reference"] as? String == "ServiceRequest/referral-\(slip.id)")
            #expect((task["owner"] as? [String: Any])?["reference"] as? String == "Organization/\(f.hospitalId)")
            #expect((request["reasonCode"] as? [[String: Any]])?.first?["text"] as? String == "高血压3级")
            #expect((request["subject"] as? [String: Any])?["reference"] as? String == "Patient/\(p.inside.id)")
        }
    }
}
