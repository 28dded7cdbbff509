import Foundation
import GridcareAPI
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
            let doctor = users[.centreStaff]
            let grid = users[.gridWorker]
            let monday = SimpleDate.todayInChina().adding(days: 8 - SimpleDate.todayInChina().isoWeekday)
            let body: [String: Any] = [
                "stationId": f.stationId, "teamId": f.teamId, "weekday": 3, "startsAt": "09:00", "endsAt": "09:30",
                "slotMinutes": 15, "capacityPerSlot": 1, "validFrom": monday.iso,
            ]
            let (created, clinic) = try await client.call(.post, "/v1/clinics", json: body, token: doctor, as: Components.Schemas.Clinic.self)
            #expect(created == .created && clinic.weekday == 3 && clinic.startsAt == "09:00")
            var overlapping = body
            overlapping["startsAt"] = "09:15"
            overlapping["endsAt"] = "10:00"
            let (clash, problem, _) = try await client.call(.post, "/v1/clinics", json: overlapping, token: doctor)
            #expect(clash == .conflict && problem.field == "startsAt")
            #expect(try await client.call(.post, "/v1/clinics", json: body, token: grid).0 == .forbidden)

            _ = try await ClinicStore(db).generate(
                from: monday,
                through: monday.adding(days: 6),
                calendar: HolidayCalendar(),
                onHoliday: .cancel,
                logger: quiet
            )
            let (_, sessions) = try await client.call(
                .get,
                "/v1/clinic-sessions?from=\(monday.iso)&through=\(monday.adding(days: 6).iso)",
                token: grid,
                as: Components.Schemas.SessionList.self
            )
            let session = try #require(sessions.items.first)
            #expect(session.free == 2 && session.places == 2 && session.status == .scheduled)

            // A grid worker books a resident of their own micro-grids; a resident outside reads as none.
            let path = "/v1/clinic-sessions/\(session.id)/bookings"
            let (booked, booking) = try await client.call(
                .post,
                path,
                json: ["residentId": p.inside.id],
                token: grid,
                as: Components.Schemas.Booking.self
            )
            #expect(booked == .created && booking.slot == 1 && booking.status == .booked && booking.residentId == p.inside.id)
            let foreign = try await client.raw(.post, path, json: ["residentId": p.outsideGrid.id], token: grid)
            let missing = try await client.raw(.post, path, json: ["residentId": 999_999], token: grid)
            #expect(foreign.0 == .unprocessableContent && foreign.1 == missing.1)
            let (twice, twiceProblem, _) = try await client.call(.post, path, json: ["residentId": p.inside.id], token: doctor)
            #expect(twice == .conflict && twiceProblem.field == "residentId")
            // The clinic checks in and completes; the grid worker may only cancel.
            #expect(try await client.call(.post, "/v1/bookings/\(booking.id)/status", json: ["action": "check_in"], token: grid).0 == .forbidden)
            #expect(try await client.call(.post, "/v1/bookings/\(booking.id)/status", json: ["action": "check_in"], token: doctor).0 == .ok)
            let (done, completed) = try await client.call(
                .post,
                "/v1/bookings/\(booking.id)/status",
                json: ["action": "complete", "visit": "annual_check"],
                token: doctor,
                as: Components.Schemas.Booking.self
            )
            #expect(done == .ok && completed.status == .completed && completed.serviceId != nil)
            let (_, sheet) = try await client.call(
                .get,
                "/v1/residents/\(p.inside.id)/case-sheet",
                token: doctor,
                as: Components.Schemas.CaseSheet.self
            )
            #expect(sheet.services.first?.visit == .annualCheck && sheet.services.first?.id == completed.serviceId)

            // The last place, then a full session.
            let second = try await ResidentStore(db).create(Fixture.residentDraft(household: f.householdIds[1], n: 650), logger: quiet)
            let third = try await ResidentStore(db).create(Fixture.residentDraft(household: f.householdIds[1], n: 651), logger: quiet)
            #expect(try await client.call(.post, path, json: ["residentId": second.id], token: grid).0 == .created)
            let (full, fullProblem, _) = try await client.call(.post, path, json: ["residentId": third.id], token: grid)
            #expect(full == .conflict && fullProblem.field == "sessionId")
            let (walkIn, walked) = try await client.call(
                .post,
                path,
                json: ["residentId": third.id, "walkIn": true],
                token: doctor,
                as: Components.Schemas.Booking.self
            )
            #expect(walkIn == .created && walked.status == .checkedIn && walked.walkIn && walked.slot == nil)
            let (_, list) = try await client.call(.get, path, token: doctor, as: Components.Schemas.BookingList.self)
            #expect(list.items.map(\.residentId).sorted() == [p.inside.id, second.id, third.id].sorted())
            #expect(try await client.call(.get, path, token: users[.districtManager]).0 == .forbidden)
        }
    }

    @Test func invitationsComeFromDueVisitsAndTheSessionExportsAsFHIR() async throws {
        try await withScopedAPI { client, f, users, db in
            let doctor = users[.centreStaff]
            let today = SimpleDate.todayInChina()
            let day = today.adding(days: 1)
            _ = try await ClinicStore(db).create(
                stationId: f.stationId,
                teamId: f.teamId,
                rule: ClinicRule(
                    weekday: day.isoWeekday,
                    startMinute: 9 * 60,
                    endMinute: 9 * 60 + 30,
                    slotMinutes: 15,
                    capacityPerSlot: 2,
                    validFrom: today,
                    validUntil: nil
                ),
                logger: quiet
            )
            _ = try await ClinicStore(db).generate(from: day, through: day, calendar: HolidayCalendar(), onHoliday: .cancel, logger: quiet)
            let session = try #require(try await ClinicStore(db).sessions(from: day, through: day, stationId: nil, teamId: nil, logger: quiet).first)
            var ids: [Int64] = []
            for (n, conditions) in [(661, [Condition.hypertension]), (662, [.hypertension, .bedbound]), (663, [])] {
                let r = try await ResidentStore(db).create(
                    Fixture.residentDraft(
                        household: f.householdIds[0],
                        n: n,
                        born: SimpleDate(year: 1980, month: 1, day: 1)!,
                        conditions: conditions
                    ),
                    logger: quiet
                )
                _ = try await ContractStore(db).sign(residentId: r.id, teamId: f.teamId, startsOn: today.adding(days: -20), years: 1, logger: quiet)
                ids.append(r.id)
            }
            let (status, invitations, _) = try await client.call(.get, "/v1/clinic-sessions/\(session.id)/invitations", token: doctor)
            #expect(status == .ok)
            let invite = (invitations["invite"] as? [[String: Any]] ?? []).map(\.residentId)
            let rounds = (invitations["forRounds"] as? [[String: Any]] ?? []).map(\.residentId)
            #expect(invite == [ids[0]] && rounds == [ids[1]])
            _ = try await client.call(.post, "/v1/clinic-sessions/\(session.id)/bookings", json: ["residentId": ids[0]], token: doctor)
            let (_, after, _) = try await client.call(.get, "/v1/clinic-sessions/\(session.id)/invitations", token: doctor)
            #expect((after["invite"] as? [Any])?.isEmpty == true)

            let (fhirStatus, bundle, headers) = try await client.call(.get, "/v1/clinic-sessions/\(session.id)/fhir", token: doctor)
            #expect(fhirStatus == .ok && headers[.contentType]?.hasPrefix("application/fhir+json") == true)
            #expect(bundle["resourceType"] as? String == "Bundle")
            let resources = (bundle["entry"] as? [[String: Any]] ?? []).compactMap { $0["resource"] as? [String: Any] }
            #expect(resources.map { $0["resourceType"] as? String ?? "" } == ["Schedule", "Slot", "Slot", "Appointment"])
            #expect(resources[1]["comment"] as? String == "1 of 2 places free" && resources[1]["status"] as? String == "free")
            #expect(resources[3]["status"] as? String == "booked")
        }
    }
}
