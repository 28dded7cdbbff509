import Configuration
import Foundation
import GridcareCore
import GridcareServer
import GridcareTestSupport
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import Testing

@testable import GridcareStore

/// Issue 21, part 5: two whole service copies on one database, every clock of each running (board,
/// clinics, referrals, indicators, the audit trail's months) and each keeping callers in its cache, as
/// behind a load balancer. A sign-out at one copy is refused at the other; the clocks' work is done
/// once; a request answers the same whichever copy takes it.
@Suite struct TwoCopiesTests {
    @Test func twoCopiesShareOneDatabaseWithEveryClockRunning() async throws {
        let values: [AbsoluteConfigKey: ConfigValue] = [
            AbsoluteConfigKey(["security", "callerCacheSeconds"]): .init(.int(30), isSecret: false),
            AbsoluteConfigKey(["audit", "jobMinutes"]): .init(.int(1), isSecret: false),
            AbsoluteConfigKey(["rules", "indicators", "refreshMinutes"]): .init(.int(1), isSecret: false),
            AbsoluteConfigKey(["rules", "clinics", "generateJobMinutes"]): .init(.int(1), isSecret: false),
        ]
        let config = testConfig(values)
        try await withTestDatabase { db, url in
            let f = try await Fixture.make(db)
            let users = try await TestUsers.make(db, f)
            let clinic = try await ClinicStore(db).create(
                stationId: f.stationId,
                teamId: f.teamId,
                rule: ClinicRule(
                    weekday: 3,
                    startMinute: 9 * 60,
                    endMinute: 11 * 60,
                    slotMinutes: 30,
                    capacityPerSlot: 2,
                    validFrom: SimpleDate.todayInChina(),
                    validUntil: nil
                ),
                logger: quiet
            )
            // Two caches, two pools, two sets of clocks: nothing shared but the database.
            let cacheA = CallerCache()
            let cacheB = CallerCache()
            let appA = try buildApplication(
                config: config,
                client: try makeServiceClient(url: url, config: config, logger: quiet),
                logger: quiet,
                callers: cacheA
            )
            let appB = try buildApplication(
                config: config,
                client: try makeServiceClient(url: url, config: config, logger: quiet),
                logger: quiet,
                callers: cacheB
            )
            try await appA.test(.router) { a in
                try await appB.test(.router) { b in
                    // The same answer from either copy.
                    let (statusA, meA, _) = try await a.call(.get, "/v1/me", token: users[.gridWorker])
                    let (statusB, meB, _) = try await b.call(.get, "/v1/me", token: users[.gridWorker])
                    #expect(statusA == .ok && statusB == .ok && meA["username"] as? String == meB["username"] as? String)

                    // A session signed in at A, used at B until B keeps it, then signed out at A: B refuses it.
                    let token = try await a.signIn("doctor")
                    try await CallerCacheTests.kept(token, by: cacheB, b)
                    #expect(try await a.call(.delete, "/v1/sessions/current", token: token).0 == .noContent)
                    try await CallerCacheTests.emptied(cacheB)
                    #expect(try await b.call(.get, "/v1/me", token: token).0 == .unauthorized)

                    // Both copies' clocks ran (each ticks once at start): the clinic's sessions were made
                    // once, the audit trail's months are there once, and each copy still answers.
                    var sessions = 0
                    for _ in 0..<100 {
                        sessions =
                            try await db.first(
                                "SELECT count(*)::int FROM clinic_session WHERE clinic_id = \(clinic.id)",
                                as: Int.self,
                                logger: quiet
                            ) ?? 0
                        if sessions > 0 { break }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    #expect(sessions > 0)
                    let twice = try await db.first(
                        "SELECT count(*)::int FROM (SELECT on_date FROM clinic_session WHERE clinic_id = \(clinic.id) GROUP BY on_date HAVING count(*) > 1) d",
                        as: Int.self,
                        logger: quiet
                    )
                    #expect(twice == 0)
                    let months = try await AuditArchive(db).partitions(logger: quiet).map(\.name)
                    #expect(Set(months).count == months.count && months.count >= 5)
                    #expect(try await a.call(.get, "/readyz", token: nil).0 == .ok)
                    #expect(try await b.call(.get, "/readyz", token: nil).0 == .ok)
                }
            }
        }
    }
}
