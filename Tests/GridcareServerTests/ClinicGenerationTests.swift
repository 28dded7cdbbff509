import Foundation
import GridcareCore
import GridcareStore
import GridcareTestSupport
import HTTPTypes
import HummingbirdTesting
import Logging
import PostgresNIO
import ServiceLifecycle
import Testing

@testable import GridcareServer

/// The repository's own holiday calendar (Config/holidays), whatever the tests' working directory.
/// The API tests of generation count what each request made, so the service they run has no clinic clock
/// of its own (`generateJobMinutes` 0) to make sessions under them; the clock's tests drive it directly.
func clinicConfig(weeksAhead: Int = 8, onHoliday: String = "next_workday", clockMinutes: Int = 0) -> AppConfig {
    testConfig([
        "rules.clinics.holidaysDirectory": .init(.string(TestDatabase.packageRoot + "/Config/holidays"), isSecret: false),
        "rules.clinics.generateWeeksAhead": .init(.int(weeksAhead), isSecret: false),
        "rules.clinics.generateJobMinutes": .init(.int(clockMinutes), isSecret: false),
        "rules.clinics.onHoliday": .init(.string(onHoliday), isSecret: false),
    ])
}

private func days(_ list: Any?) -> [String] { (list as? [[String: Any]] ?? []).compactMap { $0["date"] as? String } }

/// Issue "What a new user trips over", item 2: clinic staff make a clinic's sessions through the API.
@Suite struct ClinicSessionGenerationAPITests {
    /// National Day 2026 (10-01 Thursday … 10-07 Wednesday, make-up workday Saturday 10-10): a Wednesday
    /// clinic's 10-07 moves to Thursday 10-08 and Saturday 10-10 keeps Wednesday's timetable; a Thursday
    /// clinic's 10-01 has no working day left in its week, so it is cancelled.
    @Test func aNewClinicBecomesBookableAndTheAnswerShowsTheHolidays() async throws {
        try await withScopedAPI(config: clinicConfig()) { client, f, users, db in
            let p = try await Placed.make(db, f)
            let doctor = users[.centreStaff]
            func clinic(weekday: Int) async throws -> Int64 {
                let (status, made, _) = try await client.call(
                    .post,
                    "/v1/clinics",
                    json: [
                        "stationId": f.stationId, "teamId": f.teamId, "weekday": weekday, "startsAt": "09:00", "endsAt": "09:30",
                        "slotMinutes": 15, "capacityPerSlot": 1, "validFrom": "2026-09-28",
                    ],
                    token: doctor
                )
                #expect(status == .created)
                return made.id
            }
            let wednesday = try await clinic(weekday: 3)
            let thursday = try await clinic(weekday: 4)
            let span: [String: Any] = ["from": "2026-09-28", "through": "2026-10-11"]
            let timetable = "/v1/clinic-sessions?from=2026-09-28&through=2026-10-11"
            #expect(try await client.call(.get, timetable, token: doctor).1.items.isEmpty)

            let (status, made, _) = try await client.call(.post, "/v1/clinics/\(wednesday)/session-generations", json: span, token: doctor)
            #expect(status == .ok, "\(made)")
            #expect(
                made["clinicId"] as? Int == Int(wednesday) && made["from"] as? String == "2026-09-28" && made["through"] as? String == "2026-10-11"
            )
            #expect(days(made["created"]) == ["2026-09-30", "2026-10-08", "2026-10-10"])
            let moved = try #require((made["moved"] as? [[String: Any]])?.first)
            #expect(days(made["moved"]) == ["2026-10-07"])
            #expect(moved["movedTo"] as? String == "2026-10-08" && moved["status"] as? String == "moved")
            #expect((moved["reason"] as? String)?.contains("国庆节") == true)
            #expect(days(made["cancelled"]).isEmpty && days(made["existing"]).isEmpty && made["uncoveredDays"] as? Int == 0)
            let reasons = (made["created"] as? [[String: Any]] ?? []).map { $0["reason"] as? String ?? "" }
            #expect(reasons[1].hasPrefix("moved from 2026-10-07") && reasons[2].contains("调休"))

            // Bookable now: a grid worker books a resident of their micro-grids into the first session.
            let first = try #require((made["created"] as? [[String: Any]])?.first?["sessionId"] as? NSNumber).int64Value
            let (booked, booking, _) = try await client.call(
                .post,
                "/v1/clinic-sessions/\(first)/bookings",
                json: ["residentId": p.inside.id],
                token: users[.gridWorker]
            )
            #expect(booked == .created && booking["slot"] as? Int == 1)

            // Twice: nothing new, and the answer still shows what the calendar did.
            let (_, again, _) = try await client.call(.post, "/v1/clinics/\(wednesday)/session-generations", json: span, token: doctor)
            #expect(days(again["created"]).isEmpty && days(again["moved"]).isEmpty && days(again["cancelled"]).isEmpty)
            let existing = again["existing"] as? [[String: Any]] ?? []
            #expect(
                existing.map { "\($0["date"] as? String ?? "") \($0["status"] as? String ?? "")" }
                    == ["2026-09-30 scheduled", "2026-10-07 moved", "2026-10-08 scheduled", "2026-10-10 scheduled"]
            )
            #expect(existing[1]["movedTo"] as? String == "2026-10-08")
            let (_, listed, _) = try await client.call(.get, timetable, token: doctor)
            #expect(listed.items.count == 4)
            #expect(listed.items.first?["free"] as? Int == 1 && listed.items.first?["places"] as? Int == 2)

