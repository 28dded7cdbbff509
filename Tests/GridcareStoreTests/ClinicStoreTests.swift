import Foundation
import GridcareCore
import GridcareStore
import GridcareTestSupport
import Logging
import PostgresNIO
import Testing

private let log = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
private func d(_ s: String) -> SimpleDate { SimpleDate(iso: s)! }

private func calendar() throws -> HolidayCalendar {
    try HolidayCalendar.load(directory: TestDatabase.packageRoot + "/Config/holidays")
}

private func wednesdays(_ slotMinutes: Int = 15, capacity: Int = 2, from: String = "2026-09-01", ends: Int = 11 * 60 + 30) -> ClinicRule {
    ClinicRule(
        weekday: 3,
        startMinute: 9 * 60,
        endMinute: ends,
        slotMinutes: slotMinutes,
        capacityPerSlot: capacity,
        validFrom: d(from),
        validUntil: nil
    )
}

/// The administrator's view, so bookings have a user to be made by.
private func admin(_ db: Database, _ f: Fixture) async throws -> Database {
    let users = try await TestUsers.make(db, f)
    let caller = try #require(try await TokenStore(db).authenticate(users[.admin], logger: log))
    return db.scoped(caller.scope, operation: "test")
}

@Suite struct ClinicStoreTests {
    @Test func aTeamCannotHoldTwoOverlappingClinicsEvenWhenTheyRace() async throws {
        try await withTestDatabase { db, _ in
            let f = try await Fixture.make(db)
            var stations: [Int64] = []
            for i in 0..<8 {
                stations.append(
                    try await FacilityStore(db).create(
                        .init(
                            kind: .station,
                            areaId: f.communityId,
                            centreId: f.centreId,
                            name: "站\(i)",
                            address: nil,
                            latitude: nil,
                            longitude: nil,
                            timeZone: nil
                        ),
                        logger: log
                    ).id
                )
            }
            let results = await withTaskGroup(of: Bool.self) { group in
                for (i, station) in stations.enumerated() {
                    group.addTask {
                        var rule = wednesdays()
                        rule.startMinute += i  // all overlap 09:07–11:30
                        return (try? await ClinicStore(db).create(stationId: station, teamId: f.teamId, rule: rule, logger: log)) != nil
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.filter { $0 }.count == 1)
            // Another weekday, or the afternoon, is fine; the same station at the same time is not.
            var thursday = wednesdays()
            thursday.weekday = 4
            _ = try await ClinicStore(db).create(stationId: stations[0], teamId: f.teamId, rule: thursday, logger: log)
            var afternoon = wednesdays()
            afternoon.startMinute = 14 * 60
            afternoon.endMinute = 16 * 60
            _ = try await ClinicStore(db).create(stationId: f.stationId, teamId: f.teamId, rule: afternoon, logger: log)
            await #expect { try await ClinicStore(db).create(stationId: f.stationId, teamId: f.teamId, rule: afternoon, logger: log) } throws: {
                ConstraintViolation($0)?.constraint == "clinic_team_overlap_excl"
            }
            await #expect(throws: ValidationFailure.self) {
                try await ClinicStore(db).create(stationId: f.hospitalId, teamId: f.teamId, rule: thursday, logger: log)
            }
        }
    }

    @Test func generatingTwiceChangesNothingAndHolidaysMoveSessions() async throws {
        try await withTestDatabase { db, _ in
            let f = try await Fixture.make(db)
            let clinic = try await ClinicStore(db).create(stationId: f.stationId, teamId: f.teamId, rule: wednesdays(), logger: log)
            let cal = try calendar()
            let first = try await ClinicStore(db).generate(
                from: d("2026-09-28"),
                through: d("2026-11-22"),
                calendar: cal,
                onHoliday: .nextWorkday,
                logger: log
            )
            #expect(first.created == 9 && first.moved == 1 && first.uncoveredDays == 0)  // 7 Wednesdays + 10-08 + make-up 10-10
            let again = try await ClinicStore(db).generate(
                from: d("2026-09-28"),
                through: d("2026-11-22"),
                calendar: cal,
                onHoliday: .nextWorkday,
                logger: log
            )
            #expect(again.created == 0 && again.moved == 0 && again.cancelled == 0)
            let sessions = try await ClinicStore(db).sessions(
                from: d("2026-10-05"),
                through: d("2026-10-11"),
                stationId: f.stationId,
                teamId: nil,
                logger: log
            )
            #expect(sessions.map { "\($0.day) \($0.status)" } == ["2026-10-07 moved", "2026-10-08 scheduled", "2026-10-10 scheduled"])
            #expect(sessions[1].places == 20 && sessions[1].free == 20)  // 10 slots × 2
            #expect(sessions.allSatisfy { $0.clinicId == clinic.id })
            let beyond = try await ClinicStore(db).generate(
                from: d("2026-12-28"),
                through: d("2027-01-10"),
                calendar: cal,
                onHoliday: .cancel,
                logger: log
            )
            #expect(beyond.uncoveredDays == 10)
        }
    }

