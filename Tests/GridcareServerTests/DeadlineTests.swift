import Configuration
import GridcareStore
import GridcareTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import OpenAPIRuntime
import PostgresNIO
import Testing

@testable import GridcareServer

@Suite struct DeadlineTests {
    /// A rounds plan solves for as long as its caller asks (up to 30 s): that budget comes on top of the
    /// deadline, which still bounds every other operation.
    @Test func anOperationWithABudgetOfItsOwnGetsItOnTopOfTheDeadline() async throws {
        let middleware = DeadlineMiddleware(deadline: .milliseconds(200))
        let slow: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?) = { _, _, _ in
            try await Task.sleep(for: .milliseconds(700))
            return (HTTPResponse(status: .created), nil)
        }
        let request = HTTPRequest(method: .post, scheme: "http", authority: "localhost", path: "/v1/teams/1/rounds-plans")
        let (planned, _) = try await middleware.intercept(request, body: nil, metadata: .init(), operationID: "planRounds", next: slow)
        #expect(planned.status == .created)
        await #expect(throws: Problem.self) {
            _ = try await middleware.intercept(request, body: nil, metadata: .init(), operationID: "createFlag", next: slow)
        }
    }

    /// One watch serves every request at once: of many requests running together, each late one has its
    /// work cancelled and answers 503 while each quick one answers as usual, and after the watch has gone
    /// idle a late request is still stopped.
    @Test func manyRequestsAtOnceEachKeepTheirOwnDeadline() async throws {
        let middleware = DeadlineMiddleware(deadline: .milliseconds(200))
        let request = HTTPRequest(method: .get, scheme: "http", authority: "localhost", path: "/v1/residents/1")
        // A late request's work sleeps far past the deadline; a cancelled sleep throws, and that is counted.
        let work: @Sendable (Bool) -> @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?) = { late in
            { _, _, _ in
                if late { try await Task.sleep(for: .seconds(20)) }
                return (HTTPResponse(status: .ok), nil)
            }
        }
        func round() async throws -> (ok: Int, refused: Int) {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<40 {
                    group.addTask {
                        do {
                            return try await middleware.intercept(
                                request,
                                body: nil,
                                metadata: .init(),
                                operationID: "getResident",
                                next: work(i % 2 == 1)
                            ).0.status.code
                        } catch let problem as Problem {
                            return problem.status
                        }
                    }
                }
                var (ok, refused) = (0, 0)
                for try await status in group {
                    if status == 503 { refused += 1 } else if status == 200 { ok += 1 }
                }
                return (ok, refused)
            }
        }
        let clock = ContinuousClock()
        let start = clock.now
        let first = try await round()
        #expect(first.ok == 20 && first.refused == 20)
        // The late ones' work was cancelled, not waited out (20 s each); generous for two shared cores.
        #expect(clock.now - start < .seconds(10))
        try await Task.sleep(for: .milliseconds(300))
        let second = try await round()
        #expect(second.ok == 20 && second.refused == 20)
    }

    /// A database that does not answer must give 503 within the deadline, not the pool's 60-second wait.
    @Test func anUnreachableDatabaseAnswers503WithinTheDeadline() async throws {
        let port = 1  // nothing listens on port 1 of loopback
        let url = DatabaseURL(host: "127.0.0.1", port: port, username: "nobody", password: "x", database: "none")
        let config = testConfig(["http.requestDeadlineMs": .init(.int(400), isSecret: false)])
        try await withClient(url, poolSize: 2) { client in
            let app = Application(router: try buildRouter(config: config, client: client, logger: quiet))
            try await app.test(.router) { client in
                let clock = ContinuousClock()
                let start = clock.now
                let (status, problem, _) = try await client.call(.get, "/v1/residents/1", token: "gct_signing_in_needs_the_database")
                #expect(status == .serviceUnavailable)
                #expect(problem["status"] as? Int == 503)
                // Far below the pool's 60-second wait; generous, because the whole suite shares two cores.
                #expect(clock.now - start < .seconds(30))
            }
        }
    }

    /// A query stuck behind a lock must not hold the answer past the deadline either. The lock is held for
    /// 20 s, so without the server-side statement timeout the answer would come after it, failing the check.
    @Test func aQueryStuckBehindALockAnswers503WithinTheDeadline() async throws {
        try await withTestDatabase { db, url in
            let f = try await Fixture.make(db)
            let users = try await TestUsers.make(db, f)
            let config = testConfig(["http.requestDeadlineMs": .init(.int(500), isSecret: false)])
            let service = try makeServiceClient(url: url, config: config, logger: quiet)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await service.run() }
                group.addTask {
                    try await db.client.withConnection { locker in
                        try await locker.query("BEGIN")
                        try await locker.query("LOCK TABLE household IN ACCESS EXCLUSIVE MODE")
                        try await locker.query("SELECT pg_sleep(20)")
                        try await locker.query("ROLLBACK")
                    }
                }
                try await Task.sleep(for: .milliseconds(300))
                let app = Application(router: try buildRouter(config: config, client: service, logger: quiet))
                try await app.test(.router) { client in
                    let clock = ContinuousClock()
                    let start = clock.now
                    let (status, _, _) = try await client.call(.get, "/v1/households/\(f.householdIds[0])", token: users[.admin])
                    #expect(status == .serviceUnavailable)
                    #expect(clock.now - start < .seconds(15))
                }
                group.cancelAll()
            }
        }
    }
}