            // The Thursday clinic: its National Day session is cancelled; the admin may generate too.
            let (_, thursdays, _) = try await client.call(.post, "/v1/clinics/\(thursday)/session-generations", json: span, token: users[.admin])
            #expect(days(thursdays["created"]) == ["2026-10-08"] && days(thursdays["cancelled"]) == ["2026-10-01"])
            #expect((thursdays["cancelled"] as? [[String: Any]])?.first?["reason"] as? String == "National Day (国庆节)")
            #expect(days(thursdays["moved"]).isEmpty)
            let count = try await db.client.query("SELECT count(*)::int, count(DISTINCT (clinic_id, on_date))::int FROM clinic_session")
                .decode((Int, Int).self).all()
            #expect(count.map(\.0) == [6] && count.map(\.1) == [6])
        }
    }

    @Test func onlyWhoSchedulesTheTeamMayGenerate() async throws {
        try await withScopedAPI(config: clinicConfig()) { client, f, users, db in
            let clinic = try await ClinicStore(db).create(
                stationId: f.stationId,
                teamId: f.teamId,
                rule: ClinicRule(
                    weekday: 3,
                    startMinute: 9 * 60,
                    endMinute: 10 * 60,
                    slotMinutes: 15,
                    capacityPerSlot: 2,
                    validFrom: SimpleDate(iso: "2026-09-01")!,
                    validUntil: nil
                ),
                logger: quiet
            )
            let path = "/v1/clinics/\(clinic.id)/session-generations"
            let span: [String: Any] = ["from": "2026-12-01", "through": "2026-12-31"]
            // Another centre of the same district sees the clinic (clinics are the district's) but does not
            // schedule its team: the clinic is missing for this operation, exactly like one that is not there.
            let east = try await OtherCentre.make(db, f).doctorToken
            #expect(try await client.call(.get, "/v1/clinics?teamId=\(f.teamId)", token: east).1.items.count == 1)
            let foreign = try await client.raw(.post, path, json: span, token: east)
            let missing = try await client.raw(.post, "/v1/clinics/999999/session-generations", json: span, token: east)
            #expect(foreign.0 == .notFound && foreign.1 == missing.1, "\(foreign)")
            // Another district's staff do not see it at all.
            let far = try await TestUsers.make(db, try await Fixture.make(db, name: "别区"), suffix: "-far")
            #expect(try await client.call(.post, path, json: span, token: far[.centreStaff]).0 == .notFound)
            // Grid workers, hospital staff and district managers may not generate at all.
            for role in [Role.gridWorker, .hospitalStaff, .districtManager] {
                let (status, problem, _) = try await client.call(.post, path, json: span, token: users[role])
                #expect(status == .forbidden && problem["status"] as? Int == 403, "\(role)")
            }
            #expect(try await db.client.query("SELECT count(*)::int FROM clinic_session").decode(Int.self).all() == [0])

            // Bad spans name their field; an empty body means today and the configured weeks ahead.
            let (backwards, problem, _) = try await client.call(
                .post,
                path,
                json: ["from": "2026-12-10", "through": "2026-12-01"],
                token: users[.centreStaff]
            )
            #expect(backwards == .unprocessableContent && problem.field == "through")
            let (tooLong, longProblem, _) = try await client.call(
                .post,
                path,
                json: ["from": "2026-01-01", "through": "2028-01-01"],
                token: users[.centreStaff]
            )
            #expect(tooLong == .unprocessableContent && longProblem.field == "through")
            let (notADate, dateProblem, _) = try await client.call(.post, path, json: ["from": "tomorrow"], token: users[.centreStaff])
            #expect([.badRequest, .unprocessableContent].contains(notADate) && dateProblem.field == "from", "\(notADate) \(dateProblem)")
            let (defaulted, answer, _) = try await client.call(.post, path, json: [String: Any](), token: users[.centreStaff])
            let today = SimpleDate.todayInChina()
            #expect(defaulted == .ok, "\(answer)")
            #expect(answer["from"] as? String == today.iso && answer["through"] as? String == today.adding(days: 8 * 7 - 1).iso)
            #expect(days(answer["created"]).count + days(answer["moved"]).count + days(answer["cancelled"]).count >= 7)
        }
    }
}

