import Foundation
import GridcareCore
import GridcareServer
import GridcareStore
import GridcareTestSupport
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite struct RoundsAPITests {
    /// Three bedbound hypertensive residents under contract, never followed up: due (overdue) home follow-ups.
    func bedbound(_ db: Database, _ f: Fixture) async throws -> [Resident] {
        var residents: [Resident] = []
        for n in 0..<3 {
            let r = try await ResidentStore(db).create(
                Fixture.residentDraft(
                    household: f.householdIds[n % 2],
                    n: 200 + n,
                    name: "卧床老人\(n)",
                    conditions: [.hypertension, .bedbound]
                ),
                logger: quiet
            )
            _ = try await ContractStore(db).sign(
                residentId: r.id,
                teamId: f.teamId,
                startsOn: SimpleDate.todayInChina().adding(days: -120),
                years: 1,
                logger: quiet
            )
            residents.append(r)
        }
        return residents
    }

    @Test func aTeamPlansItsWeekMarksVisitsAndReplansKeepingWhatIsDone() async throws {
        try await withScopedAPI { client, f, users, db in
            let residents = try await bedbound(db, f)
            let doctor = users[.centreStaff]
            // The grid worker knows the first one is only in on weekday mornings.
            let (set, _, _) = try await client.call(
                .put,
                "/v1/residents/\(residents[0].id)/availability",
                json: ["from": "09:00", "to": "11:00", "note": "下午去女儿家"],
                token: users[.gridWorker]
            )
            #expect(set == .ok)
            let week = ISOWeek(containing: SimpleDate.todayInChina().adding(days: 7)).description
            let (status, plan, _) = try await client.call(
                .post,
                "/v1/teams/\(f.teamId)/rounds-plans",
                json: ["week": week, "seconds": 0.3],
                token: doctor
            )
            #expect(status == .created, "\(plan)")
            #expect(plan["saved"] as? Bool == true && plan["week"] as? String == week)
            let routes = plan["routes"] as? [[String: Any]] ?? []
            let stops = routes.flatMap { $0["stops"] as? [[String: Any]] ?? [] }
            #expect(Set(stops.compactMap { ($0["residentId"] as? NSNumber)?.int64Value }) == Set(residents.map(\.id)))
            #expect((plan["unplanned"] as? [Any])?.isEmpty == true)
            let morning = stops.first { ($0["residentId"] as? NSNumber)?.int64Value == residents[0].id }
            let arrive = (morning?["arrive"] as? String).flatMap(ClinicStore.parseTime) ?? 0
            #expect(arrive >= 540 && arrive <= 630, "\(String(describing: morning))")

            let (_, saved, _) = try await client.call(.get, "/v1/rounds-plans/\(plan.id)", token: doctor)
            let visits = (saved["routes"] as? [[String: Any]] ?? []).flatMap { $0["stops"] as? [[String: Any]] ?? [] }
            #expect(visits.count == 3 && visits.allSatisfy { $0["status"] as? String == "planned" })
            let (calendarStatus, ics) = try await client.raw(.get, "/v1/rounds-plans/\(plan.id)/calendar", token: doctor)
            #expect(calendarStatus == .ok && ics.hasPrefix("BEGIN:VCALENDAR") && ics.components(separatedBy: "BEGIN:VEVENT").count == 4)

            func id(_ v: [String: Any]) -> Int64 { (v["plannedVisitId"] as? NSNumber)?.int64Value ?? -1 }
            let done = visits.first { ($0["residentId"] as? NSNumber)?.int64Value == residents[1].id }!
            let missed = visits.first { ($0["residentId"] as? NSNumber)?.int64Value == residents[2].id }!
            let (doneStatus, doneVisit, _) = try await client.call(
                .post,
                "/v1/planned-visits/\(id(done))/status",
                json: ["action": "done", "notes": "血压 150/90"],
                token: doctor
            )
            #expect(doneStatus == .ok && doneVisit["status"] as? String == "done", "\(doneVisit)")
            let (markedAgain, refusal, _) = try await client.call(
                .post,
                "/v1/planned-visits/\(id(done))/status",
                json: ["action": "missed"],
                token: doctor
            )
            #expect(markedAgain == .conflict && refusal.field == "action" && refusal["allowed"] as? [String] == [])
            // The refusal is on the audit trail with the resident, like every machine's.
            let refused = try await db.client.query(
                """
                SELECT count(*)::int FROM audit_event WHERE detail = \("planned visit \(id(done)) missed") AND outcome = 'refused' AND resident_id IS NOT NULL
                """
            ).decode(Int.self).all()
            #expect(refused == [1])
            #expect(try await client.call(.post, "/v1/planned-visits/\(id(missed))/status", json: ["action": "missed"], token: doctor).0 == .ok)
            let sheet = try await client.call(.get, "/v1/residents/\(residents[1].id)/case-sheet", token: doctor).1
            #expect(
                (sheet["services"] as? [[String: Any]] ?? []).contains {
                    $0["kind"] as? String == "home_visit" && $0["visit"] as? String == "doctor_follow_up"
                }
            )

            // Re-planning the week keeps the done visit and plans the missed one again.
            let (_, again, _) = try await client.call(
                .post,
                "/v1/teams/\(f.teamId)/rounds-plans",
                json: ["week": week, "seconds": 0.3],
                token: doctor
            )
            #expect(again.id != plan.id)
            let (_, old, _) = try await client.call(.get, "/v1/rounds-plans/\(plan.id)", token: doctor)
            #expect(old["superseded"] as? Bool == true)
            let (_, current, _) = try await client.call(.get, "/v1/rounds-plans/\(again.id)", token: doctor)
            let now = (current["routes"] as? [[String: Any]] ?? []).flatMap { $0["stops"] as? [[String: Any]] ?? [] }
            #expect(now.contains { ($0["residentId"] as? NSNumber)?.int64Value == residents[1].id && $0["status"] as? String == "done" })
            #expect(now.contains { ($0["residentId"] as? NSNumber)?.int64Value == residents[2].id && $0["status"] as? String == "planned" })
            #expect(now.filter { ($0["residentId"] as? NSNumber)?.int64Value == residents[1].id }.count == 1)
        }
    }

    @Test func badWeeksAndForeignTeamsAreRefused() async throws {
        try await withScopedAPI { client, f, users, db in
            let other = try await Fixture.make(db, name: "别区")
            let doctor = users[.centreStaff]
            for bad in ["2026-W99", "2020-W10"] {
                let (status, problem, _) = try await client.call(.post, "/v1/teams/\(f.teamId)/rounds-plans", json: ["week": bad], token: doctor)
                #expect(status == .unprocessableContent && problem.field == "week", "\(bad)")
            }
            let week = ISOWeek(containing: SimpleDate.todayInChina().adding(days: 7)).description
            #expect(try await client.call(.post, "/v1/teams/\(other.teamId)/rounds-plans", json: ["week": week], token: doctor).0 == .notFound)
            let preview = try await client.call(
                .post,
                "/v1/teams/\(f.teamId)/rounds-plans",
                json: ["week": week, "save": false, "seconds": 0.1],
                token: doctor
            )
            #expect(preview.0 == .created && preview.1["saved"] as? Bool == false && preview.1["id"] == nil)
            // Another grid's resident and another district's worker answer like missing ones.
            let p = try await Placed.make(db, f)
            let window: [String: Any] = ["from": "09:00", "to": "11:00"]
            let missing = try await client.raw(.put, "/v1/residents/999999/availability", json: window, token: users[.gridWorker])
            let foreign = try await client.raw(.put, "/v1/residents/\(p.outsideGrid.id)/availability", json: window, token: users[.gridWorker])
            #expect(missing.0 == .notFound && foreign.0 == .notFound && foreign.1 == missing.1)
            let leave: [String: Any] = ["firstDay": "2026-12-01", "lastDay": "2026-12-02"]
            #expect(try await client.call(.post, "/v1/workers/\(other.doctorId)/leave", json: leave, token: doctor).0 == .notFound)
            #expect(
                try await client.call(
                    .put,
                    "/v1/care-teams/\(other.teamId)/members/\(other.doctorId)/rounds-days",
                    json: ["weekdays": [1]],
                    token: doctor
                ).0 == .notFound
            )
            let (late, lateProblem, _) = try await client.call(
                .put,
                "/v1/residents/999999/availability",
                json: ["from": "09:00", "to": "08:00"],
                token: users[.gridWorker]
            )
            #expect(late == .unprocessableContent && lateProblem.field == "to")
        }
    }

    @Test func leaveAndClinicSessionsTakeRoundsHoursAway() async throws {
        try await withScopedAPI { client, f, users, db in
            let doctor = users[.centreStaff]
            let week = ISOWeek(containing: SimpleDate.todayInChina().adding(days: 7))
            // The nurse is away Monday and Tuesday; the team sits a clinic on Wednesday 08:00–12:00.
            let (added, leave, _) = try await client.call(
                .post,
                "/v1/workers/\(f.nurseId)/leave",
                json: [
                    "firstDay": week.monday.iso, "lastDay": week.monday.adding(days: 1).iso, "reason": "培训",
                ],
                token: doctor
            )
            #expect(added == .created, "\(leave)")
            #expect(try await client.call(.get, "/v1/workers/\(f.nurseId)/leave", token: doctor).1.items.count == 1)
            let (badLeave, problem, _) = try await client.call(
                .post,
                "/v1/workers/\(f.nurseId)/leave",
                json: [
                    "firstDay": week.monday.iso, "lastDay": week.monday.adding(days: -1).iso,
                ],
                token: doctor
            )
            #expect(badLeave == .unprocessableContent && problem.field == "lastDay")
            let clinic: [String: Any] = [
                "stationId": f.stationId, "teamId": f.teamId, "weekday": 3, "startsAt": "08:00", "endsAt": "12:00",
                "slotMinutes": 30, "capacityPerSlot": 2, "validFrom": week.monday.iso,
            ]
            #expect(try await client.call(.post, "/v1/clinics", json: clinic, token: doctor).0 == .created)
            _ = try await ClinicStore(db).generate(
                from: week.monday,
                through: week.days[6],
                calendar: HolidayCalendar(),
                onHoliday: .cancel,
                logger: quiet
            )
            let caller = try #require(try await TokenStore(db).authenticate(doctor, logger: quiet))
            let input = try await RoundsStore(db.scoped(caller.scope, operation: "test")).input(
                teamId: f.teamId,
                week: week,
                from: week.monday,
                logger: quiet
            )
            let nurse = try #require(input.members.first { $0.workerId == f.nurseId })
            let doc = try #require(input.members.first { $0.workerId == f.doctorId })
            #expect(input.members.count == 2)
            #expect(nurse.hours[week.monday] == nil && nurse.hours[week.monday.adding(days: 1)] == nil)
            // Wednesday's clinic takes the morning and lunch (12:00–13:30) the rest of it: the afternoon is left.
            #expect(nurse.hours[week.monday.adding(days: 2)] == [810...1050] && doc.hours[week.monday.adding(days: 2)] == [810...1050])
            #expect(doc.hours[week.monday] == [480...720, 810...1050] && doc.hours[week.days[5]] == nil)
            // The doctor makes rounds on Mondays and Thursdays only.
            let (setDays, days, _) = try await client.call(
                .put,
                "/v1/care-teams/\(f.teamId)/members/\(f.doctorId)/rounds-days",
                json: ["weekdays": [4, 1]],
                token: doctor
            )
            #expect(setDays == .ok && days["weekdays"] as? [Int] == [1, 4])
            #expect(
                try await client.call(
                    .put,
                    "/v1/care-teams/\(f.teamId)/members/\(f.doctorId)/rounds-days",
                    json: ["weekdays": [8]],
                    token: doctor
                ).1.field == "weekdays"
            )
            #expect(
                try await client.call(
                    .put,
                    "/v1/care-teams/\(f.teamId)/members/999999/rounds-days",
                    json: ["weekdays": [1]],
                    token: doctor
                ).0 == .notFound
            )
            let again = try await RoundsStore(db.scoped(caller.scope, operation: "test")).input(
                teamId: f.teamId,
                week: week,
                from: week.monday,
                logger: quiet
            )
            let doctorDays = again.members.first { $0.workerId == f.doctorId }?.hours.keys.sorted() ?? []
            #expect(doctorDays == [week.monday, week.monday.adding(days: 3)])
        }
    }
}

