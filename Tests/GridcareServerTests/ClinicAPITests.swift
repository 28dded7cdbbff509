import Foundation
import GridcareCore
import GridcareServer
import GridcareStore
import GridcareTestSupport
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite struct ClinicAPITests {
    @Test func staffScheduleAndBookWithinTheirScope() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            let doctor = users[.centreStaff], grid = users[.gridWorker]
            let monday = SimpleDate.todayInChina().adding(days: 8 - SimpleDate.todayInChina().isoWeekday)
            let body: [String: Any] = ["stationId": f.stationId, "teamId": f.teamId, "weekday": 3, "startsAt": "09:00", "endsAt": "09:30",
                                       "slotMinutes": 15, "capacityPerSlot": 1, "validFrom": monday.iso]
            let (created, clinic, _) = try await client.call(.post, "/v1/clinics", json: body, token: doctor)
            #expect(created == .created && clinic["weekday"] as? Int == 3)
            var overlapping = body; overlapping["startsAt"] = "09:15"; overlapping["endsAt"] = "10:00"
            let (clash, problem, _) = try await client.call(.post, "/v1/clinics", json: overlapping, token: doctor)
            #expect(clash == .conflict && problem.field == "startsAt")
            #expect(try await client.call(.post, "/v1/clinics", json: body, token: grid).0 == .forbidden)

            _ = try await ClinicStore(db).generate(from: monday, through: monday.adding(days: 6), calendar: HolidayCalendar(), onHoliday: .cancel, logger: quiet)
            let (_, sessions, _) = try await client.call(.get, "/v1/clinic-sessions?from=\(monday.iso)&through=\(monday.adding(days: 6).iso)", token: grid)
            let session = try #require(sessions.items.first)
            #expect(session["free"] as? Int == 2 && session["places"] as? Int == 2)

            // A grid worker books a resident of their own micro-grids; a resident outside reads as none.
            let path = "/v1/clinic-sessions/\(session.id)/bookings"
            let (booked, booking, _) = try await client.call(.post, path, json: ["residentId": p.inside.id], token: grid)
            #expect(booked == .created && booking["slot"] as? Int == 1)
            let foreign = try await client.raw(.post, path, json: ["residentId": p.outsideGrid.id], token: grid)
            let missing = try await client.raw(.post, path, json: ["residentId": 999_999], token: grid)
            #expect(foreign.0 == .unprocessableContent && foreign.1 == missing.1)
            let (twice, twiceProblem, _) = try await client.call(.post, path, json: ["residentId": p.inside.id], token: doctor)
            #expect(twice == .conflict && twiceProblem.field == "residentId")
            // The clinic checks in and completes; the grid worker may only cancel.
            #expect(try await client.call(.post, "/v1/bookings/\(booking.id)/status", json: ["action": "check_in"], token: grid).0 == .forbidden)
            #expect(try await client.call(.post, "/v1/bookings/\(booking.id)/status", json: ["action": "check_in"], token: doctor).0 == .ok)
            let (done, completed, _) = try await client.call(.post, "/v1/bookings/\(booking.id)/status",
                                                             json: ["action": "complete", "visit": "annual_check"], token: doctor)
            #expect(done == .ok && completed["status"] as? String == "completed" && completed["serviceId"] != nil)
            let (_, sheet, _) = try await client.call(.get, "/v1/residents/\(p.inside.id)/case-sheet", token: doctor)
            #expect((sheet["services"] as? [[String: Any]])?.first?["visit"] as? String == "annual_check")

            // The last place, then a full session.
            let second = try await ResidentStore(db).create(Fixture.residentDraft(household: f.householdIds[1], n: 650), logger: quiet)
            let third = try await ResidentStore(db).create(Fixture.residentDraft(household: f.householdIds[1], n: 651), logger: quiet)
            #expect(try await client.call(.post, path, json: ["residentId": second.id], token: grid).0 == .created)
            let (full, fullProblem, _) = try await client.call(.post, path, json: ["residentId": third.id], token: grid)
            #expect(full == .conflict && fullProblem.field == "sessionId")
            let (walkIn, walked, _) = try await client.call(.post, path, json: ["residentId": third.id, "walkIn": true], token: doctor)
            #expect(walkIn == .created && walked["status"] as? String == "checked_in")
            let (_, list, _) = try await client.call(.get, path, token: doctor)
            #expect(list.items.count == 3)
            #expect(try await client.call(.get, path, token: users[.districtManager]).0 == .forbidden)
        }
    }
}