/// The service keeps every active clinic's sessions made `rules.clinics.generateWeeksAhead` weeks ahead.
@Suite struct ClinicSessionClockTests {
    /// The clinics' clock as the application builds it, on a pool of its own signed in as the service
    /// (row-level security in force), so two of them are two service copies.
    func withServicePools(
        _ count: Int,
        config: AppConfig,
        _ url: DatabaseURL,
        _ body: @Sendable @escaping ([ClinicClock], [PostgresClient]) async throws -> Void
    ) async throws {
        let pools = try (0..<count).map { _ in try makeServiceClient(url: url, config: config, logger: quiet) }
        let clocks = pools.map { ClinicClock(db: Database(client: $0, logger: quiet, vault: TestDatabase.vault), config: config, logger: quiet) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for pool in pools { group.addTask { await pool.run() } }
            defer { group.cancelAll() }
            try await body(clocks, pools)
        }
    }

    /// Clinics on each weekday from Monday to Saturday, valid from today, and one that ended yesterday.
    func clinics(_ db: Database, _ f: Fixture, today: SimpleDate) async throws -> (active: [Clinic], ended: Clinic) {
        var active: [Clinic] = []
        for weekday in 1...6 {
            active.append(
                try await ClinicStore(db).create(
                    stationId: f.stationId,
                    teamId: f.teamId,
                    rule: ClinicRule(
                        weekday: weekday,
                        startMinute: 9 * 60,
                        endMinute: 9 * 60 + 30,
                        slotMinutes: 15,
                        capacityPerSlot: 2,
                        validFrom: today,
                        validUntil: nil
                    ),
                    logger: quiet
                )
            )
        }
        let ended = try await ClinicStore(db).create(
            stationId: f.stationId,
            teamId: f.teamId,
            rule: ClinicRule(
                weekday: 1,
                startMinute: 14 * 60,
                endMinute: 15 * 60,
                slotMinutes: 15,
                capacityPerSlot: 2,
                validFrom: SimpleDate(iso: "2026-01-05")!,
                validUntil: today.adding(days: -1)
            ),
            logger: quiet
        )
        return (active, ended)
    }

