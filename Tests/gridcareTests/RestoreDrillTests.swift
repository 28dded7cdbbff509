import Foundation
import GridcareCore
import GridcareStore
import GridcareTestSupport
import Logging
import PostgresNIO
import Testing

/// Issue 21, part 1, the restore drill: an embedded cluster of its own, bookings and claims written, a
/// base backup taken with `gridcare backup now`, more written, a moment noted, more still; the WAL
/// archived, the cluster destroyed, `gridcare restore --to` that moment, and exactly what committed
/// before it found again — nothing more, nothing less.
@Suite struct RestoreDrillTests {
    /// Runs the CLI on the drill's own embedded cluster (no database.url).
    func gridcare(_ data: String, _ arguments: String...) throws -> CLI.Result {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("gc-drill-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "GRIDCARE_DATABASE_URL")
        env["GRIDCARE_DATABASE_EMBEDDED_DATA_DIRECTORY"] = data
        env["GRIDCARE_LOG_LEVEL"] = "warning"
        env["GRIDCARE_SECURITY_IDENTITY_KEY"] = TestDatabase.identityKeyBase64
        let status = try ChildProcess.run(CLI.binary, arguments, outputFile: out, environment: env)
        return CLI.Result(status: status, output: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "")
    }

    func start(_ data: String) throws -> DatabaseURL {
        let started = try gridcare(data, "db", "start")
        #expect(started.status == 0, "\(started.output)")
        let line = try #require(started.output.split(separator: "\n").last(where: { $0.hasPrefix("postgres") }))
        return try DatabaseURL(parsing: String(line))
    }

    struct Written: Equatable {
        var bookings: [Int64]
        var claims: [Int64]
        var offerLeft: Int
    }

    func written(_ db: Database) async throws -> Written {
        let bookings = try await db.rows("SELECT id FROM booking ORDER BY id", as: Int64.self, logger: quiet)
        let claims = try await db.rows("SELECT id FROM board_claim ORDER BY id", as: Int64.self, logger: quiet)
        let left = try await db.first("SELECT sum(available)::int FROM board_offer", as: Int.self, logger: quiet)
        return Written(bookings: bookings, claims: claims, offerLeft: left ?? -1)
    }

    @Test func aClusterDestroyedAndRestoredToAMomentHasExactlyWhatCommittedBeforeIt() async throws {
        let root = "/tmp/gc-drill-\(UUID().uuidString.prefix(8))"
        let data = root + "/pg"
        defer {
            _ = try? gridcare(data, "db", "stop")
            try? FileManager.default.removeItem(atPath: root)
        }
        let url = try start(data)
        let (noted, beforeMoment, atTheEnd) = try await withClient(url, poolSize: 2) { client in
            let db = Database(client: client, logger: quiet, vault: TestDatabase.vault)
            let f = try await Fixture.make(db)
            let users = try await TestUsers.make(db, f)
            let admin = db.scoped(try #require(try await TokenStore(db).authenticate(users[.admin], logger: quiet)).scope, operation: "drill")
            let grid = db.scoped(try #require(try await TokenStore(db).authenticate(users[.gridWorker], logger: quiet)).scope, operation: "drill")
            let centre = db.scoped(try #require(try await TokenStore(db).authenticate(users[.centreStaff], logger: quiet)).scope, operation: "drill")
            let today = SimpleDate.todayInChina()
            // A weekly clinic on every weekday, so there is a session in the next week whatever today is.
            for weekday in 1...5 {
                _ = try await ClinicStore(db).create(
                    stationId: f.stationId,
                    teamId: f.teamId,
                    rule: ClinicRule(
                        weekday: weekday,
                        startMinute: 9 * 60,
                        endMinute: 11 * 60,
                        slotMinutes: 30,
                        capacityPerSlot: 4,
                        validFrom: today,
                        validUntil: nil
                    ),
                    logger: quiet
                )
            }
            _ = try await ClinicStore(db).generate(
                from: today,
                through: today.adding(days: 14),
                calendar: HolidayCalendar(),
                onHoliday: .nextWorkday,
                logger: quiet
            )
            let session = try #require(
                try await db.first(
                    "SELECT id FROM clinic_session WHERE on_date > current_date ORDER BY on_date LIMIT 1",
                    as: Int64.self,
                    logger: quiet
                )
            )
            let box = try await BoardStore(centre).createBox(
                areaId: f.microGridIds[0],
                kind: "box",
                name: "楼道药箱",
                place: nil,
                custodianId: f.gridWorkerIds[0],
                logger: quiet
            )
            let offer = try await BoardStore(grid).postOffer(
                .init(
                    boxId: box.id,
                    itemName: "对乙酰氨基酚片",
                    category: .otcMedicine,
                    quantity: 10,
                    unit: "片",
                    expiresOn: today.adding(days: 60),
                    donorName: "邻居",
                    note: nil
                ),
                today: today,
                logger: quiet
            )
            var residents: [Int64] = []
            for n in 0..<6 {
                residents.append(
                    try await ResidentStore(db).create(Fixture.residentDraft(household: f.householdIds[0], n: 700 + n), logger: quiet).id
                )
            }
            /// One booking and one claim of `quantity` for resident `n`.
            func write(_ n: Int, quantity: Int) async throws {
                _ = try await BookingStore(admin).book(sessionId: session, residentId: residents[n], walkIn: false, logger: quiet)
                let request = try await BoardRequestStore(grid).post(
                    .init(residentId: residents[n], itemName: "对乙酰氨基酚", category: .otcMedicine, quantity: quantity, urgency: .routine, reason: "发热"),
                    logger: quiet
                )
                _ = try await ClaimStore(grid).claim(requestId: request.id, offerId: offer.id, quantity: quantity, today: today, logger: quiet)
            }

            try await write(0, quantity: 1)
            let backup = try gridcare(data, "backup", "now")
            #expect(backup.status == 0, "\(backup.output)")
            try await write(1, quantity: 2)
            _ = try await BookingStore(admin).book(sessionId: session, residentId: residents[2], walkIn: true, logger: quiet)
            let beforeMoment = try await written(db)
            let noted = try #require(try await db.first("SELECT clock_timestamp()", as: Date.self, logger: quiet))
            try await Task.sleep(for: .milliseconds(50))
            try await write(3, quantity: 3)
            let atTheEnd = try await written(db)
            // The last segment is archived before the cluster is lost.
            let segment = try #require(try await db.first("SELECT pg_walfile_name(pg_switch_wal())", as: String.self, logger: quiet))
            var archived = false
            for _ in 0..<300 where !archived {
                let last = try await db.first("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver", as: String.self, logger: quiet)
                archived = (last ?? "") >= segment
                if !archived { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(archived, "segment \(segment) was not archived")
            return (noted, beforeMoment, atTheEnd)
        }
        #expect(beforeMoment.bookings.count == 3 && beforeMoment.claims.count == 2 && beforeMoment.offerLeft == 7)
        #expect(atTheEnd.bookings.count == 4 && atTheEnd.claims.count == 3 && atTheEnd.offerLeft == 4)

        // The cluster is lost.
        #expect(try gridcare(data, "db", "stop").status == 0)
        try FileManager.default.removeItem(atPath: data)
        let list = try gridcare(data, "backup", "list")
        #expect(list.status == 0 && list.output.contains("archived WAL:"), "\(list.output)")

        let time = ISO8601DateFormatter()
        time.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let restored = try gridcare(data, "restore", "--to", time.string(from: noted))
        #expect(restored.status == 0, "\(restored.output)")
        #expect(restored.output.contains("restored from"))

        let again = try start(data)
        try await withClient(again, poolSize: 1) { client in
            let db = Database(client: client, logger: quiet, vault: TestDatabase.vault)
            #expect(try await written(db) == beforeMoment)
            // A primary again: it takes writes.
            let writable = try await db.first("SELECT NOT pg_is_in_recovery()", as: Bool.self, logger: quiet)
            #expect(writable == true)
        }
    }
}
