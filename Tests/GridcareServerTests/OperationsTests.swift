import Configuration
import Foundation
import GridcareServer
import GridcareStore
import GridcareTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PostgresNIO
import Testing

/// Issue 21, part 4: `/metrics` for administrators and loopback only, counting what the service did;
/// `/readyz` failing while the database is unreachable or migrations are pending, apart from `/healthz`.
@Suite struct OperationsTests {
    func text(_ client: any TestClientProtocol, _ uri: String, token: String?) async throws -> (HTTPResponse.Status, String) {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(uri: uri, method: .get, headers: headers) { ($0.status, String(buffer: $0.body)) }
    }

    /// The value of one series (`name{labels}`) in a scrape, or nil when it is not there.
    func value(_ scrape: String, _ series: String) -> Double? {
        for line in scrape.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    @Test func metricsCountRequestsByOperationAndStatusForAnAdministratorOnly() async throws {
        try await withScopedAPI { client, f, users, db in
            // Two reads of a resident and one of a missing one, as centre staff.
            let resident = try await ResidentStore(db).create(Fixture.residentDraft(household: f.householdIds[0], n: 1), logger: quiet)
            for id in [resident.id, resident.id, 987_654] {
                _ = try await client.call(.get, "/v1/residents/\(id)", token: users[.centreStaff])
            }
            // Without a socket there is no loopback: no token is 401, centre staff's is 403, and neither is told anything.
            let (anonymous, anonymousBody) = try await text(client, "/metrics", token: nil)
            #expect(anonymous == .unauthorized)
            #expect(!anonymousBody.contains("gridcare_http_requests_total"))
            let (doctor, doctorBody) = try await text(client, "/metrics", token: users[.centreStaff])
            #expect(doctor == .forbidden)
            #expect(!doctorBody.contains("gridcare_"))
            let (status, scrape) = try await text(client, "/metrics", token: users[.admin])
            #expect(status == .ok)
            #expect(value(scrape, #"gridcare_http_requests_total{operation="GET /v1/residents/{id}",status="200"}"#) == 2)
            #expect(value(scrape, #"gridcare_http_requests_total{operation="GET /v1/residents/{id}",status="404"}"#) == 1)
            // The refused scrapes are counted too, under the route, not the caller.
            #expect(value(scrape, #"gridcare_http_requests_total{operation="GET /metrics",status="401"}"#) == 1)
            #expect(value(scrape, #"gridcare_http_request_duration_seconds_count{operation="GET /v1/residents/{id}"}"#) == 3)
            #expect(scrape.contains("# TYPE gridcare_http_request_duration_seconds histogram"))
            #expect(value(scrape, "gridcare_db_pool_size") == 4)
            #expect(value(scrape, "gridcare_db_pool_waiting") == 0)
            #expect(value(scrape, "gridcare_solver_places") != nil)
            #expect(value(scrape, "gridcare_outbox_readable") == 1)
            #expect(value(scrape, "gridcare_outbox_dead") == 0)
            // A made-up path adds no series of its own.
            _ = try await text(client, "/v1/no-such-thing/\(UUID().uuidString)", token: users[.admin])
            let (_, after) = try await text(client, "/metrics", token: users[.admin])
            #expect(!after.contains("no-such-thing"))
            #expect(value(after, #"gridcare_http_requests_total{operation="unmatched",status="404"}"#) == 1)
        }
    }

    @Test func metricsShowAConnectionHeldAndAStatementTimeout() async throws {
        let config = testConfig([AbsoluteConfigKey(["database", "statementTimeoutMs"]): .init(.int(200), isSecret: false)])
        try await withScopedAPI(config: config) { client, f, users, db in
            // A lock held by the owner makes a doctor's change of the resident wait past its statement timeout.
            let resident = try await ResidentStore(db).create(Fixture.residentDraft(household: f.householdIds[0], n: 2), logger: quiet)
            try await db.transaction { conn in
                try await conn.query("SELECT 1 FROM resident WHERE id = \(resident.id) FOR UPDATE", logger: quiet)
                let (status, _, _) = try await client.call(
                    .patch,
                    "/v1/residents/\(resident.id)",
                    json: ["phone": "13800000000"],
                    token: users[.admin]
                )
                #expect(status == .serviceUnavailable)
            }
            let (_, scrape) = try await text(client, "/metrics", token: users[.admin])
            #expect((value(scrape, "gridcare_db_statement_timeouts") ?? 0) >= 1)
            #expect(value(scrape, #"gridcare_http_server_errors_total{operation="PATCH /v1/residents/{id}",status="503"}"#) == 1)
        }
    }

    @Test func loopbackReadsMetricsWithoutATokenUnlessTurnedOff() async throws {
        try await withTestDatabase { db, url in
            for allowed in [true, false] {
                let config = testConfig([AbsoluteConfigKey(["metrics", "loopback"]): .init(.bool(allowed), isSecret: false)])
                let service = try makeServiceClient(url: url, config: config, logger: quiet)
                let app = Application(
                    router: try buildRouter(config: config, client: service, logger: quiet),
                    configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                    services: [service]
                )
                try await app.test(.live) { client in
                    let (status, scrape) = try await text(client, "/metrics", token: nil)
                    #expect(status == (allowed ? .ok : .unauthorized))
                    #expect(scrape.contains("gridcare_db_pool_in_use") == allowed)
                }
            }
        }
    }

    @Test func readinessFailsWhileMigrationsArePendingAndLivenessDoesNot() async throws {
        // The migrations folder of a newer release: one more file than the database has applied.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gridcare-ready-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let source = Migrator.defaultDirectory(configured: nil)
        for file in try FileManager.default.contentsOfDirectory(atPath: source) where file.hasSuffix(".sql") {
            try FileManager.default.copyItem(atPath: source + "/" + file, toPath: folder + "/" + file)
        }
        try "SELECT 1;\n".write(toFile: folder + "/9999_newer_release.sql", atomically: true, encoding: .utf8)
        try await withScopedAPI { client, _, _, db in
            let (ready, body) = try await text(client, "/readyz", token: nil)
            #expect(ready == .ok)
            #expect(body.contains(#""status":"ready""#))
        }
        try await withTestDatabase { _, url in
            let config = testConfig([AbsoluteConfigKey(["database", "migrations"]): .init(.string(folder), isSecret: false)])
            let service = try makeServiceClient(url: url, config: config, logger: quiet)
            let app = try buildApplication(config: config, client: service, logger: quiet)
            try await app.test(.router) { client in
                let (status, body) = try await text(client, "/readyz", token: nil)
                #expect(status == .serviceUnavailable)
                #expect(body.contains("9999"))
                let (live, _) = try await text(client, "/healthz", token: nil)
                #expect(live == .ok)
            }
        }
    }

    @Test func readinessFailsWithinSecondsWhenTheDatabaseIsUnreachable() async throws {
        // A port nobody listens on: the pool keeps trying to connect, readiness does not wait for it.
        let config = testConfig()
        let unreachable = try DatabaseURL(parsing: "postgres://gridcare:x@127.0.0.1:1/gridcare")
        let service = PostgresClient(configuration: unreachable.clientConfiguration, backgroundLogger: quiet)
        let app = Application(
            router: try buildRouter(config: config, client: service, logger: quiet),
            services: [service]
        )
        try await app.test(.router) { client in
            let (status, body) = try await text(client, "/readyz", token: nil)
            #expect(status == .serviceUnavailable)
            #expect(body.contains("unreachable"))
        }
    }

    /// The audit clock runs as the service's own login: its grants must be enough to make months,
    /// detach, read and drop an old one, and no more.
    @Test func theServicesLoginArchivesAnOldMonthAsTheAuditClockDoes() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gridcare-audit-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await withTestDatabase { db, url in
            let made = try await db.first(
                "SELECT gridcare_audit_add_month((now() AT TIME ZONE 'Asia/Shanghai' - interval '10 months')::date)",
                as: String.self,
                logger: quiet
            )
            let old = try #require(made)
            try await db.withConnection { conn in
                try await conn.query(
                    """
                    INSERT INTO audit_event (at, operation, action, outcome)
                    SELECT date_trunc('month', now() - interval '10 months') + interval '20 days', 'getResident', 'read', 'ok'
                    FROM generate_series(1, 5)
                    """,
                    logger: quiet
                )
            }
            let service = try makeServiceClient(url: url, config: testConfig(), logger: quiet)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await service.run() }
                defer { group.cancelAll() }
                let asService = Database(client: service, logger: quiet, vault: db.vault)
                try await AuditArchive(asService).prepare(monthsAhead: 6, logger: quiet)
                let done = try await AuditArchive(asService).archive(keepMonths: 6, directory: folder, logger: quiet)
                #expect(done.map(\.partition) == [old])
                #expect(done.first?.rows == 5)
                #expect(FileManager.default.fileExists(atPath: folder + "/\(old).csv"))
                // What the service's login may not do with the trail, even so.
                for statement in ["DELETE FROM audit_event", "DROP TABLE audit_event_later", "SELECT gridcare_audit_add_month('2020-01-01')"] {
                    await #expect(throws: PSQLError.self, "\(statement)") {
                        _ = try await service.query(PostgresQuery(unsafeSQL: statement), logger: quiet).collect()
                    }
                }
            }
        }
    }
}