    @Test func aTickMakesEveryActiveClinicsSessionsForTheWeeksAheadOnceEvenOnTwoCopies() async throws {
        try await withTestDatabase { db, url in
            let f = try await Fixture.make(db)
            let today = SimpleDate.todayInChina()
            let config = clinicConfig(weeksAhead: 3)
            let (active, ended) = try await clinics(db, f, today: today)
            let calendar = try HolidayCalendar.load(directory: config.holidaysDirectory)
            let horizon = today.adding(days: 3 * 7 - 1)
            // What the planner says the three weeks hold, clinic by clinic.
            let planned = active.flatMap { c in
                SessionPlanner.plan(c.rule, from: today, through: horizon, calendar: calendar, onHoliday: .nextWorkday).map { "\(c.id) \($0.day)" }
            }
            #expect(planned.count >= 18)  // one day a week for each of six clinics, at least
            try await withServicePools(2, config: config, url) { clocks, _ in
                // Two service copies tick at the same moment.
                async let a = clocks[0].tick(today: today)
                async let b = clocks[1].tick(today: today)
                let (first, second) = try await (a, b)
                let made = first.created + first.moved + first.cancelled + second.created + second.moved + second.cancelled
                #expect(made == planned.count, "\(first) \(second)")
                let rows = try await db.client.query(
                    """
                    SELECT clinic_id, to_char(on_date, 'YYYY-MM-DD') FROM clinic_session ORDER BY clinic_id, on_date
                    """
                ).decode((Int64, String).self).all()
                #expect(rows.map { "\($0.0) \($0.1)" } == planned.sorted())
                #expect(rows.allSatisfy { $0.0 != ended.id })
                // Each scheduled session has its two slots once.
                let slots = try await db.client.query(
                    """
                    SELECT count(*)::int, count(DISTINCT (session_id, slot))::int,
                           (SELECT count(*) FROM clinic_session WHERE status = 'scheduled')::int FROM session_slot
                    """
                ).decode((Int, Int, Int).self).all()
                #expect(slots.map(\.0) == slots.map { $0.2 * 2 } && slots.map(\.1) == slots.map(\.0))
                // The next round makes nothing new.
                let third = try await clocks[0].tick(today: today)
                #expect(third.created + third.moved + third.cancelled == 0 && third.unchanged == planned.count)
                // A week later the horizon has moved on: one more week's sessions, nothing twice.
                let later = try await clocks[1].tick(today: today.adding(days: 7))
                #expect(later.created + later.moved + later.cancelled >= 6)
                let again = try await db.client.query("SELECT count(*)::int, count(DISTINCT (clinic_id, on_date))::int FROM clinic_session")
                    .decode((Int, Int).self).all()
                #expect(again.map(\.0) == again.map(\.1) && again.map(\.0) == [planned.count + later.created + later.moved + later.cancelled])
            }
        }
    }

    /// The clock runs as the application runs it (a service of a ServiceGroup beside the pool): it makes
    /// the sessions on its own at start, then sleeps for its interval; a graceful shutdown ends it at once.
    @Test func theClockRunsOnStartAndStopsOnGracefulShutdown() async throws {
        try await withTestDatabase { db, url in
            let f = try await Fixture.make(db)
            let today = SimpleDate.todayInChina()
            let config = clinicConfig(weeksAhead: 2, clockMinutes: 60)
            _ = try await clinics(db, f, today: today)
            let pool = try makeServiceClient(url: url, config: config, logger: quiet)
            let clock = ClinicClock(db: Database(client: pool, logger: quiet, vault: TestDatabase.vault), config: config, logger: quiet)
            #expect(clock.interval == .seconds(3600))
            let group = ServiceGroup(services: [pool, clock], gracefulShutdownSignals: [], logger: quiet)
            let running = Task { try await group.run() }
            var sessions = 0
            for _ in 0..<200 where sessions < 12 {
                try await Task.sleep(for: .milliseconds(50))
                sessions = try await db.client.query("SELECT count(*)::int FROM clinic_session").decode(Int.self).all().first ?? 0
            }
            #expect(sessions >= 12)  // six clinics, two weeks
            let clock0 = ContinuousClock.now
            await group.triggerGracefulShutdown()
            try await running.value
            #expect(ContinuousClock.now - clock0 < .seconds(10), "the clock waited out its interval")
        }
    }

    /// A tick under way when the service shuts down stops between clinics; what it made stays, and the
    /// next start makes the rest.
    @Test func aCancelledTickKeepsWhatItMadeAndTheNextMakesTheRest() async throws {
        try await withTestDatabase { db, url in
            let f = try await Fixture.make(db)
            let today = SimpleDate.todayInChina()
            let config = clinicConfig(weeksAhead: 4)
            let (active, _) = try await clinics(db, f, today: today)
            try await withServicePools(1, config: config, url) { clocks, _ in
                let cancelled = Task { try await clocks[0].tick(today: today) }
                cancelled.cancel()
                _ = try? await cancelled.value
                let summary = try await clocks[0].tick(today: today)
                let rows = try await db.client.query("SELECT count(*)::int, count(DISTINCT (clinic_id, on_date))::int FROM clinic_session")
                    .decode((Int, Int).self).all()
                #expect(rows.map(\.0) == rows.map(\.1) && (rows.first?.0 ?? 0) >= active.count * 4)
                #expect(summary.unchanged + summary.created + summary.moved + summary.cancelled == rows.first?.0)
            }
        }
    }
}
