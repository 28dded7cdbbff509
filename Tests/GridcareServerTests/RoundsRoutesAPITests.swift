import Foundation
import GridcareCore
import GridcareServer
import GridcareStore
import GridcareTestSupport
import HTTPTypes
import HummingbirdTesting
import Testing

/// Issue "What a new user trips over", items 1, 4 and 6, through the API on a real database: a visit lies
/// inside the resident's availability or is left out once saying why; the day has a lunch break; a saved
/// plan shows the routes the plan showed, and its calendar is stamped when it is produced.
@Suite struct RoundsRoutesAPITests {
    /// Bedbound hypertensive residents under contract, never followed up: due (overdue) home follow-ups.
    func bedbound(_ db: Database, _ f: Fixture, count: Int) async throws -> [Resident] {
        var residents: [Resident] = []
        for n in 0..<count {
            let r = try await ResidentStore(db).create(
                Fixture.residentDraft(
                    household: f.householdIds[n % 2],
                    n: 300 + n,
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

    func stops(_ plan: [String: Any]) -> [[String: Any]] {
        (plan["routes"] as? [[String: Any]] ?? []).flatMap { $0["stops"] as? [[String: Any]] ?? [] }
    }

    func resident(_ v: [String: Any]) -> Int64 { (v["residentId"] as? NSNumber)?.int64Value ?? -1 }
    func minute(_ v: [String: Any], _ key: String) -> Int { (v[key] as? String).flatMap(ClinicStore.parseTime) ?? -1 }

    @Test func aVisitLiesInsideTheResidentsWindowOrIsLeftOutOnceAndNeverInTheLunchBreak() async throws {
        try await withScopedAPI { client, f, users, db in
            let residents = try await bedbound(db, f, count: 4)
            let doctor = users[.centreStaff]
            let grid = users[.gridWorker]
            let week = ISOWeek(containing: SimpleDate.todayInChina().adding(days: 7))
            // How long each resident's stop takes (every visit due is made at one stop).
            let caller = try #require(try await TokenStore(db).authenticate(doctor, logger: quiet))
            let input = try await RoundsStore(db.scoped(caller.scope, operation: "test")).input(
                teamId: f.teamId,
                week: week,
                from: week.monday,
                logger: quiet
            )
            let minutes = Dictionary(uniqueKeysWithValues: input.visits.map { ($0.residentId, RoundsRules().minutes($0)) })
            let stay = try #require(minutes[residents[1].id])
            try #require(minutes[residents[0].id] ?? 0 > 30 && stay <= 120, "\(minutes)")
            // In only half an hour: shorter than the visit. In 10:00 to five minutes past the visit's end. In across lunch.
            let windows = [
                (residents[0], "10:00", "10:30"), (residents[1], "10:00", clock(600 + stay + 5)), (residents[2], "11:50", clock(810 + stay + 10)),
            ]
            for (r, from, to) in windows {
                #expect(try await client.call(.put, "/v1/residents/\(r.id)/availability", json: ["from": from, "to": to], token: grid).0 == .ok)
            }
            let (status, plan, _) = try await client.call(
                .post,
                "/v1/teams/\(f.teamId)/rounds-plans",
                json: ["week": week.description, "seconds": 0.5],
                token: doctor
            )
            #expect(status == .created, "\(plan)")
            let all = stops(plan)
            let unplanned = plan["unplanned"] as? [[String: Any]] ?? []
            // The half-hour resident: left out once, the reason naming the window and the visit's minutes.
            #expect(!all.contains { resident($0) == residents[0].id })
            let left = unplanned.filter { resident($0) == residents[0].id }
            #expect(left.count == 1)
            let reason = left.first?["reason"] as? String ?? ""
            #expect(reason.contains("10:00–10:30") && reason.contains("\(minutes[residents[0].id]!) minutes"), "\(reason)")
            // The others are planned, inside their windows; the one across lunch after it.
            #expect(Set(all.map(resident)) == Set(residents.dropFirst().map(\.id)), "\(unplanned)")
            let morning = all.first { resident($0) == residents[1].id } ?? [:]
            #expect(minute(morning, "arrive") >= 600 && minute(morning, "leave") <= 600 + stay + 5, "\(morning)")
            let afternoon = all.first { resident($0) == residents[2].id } ?? [:]
            #expect(minute(afternoon, "arrive") >= 810 && minute(afternoon, "leave") <= 810 + stay + 10, "\(afternoon)")
            // Nothing in the lunch break, 12:00–13:30: no stop, and no route (the doctor is back at the station).
            for s in all { #expect(minute(s, "leave") <= 720 || minute(s, "arrive") >= 810, "\(s)") }
            for r in plan["routes"] as? [[String: Any]] ?? [] {
                #expect(minute(r, "return") <= 720 || minute(r, "depart") >= 810, "\(r)")
            }
        }
    }

    @Test func theDaysFreeBlocksLeaveOutLunchAndClinicSessions() async throws {
        try await withScopedAPI { client, f, users, db in
            let doctor = users[.centreStaff]
            let week = ISOWeek(containing: SimpleDate.todayInChina().adding(days: 7))
            let clinic: [String: Any] = [
                "stationId": f.stationId, "teamId": f.teamId, "weekday": 2, "startsAt": "14:00", "endsAt": "15:30",
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
            let doc = try #require(input.members.first { $0.workerId == f.doctorId })
            if input.days.contains(week.monday) { #expect(doc.hours[week.monday] == [480...720, 810...1050]) }
            // Tuesday: 13:30–14:00 is too short for a route; the afternoon is 15:30–17:30.
            if input.days.contains(week.days[1]) { #expect(doc.hours[week.days[1]] == [480...720, 930...1050]) }
        }
    }

    @Test func aSavedPlanShowsTheRoutesThePlanShowedAndItsCalendarIsStampedNow() async throws {
        try await withScopedAPI { client, f, users, db in
            let residents = try await bedbound(db, f, count: 3)
            let doctor = users[.centreStaff]
            // One resident only in the morning, one only in the afternoon: a route before lunch and one after.
            #expect(
                try await client.call(
                    .put,
                    "/v1/residents/\(residents[1].id)/availability",
                    json: ["from": "08:00", "to": "11:30"],
                    token: users[.gridWorker]
                ).0 == .ok
            )
            #expect(
                try await client.call(
                    .put,
                    "/v1/residents/\(residents[2].id)/availability",
                    json: ["from": "14:00", "to": "17:00"],
                    token: users[.gridWorker]
                ).0 == .ok
            )
            let week = ISOWeek(containing: SimpleDate.todayInChina().adding(days: 7)).description
            let (status, plan, _) = try await client.call(
                .post,
                "/v1/teams/\(f.teamId)/rounds-plans",
                json: ["week": week, "seconds": 0.3],
                token: doctor
            )
            #expect(status == .created, "\(plan)")
            func routes(_ p: [String: Any]) -> [String] {
                (p["routes"] as? [[String: Any]] ?? []).map { r in
                    let ids = (r["stops"] as? [[String: Any]] ?? []).map { String(resident($0)) }.joined(separator: ",")
                    return "\(r["day"] as? String ?? "") \(r["workerId"] ?? "") \(r["depart"] as? String ?? "-")–\(r["return"] as? String ?? "-") "
                        + "\(r["travelMinutes"].map { "\($0)" } ?? "-") [\(ids)]"
                }.sorted()
            }
            let planned = routes(plan)
            #expect(planned.count >= 2 && planned.allSatisfy { !$0.contains("-–") }, "\(planned)")
            let (_, saved, _) = try await client.call(.get, "/v1/rounds-plans/\(plan.id)", token: doctor)
            #expect(routes(saved) == planned)

            // Re-planned after one visit is done: the done visit keeps its route's times.
            let done = stops(saved).first { resident($0) == residents[0].id } ?? [:]
            let visitId = (done["plannedVisitId"] as? NSNumber)?.int64Value ?? -1
            #expect(try await client.call(.post, "/v1/planned-visits/\(visitId)/status", json: ["action": "done"], token: doctor).0 == .ok)
            let (_, again, _) = try await client.call(
                .post,
                "/v1/teams/\(f.teamId)/rounds-plans",
                json: ["week": week, "seconds": 0.3],
                token: doctor
            )
            let (_, current, _) = try await client.call(.get, "/v1/rounds-plans/\(again.id)", token: doctor)
            let doneRoute = (current["routes"] as? [[String: Any]] ?? []).first { r in
                (r["stops"] as? [[String: Any]] ?? []).contains { resident($0) == residents[0].id && $0["status"] as? String == "done" }
            }
            #expect(
                doneRoute?["depart"] as? String != nil && doneRoute?["return"] as? String != nil && doneRoute?["travelMinutes"] != nil,
                "\(String(describing: doneRoute))"
            )

            // The calendar's DTSTAMP is when it was produced, in UTC, not the visit's day.
            let before = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
            let (calendarStatus, ics) = try await client.raw(.get, "/v1/rounds-plans/\(plan.id)/calendar", token: doctor)
            let after = Date()
            #expect(calendarStatus == .ok)
            let stamps = ics.components(separatedBy: "\r\n").filter { $0.hasPrefix("DTSTAMP:") }.map { String($0.dropFirst(8)) }
            #expect(stamps.count == 3 && Set(stamps).count == 1, "\(stamps)")
            let format = DateFormatter()
            format.locale = Locale(identifier: "en_US_POSIX")
            format.timeZone = TimeZone(identifier: "UTC")
            format.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
            let stamp = try #require(stamps.first.flatMap(format.date(from:)), "\(stamps)")
            #expect(stamps.first?.count == 16)
            #expect(before <= stamp && stamp <= after, "\(stamp) not within \(before)…\(after)")
        }
    }
}