@Suite struct MobilisationTests {
    /// The fixture's first micro-grid gets 42 households, with one micro-grid worker: a notice at the door
    /// (3 minutes a household) reaches them all in 3 hours, a door-to-door check (8 minutes) does not.
    @Test func microGridsThatCannotReachEveryHouseholdInThreeHoursAreListedWithThePeopleTheyNeed() async throws {
        try await withScopedAPI { client, f, users, db in
            let households = HouseholdStore(db)
            for i in 0..<40 {
                _ = try await households.create(
                    .init(
                        microGridId: f.microGridIds[0],
                        externalRef: "M\(i)",
                        address: "同心路\(i)号",
                        latitude: 30.66 + Double(i % 7) * 0.0002,
                        longitude: 104.06 + Double(i / 7) * 0.0002
                    ),
                    logger: quiet
                )
            }
            let report = "/v1/reports/mobilisation?districtId=\(f.districtId)"
            let (status, notice, _) = try await client.call(.get, report, token: users[.districtManager])
            #expect(status == .ok, "\(notice)")
            #expect(notice["kind"] as? String == "notice" && notice["minutesPerHousehold"] as? Double == 3)
            #expect(notice["checked"] as? Int == 3 && notice["failing"] as? Int == 0 && notice["peopleNeeded"] as? Int == 0)

            // 42 households × 8 minutes = 336 minutes for one worker: it needs one more person.
            let (_, check, _) = try await client.call(.get, report + "&kind=door_to_door", token: users[.districtManager])
            #expect(check["kind"] as? String == "door_to_door" && check["failing"] as? Int == 1 && check["peopleNeeded"] as? Int == 1)
            let failing = check.items.first ?? [:]
            #expect((failing["microGridId"] as? NSNumber)?.int64Value == f.microGridIds[0])
            #expect(failing["households"] as? Int == 42 && failing["workers"] as? Int == 1 && failing["fewestWorkers"] as? Int == 2)
            #expect(failing["shortfall"] as? Int == 1 && (failing["minutes"] as? Double ?? 0) > 336)
            #expect(failing["forces"] as? [String: Int] == ["microGridWorkers": 1, "partyMembers": 0, "buildingLeaders": 0, "volunteers": 0])

            // Its forces are registered through the API: a building leader and a volunteer count, a doctor
            // of the team and a volunteer who has stopped do not.
            func register(_ role: String, _ name: String, area: Int64? = nil, centre: Int64? = nil) async throws -> [String: Any] {
                var body: [String: Any] = ["districtId": f.districtId, "role": role, "name": name]
                if let area { body["areaId"] = area }
                if let centre { body["centreId"] = centre }
                let (status, worker, _) = try await client.call(.post, "/v1/workers", json: body, token: users[.admin])
                #expect(status == .created, "\(worker)")
                return worker
            }
            _ = try await register("building_leader", "楼栋长老陈", area: f.microGridIds[0])
            _ = try await register("doctor", "赵医生", area: f.microGridIds[0], centre: f.centreId)
            let gone = try await register("volunteer", "志愿者小周", area: f.microGridIds[0])
            let goneId = (gone["id"] as? NSNumber)?.int64Value ?? 0
            let (stopped, body, _) = try await client.call(
                .patch,
                "/v1/workers/\(goneId)",
                json: ["active": false],
                headers: [.ifMatch: "\"\(gone["version"] as? Int ?? 0)\""],
                token: users[.admin]
            )
            #expect(stopped == .ok, "\(body)")
            let (_, helped, _) = try await client.call(.get, report + "&kind=door_to_door&failingOnly=false", token: users[.districtManager])
            #expect(helped["failing"] as? Int == 0 && helped.items.count == 3)
            let first = helped.items.first { ($0["microGridId"] as? NSNumber)?.int64Value == f.microGridIds[0] } ?? [:]
            #expect(first["workers"] as? Int == 2 && first["shortfall"] as? Int == 0)
            #expect(first["forces"] as? [String: Int] == ["microGridWorkers": 1, "partyMembers": 0, "buildingLeaders": 1, "volunteers": 0])

            // An explicit minutes figure overrides the kind's.
            let (_, slow, _) = try await client.call(.get, report + "&kind=notice&minutesPerHousehold=9", token: users[.districtManager])
            #expect(slow["minutesPerHousehold"] as? Double == 9 && slow["failing"] as? Int == 1)

            #expect(try await client.call(.get, report, token: users[.gridWorker]).0 == .forbidden)
            let (bad, problem, _) = try await client.call(
                .get,
                "/v1/reports/mobilisation?districtId=\(f.microGridIds[0])",
                token: users[.districtManager]
            )
            #expect(bad == .unprocessableContent && problem.field == "districtId")
            // Another district's manager gets exactly what a district that does not exist gets, and no forces.
            let far = try await TestUsers.make(db, try await Fixture.make(db, name: "别区"), suffix: "-far")
            let foreign = try await client.raw(.get, report + "&kind=door_to_door", token: far[.districtManager])
            let missing = try await client.raw(.get, "/v1/reports/mobilisation?districtId=999999", token: far[.districtManager])
            #expect(foreign.0 == .notFound && foreign.1 == missing.1, "\(foreign)")
            #expect(try await client.call(.get, report, token: nil).0 == .unauthorized)
            let (unknown, _, _) = try await client.call(.get, report + "&kind=shouting", token: users[.districtManager])
            #expect(unknown == .badRequest)
        }
    }
}
