import Configuration
import GridcareServer
import GridcareStore
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing

@Suite struct DeadlineTests {
    /// A database that does not answer must give 503 within the deadline, not the pool's 60-second wait.
    @Test func anUnreachableDatabaseAnswers503WithinTheDeadline() async throws {
        let port = 1 // nothing listens on port 1 of loopback
        let url = DatabaseURL(host: "127.0.0.1", port: port, username: "nobody", password: "x", database: "none")
        let config = testConfig(["http.requestDeadlineMs": .init(.int(400), isSecret: false)])
        try await withClient(url, poolSize: 2) { client in
            let app = Application(router: try buildRouter(config: config, client: client, logger: quiet))
            try await app.test(.router) { client in
                let clock = ContinuousClock()
                let start = clock.now
                let (status, problem, _) = try await client.call(.get, "/v1/residents/1")
                #expect(status == .serviceUnavailable)
                #expect(problem["status"] as? Int == 503)
                #expect(clock.now - start < .seconds(5))
            }
        }
    }
}