    @Test func aHolidayAddedLaterPutsBookedResidentsOnTheCallList() async throws {
        try await withTestDatabase { db, _ in
            let f = try await Fixture.make(db)
            let scoped = try await admin(db, f)
            _ = try await ClinicStore(db).create(stationId: f.stationId, teamId: f.teamId, rule: wednesdays(), logger: log)
            _ = try await ClinicStore(db).generate(
                from: d("2027-03-01"),
                through: d("2027-03-14"),
                calendar: HolidayCalendar(),
                onHoliday: .cancel,
                logger: log
            )
            let session = try #require(
                try await ClinicStore(db).sessions(from: d("2027-03-03"), through: d("2027-03-03"), stationId: nil, teamId: nil, logger: log).first
            )
            let r = try await ResidentStore(db).create(Fixture.residentDraft(household: f.householdIds[0], n: 5), logger: log)
            _ = try await BookingStore(scoped).book(sessionId: session.id, residentId: r.id, walkIn: false, logger: log)
            var next = HolidayCalendar()
            try next.add(yaml: "year: 2027\nholidays:\n  - name: 测试假日\n    off: [2027-03-03, 2027-03-03]\n    work: []\n", file: "cn-2027.yaml")
            let summary = try await ClinicStore(db).generate(
                from: d("2027-03-01"),
                through: d("2027-03-14"),
                calendar: next,
                onHoliday: .cancel,
                logger: log
            )
            #expect(summary.cancelled == 1)
            let calls = try await BookingStore(scoped).callList(since: d("2027-03-01"), logger: log)
            #expect(calls.map(\.residentId) == [r.id])
            #expect(calls.first?.reason == "测试假日")
        }
    }

    @Test func fiftyRacingBookingsForTheLastPlaceMakeOne() async throws {
        try await withTestDatabase { db, _ in
            let f = try await Fixture.make(db)
            let scoped = try await admin(db, f)
            _ = try await ClinicStore(db).create(
                stationId: f.stationId,
                teamId: f.teamId,
                rule: wednesdays(15, capacity: 2, ends: 9 * 60 + 15),
                logger: log
            )
            _ = try await ClinicStore(db).generate(
                from: d("2026-12-01"),
                through: d("2026-12-07"),
                calendar: HolidayCalendar(),
                onHoliday: .cancel,
                logger: log
            )
            let session = try #require(
                try await ClinicStore(db).sessions(from: d("2026-12-02"), through: d("2026-12-02"), stationId: nil, teamId: nil, logger: log).first
            )
            var residents: [Int64] = []
            for n in 0..<51 {
                residents.append(
                    try await ResidentStore(db).create(Fixture.residentDraft(household: f.householdIds[n % 2], n: 100 + n), logger: log).id
                )
            }
            _ = try await BookingStore(scoped).book(sessionId: session.id, residentId: residents[50], walkIn: false, logger: log)
            let made = await withTaskGroup(of: Bool.self) { group in
                for r in residents.prefix(50) {
                    group.addTask { (try? await BookingStore(scoped).book(sessionId: session.id, residentId: r, walkIn: false, logger: log)) != nil }
                }
                return await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
            }
            #expect(made == 1)
            let slots = try await db.client.query("SELECT booked, capacity FROM session_slot WHERE session_id = \(session.id)").decode(
                (Int, Int).self
            ).all()
            #expect(slots.map(\.0) == [2] && slots.map(\.1) == [2])
            let live = try await db.client.query("SELECT count(*)::int FROM booking WHERE session_id = \(session.id) AND status <> 'cancelled'")
                .decode(Int.self).all()
            #expect(live == [2])
        }
    }

    /// Every place is taken when more residents race for them than there are, none twice, and each of the
    /// others is told the session is full (gridcare_book waits for a slot another booking holds rather than
    /// giving up); a walk-in in the middle of the race is checked in without a slot.
    @Test func racingBookingsFillEveryPlaceAndTheRestAreToldItIsFull() async throws {
        try await withTestDatabase { db, _ in
            let f = try await Fixture.make(db)
            let scoped = try await admin(db, f)
            _ = try await ClinicStore(db).create(
                stationId: f.stationId,
                teamId: f.teamId,
                rule: wednesdays(15, capacity: 1, ends: 10 * 60),
                logger: log
            )
            _ = try await ClinicStore(db).generate(
                from: d("2026-12-01"),
                through: d("2026-12-07"),
                calendar: HolidayCalendar(),
                onHoliday: .cancel,
                logger: log
            )
            let session = try #require(
                try await ClinicStore(db).sessions(from: d("2026-12-02"), through: d("2026-12-02"), stationId: nil, teamId: nil, logger: log).first
            )
            var residents: [Int64] = []
            for n in 0..<13 {
                residents.append(
                    try await ResidentStore(db).create(Fixture.residentDraft(household: f.householdIds[n % 2], n: 300 + n), logger: log).id
                )
            }
            let places = try await db.client.query("SELECT sum(capacity)::int FROM session_slot WHERE session_id = \(session.id)").decode(Int.self)
                .all()[0]
            #expect(places == 4)
            let outcomes = await withTaskGroup(of: (walkIn: Bool, result: Result<Booking, any Error>).self) { group in
                for (i, r) in residents.enumerated() {
                    let walkIn = i == 6
                    group.addTask {
                        do {
                            return (
                                walkIn,
                                .success(try await BookingStore(scoped).book(sessionId: session.id, residentId: r, walkIn: walkIn, logger: log))
                            )
                        } catch { return (walkIn, .failure(error)) }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let booked = outcomes.compactMap { try? $0.result.get() }
            #expect(booked.filter { !$0.walkIn }.count == 4 && Set(booked.compactMap(\.slot)).count == 4)
            #expect(booked.contains { $0.walkIn && $0.slot == nil && $0.status == .checkedIn })
            for case (_, .failure(let error)) in outcomes {
                #expect(error as? StoreError == .conflict(field: "sessionId", reason: "the session is full"), "\(error)")
            }
            let slots = try await db.client.query("SELECT booked FROM session_slot WHERE session_id = \(session.id)").decode(Int.self).all()
            #expect(slots == [1, 1, 1, 1])
            // Each booking has its one audit row, written by the one writer (gridcare_audit).
            let audited = try await db.client.query(
                """
                SELECT count(*)::int FROM audit_event WHERE operation IS NOT NULL AND action = 'create' AND outcome = 'ok' AND detail LIKE 'booking %'
                """
            ).decode(Int.self).all()
            #expect(audited == [5])
        }
    }

    @Test func aCompletedBookingIsAClinicVisitOnTheCaseSheet() async throws {
        try await withTestDatabase { db, _ in
            let f = try await Fixture.make(db)
            let scoped = try await admin(db, f)
            _ = try await ClinicStore(db).create(
                stationId: f.stationId,
                teamId: f.teamId,
                rule: wednesdays(15, capacity: 1, ends: 9 * 60 + 30),
                logger: log
            )
            _ = try await ClinicStore(db).generate(
                from: d("2026-12-01"),
                through: d("2026-12-07"),
                calendar: HolidayCalendar(),
                onHoliday: .cancel,
                logger: log
            )
            let session = try #require(
                try await ClinicStore(db).sessions(from: d("2026-12-02"), through: d("2026-12-02"), stationId: nil, teamId: nil, logger: log).first
            )
            let r = try await ResidentStore(db).create(
                Fixture.residentDraft(household: f.householdIds[0], n: 7, conditions: [.hypertension]),
                logger: log
            )
            let bookings = BookingStore(scoped)
            let b = try await bookings.book(sessionId: session.id, residentId: r.id, walkIn: false, logger: log)
            #expect(b.slot == 1)
            await #expect(throws: StoreError.conflict(field: "residentId", reason: "the resident is already booked for this session")) {
                try await bookings.book(sessionId: session.id, residentId: r.id, walkIn: false, logger: log)
            }
            await #expect(throws: TransitionError.self) { try await bookings.act(b.id, .complete, visit: nil, logger: log) }
            _ = try await bookings.act(b.id, .checkIn, visit: nil, logger: log)
            let done = try await bookings.act(b.id, .complete, visit: .doctorFollowUp, logger: log)
            #expect(done.status == .completed && done.serviceId != nil)
            let sheet = try await CaseSheetStore(scoped).caseSheet(r.id, logger: log)
            #expect(sheet.services.map(\.kind) == [.clinicVisit] && sheet.services.first?.visit == .doctorFollowUp)
            // A cancelled booking gives its place back; a walk-in takes none.
            let other = try await ResidentStore(db).create(Fixture.residentDraft(household: f.householdIds[0], n: 8), logger: log)
            let second = try await bookings.book(sessionId: session.id, residentId: other.id, walkIn: false, logger: log)
            #expect(second.slot == 2)
            _ = try await bookings.act(second.id, .cancel, visit: nil, logger: log)
            let free = try await ClinicStore(db).sessions(from: d("2026-12-02"), through: d("2026-12-02"), stationId: nil, teamId: nil, logger: log)
            #expect(free.first?.free == 1)
            let walkIn = try await bookings.book(sessionId: session.id, residentId: other.id, walkIn: true, logger: log)
            #expect(walkIn.status == .checkedIn && walkIn.slot == nil)
        }
    }
}
