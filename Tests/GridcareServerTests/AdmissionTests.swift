import Configuration
import Foundation
import GridcareCore
import GridcareServer
import GridcareStore
import GridcareTestSupport
import HTTPTypes
import HummingbirdTesting
import Synchronization
import Testing

/// The order answers came back in, across tasks.
final class Arrivals: Sendable {
    let answers = Mutex<[String]>([])
    func add(_ answer: String) { answers.withLock { $0.append(answer) } }
    var order: [String] { answers.withLock { $0 } }
}

/// Security issue, item 8: heavy work is admitted, not queued. With one place, a second solve or
/// mobilisation check answers 429 with Retry-After at once; a solve nobody waits for stops and gives its
/// place back.
@Suite(.serialized) struct AdmissionTests {
    static func config() -> AppConfig {
        concurrencyConfig([
            AbsoluteConfigKey(["rules", "heavyWork", "maxConcurrent"]): .init(.int(1), isSecret: false),
            AbsoluteConfigKey(["rules", "heavyWork", "retryAfterSeconds"]): .init(.int(7), isSecret: false),
        ])
    }

    /// Residents due a visit, and the team's members making rounds on Mondays only, so a plan is one
    /// solve that takes the whole of its `seconds`.
    func oneSolveWeek(_ client: any TestClientProtocol, _ f: Fixture, _ users: TestUsers, _ db: Database) async throws -> String {
        _ = try await RoundsAPITests().bedbound(db, f)
        for member in [f.doctorId, f.nurseId] {
            #expect(
                try await client.call(
                    .put,
                    "/v1/care-teams/\(f.teamId)/members/\(member)/rounds-days",
                    json: ["weekdays": [1]],
                    token: users[.centreStaff]
                ).0 == .ok
            )
        }
        return ISOWeek(containing: SimpleDate.todayInChina().adding(days: 7)).description
    }

    /// Waits until the plan request has its place and has read its week (the input's audit row commits
    /// just before the solve starts): an observed fact, not a sleep.
    func waitForSolve(_ db: Database, team: Int64, seen before: Int = 0) async throws {
        for _ in 0..<3000 {
            let n =
                try await db.client.query("SELECT count(*)::int FROM audit_event WHERE detail LIKE \("rounds input team \(team) %")")
                .decode(Int.self).all().first ?? 0
            if n > before { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("the admitted plan never started its solve")
    }

    @Test func withOnePlaceTheOthersAnswer429AtOnceWhileTheAdmittedSolveRuns() async throws {
        try await withScopedAPI(config: Self.config()) { client, f, users, db in
            let week = try await oneSolveWeek(client, f, users, db)
            let doctor = users[.centreStaff]
            let manager = users[.districtManager]
            let team = f.teamId
            let district = f.districtId
            let log = Arrivals()
            let admitted = Task {
                // Long enough that the others, sent once it has started, arrive while it solves on a loaded machine.
                let (status, plan, _) = try await client.call(
                    .post,
                    "/v1/teams/\(team)/rounds-plans",
                    json: ["week": week, "seconds": 15],
                    token: doctor
                )
                log.add("admitted \(status.code)")
                return (status, stops(plan).count)
            }
            try await waitForSolve(db, team: team)
            let refused = try await withThrowingTaskGroup(of: (HTTPResponse.Status, Int?, String?, String?).self) { group in
                for i in 0..<6 {
                    group.addTask {
                        let (status, problem, headers) =
                            i < 4
                            ? try await client.call(.post, "/v1/teams/\(team)/rounds-plans", json: ["week": week, "seconds": 4], token: doctor)
                            : try await client.call(.get, "/v1/reports/mobilisation?districtId=\(district)", token: manager)
                        log.add("other \(status.code)")
                        return (status, problem["status"] as? Int, headers[.retryAfter], headers[.contentType])
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            for (status, problemStatus, retryAfter, contentType) in refused {
                #expect(status == .tooManyRequests)
                #expect(retryAfter == "7")
                #expect(contentType?.hasPrefix("application/problem+json") == true)
                #expect(problemStatus == 429)
            }
            let (status, planned) = try await admitted.value
            #expect(status == .created)
            #expect(planned == 3)
            // Every refusal came back while the admitted solve was still running.
            #expect(log.order == Array(repeating: "other 429", count: 6) + ["admitted 201"])
            // Its place is free again.
            #expect(
                try await client.call(.post, "/v1/teams/\(team)/rounds-plans", json: ["week": week, "seconds": 0.1], token: doctor).0 == .created
            )
            #expect(try await client.call(.get, "/v1/reports/mobilisation?districtId=\(district)", token: manager).0 == .ok)
        }
    }

    /// A plan whose request goes away (its task cancelled, as when the client disconnects or the deadline
    /// passes) stops solving, saves nothing and gives its place back long before its 30 seconds.
    @Test func aCancelledPlanStopsItsSolveAndGivesBackItsPlace() async throws {
        try await withScopedAPI(config: Self.config()) { client, f, users, db in
            let week = try await oneSolveWeek(client, f, users, db)
            let doctor = users[.centreStaff]
            let team = f.teamId
            let gone = Task { try await client.call(.post, "/v1/teams/\(team)/rounds-plans", json: ["week": week, "seconds": 30], token: doctor).0 }
            try await waitForSolve(db, team: team)
            gone.cancel()
            // A generous guard, well inside the 30 s budget: a solve that ignored the cancellation would still hold the place.
            let ended = try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    _ = try? await gone.value
                    return true
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(20))
                    return false
                }
                defer { group.cancelAll() }
                return try await group.next()!
            }
            #expect(ended, "the cancelled plan was still solving")
            #expect(try await db.client.query("SELECT count(*)::int FROM rounds_plan").decode(Int.self).all() == [0])
            #expect(
                try await client.call(.post, "/v1/teams/\(team)/rounds-plans", json: ["week": week, "seconds": 0.1], token: doctor).0 == .created
            )
        }
    }

    /// Issue 19: a dashboard period the clock has not rolled up is counted from the records, seconds of the
    /// database's CPU for a large district; such counts take a place of their own, and with every place
    /// taken another answers 429 at once, from the API and from the console alike, instead of piling up.
    @Test func aLiveCountTakesAPlaceAndWithNoneFreeTheNextAnswers429() async throws {
        let config = concurrencyConfig([
            AbsoluteConfigKey(["rules", "indicators", "maxConcurrentLiveCounts"]): .init(.int(1), isSecret: false),
            AbsoluteConfigKey(["rules", "heavyWork", "retryAfterSeconds"]): .init(.int(7), isSecret: false),
        ])
        try await withScopedAPI(config: config) { client, f, users, db in
            let manager = users[.districtManager]
            let today = SimpleDate.todayInChina()
            let span = "from=\(today.adding(days: -40).iso)&to=\(today.adding(days: -10).iso)"
            // The first count waits on a lock held here, in its place, until the test lets it go.
            let (locked, lockedSignal) = AsyncStream<Void>.makeStream()
            let (release, releaseSignal) = AsyncStream<Void>.makeStream()
            let holder = Task {
                try await db.client.withConnection { conn in
                    try await conn.query("BEGIN", logger: quiet)
                    try await conn.query("LOCK TABLE vital_reading IN ACCESS EXCLUSIVE MODE", logger: quiet)
                    lockedSignal.yield()
                    for await _ in release { break }
                    try await conn.query("COMMIT", logger: quiet)
                }
            }
            for await _ in locked { break }
            let first = Task { try await client.call(.get, "/v1/reports/indicators?\(span)", token: manager).0 }
            // Both of its periods are counted at once, each on its own connection: two statements wait.
            var waiting = 0
            for _ in 0..<3000 where waiting < 2 {
                waiting =
                    try await db.client.query(
                        "SELECT count(*)::int FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    ).decode(Int.self).all().first ?? 0
                if waiting < 2 { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(waiting == 2, "the first count's two periods did not both reach their records")

            let (status, problem, headers) = try await client.call(.get, "/v1/reports/indicators?\(span)&teamId=\(f.teamId)", token: manager)
            #expect(status == .tooManyRequests)
            #expect(headers[.retryAfter] == "7")
            #expect(headers[.contentType]?.hasPrefix("application/problem+json") == true)
            #expect((problem["detail"] as? String)?.contains("as many live indicator counts as it admits at once (1)") == true)
            let (pageStatus, page, _) = try await client.page(.get, "/app/district?period=custom&\(span)", token: manager)
            #expect(pageStatus == .tooManyRequests)
            #expect(page.contains("系统繁忙") && page.contains("本年、本季度、本月的指标可直接查看"))
            // Nothing else waits for the place: the API's other reads go on.
            #expect(try await client.call(.get, "/v1/me", token: manager).0 == .ok)

            releaseSignal.yield()
            try await holder.value
            #expect(try await first.value == .ok)
            // The place is free again.
            #expect(try await client.call(.get, "/v1/reports/indicators?\(span)&teamId=\(f.teamId)", token: manager).0 == .ok)
        }
    }
}
