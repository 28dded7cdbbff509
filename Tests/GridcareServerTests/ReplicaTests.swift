import Configuration
import Foundation
import GridcareCore
import GridcareServer
import GridcareStore
import GridcareTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing

/// Issue 21, part 2: a real streaming standby on loopback (pg_basebackup -R from a primary of the test's
/// own). Reports read from it while it keeps up, their audit rows still land on the primary; a standby
/// that falls behind or stops sends them back to the primary.
@Suite struct ReplicaTests {
    /// Runs blocking work (a child process, pg_ctl's wait) on a thread of its own, not the tests' shared pool.
    func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
        }
    }

    /// Runs a PostgreSQL tool as the server's user (root may not run them).
    func pgTool(_ tool: String, _ arguments: [String]) throws {
        let bin = "/usr/lib/postgresql/15/bin/" + tool
        let (path, args) = getuid() == 0 ? ("/usr/sbin/runuser", ["-u", "postgres", "--", bin] + arguments) : (bin, arguments)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("gc-replica-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let status = try ChildProcess.run(path, args, outputFile: out)
        #expect(status == 0, "\(tool): \((try? String(contentsOfFile: out, encoding: .utf8)) ?? "")")
    }

    func scrapeValue(_ client: any TestClientProtocol, _ series: String, admin: String) async throws -> Double? {
        let text = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(admin)"]) {
            String(buffer: $0.body)
        }
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") { return Double(line.dropFirst(series.count + 1)) }
        return nil
    }

    /// Waits (up to a minute: the suite shares two cores) until the replica is or is not in use.
    func waitUntil(usable: Bool, _ client: any TestClientProtocol, admin: String) async throws {
        for _ in 0..<600 {
            if try await scrapeValue(client, "gridcare_replica_usable", admin: admin) == (usable ? 1 : 0) { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("the replica never became \(usable ? "usable" : "unused")")
    }

    func coverage(_ client: any TestClientProtocol, _ f: Fixture, admin: String) async throws -> Int {
        let (status, body, _) = try await client.call(.get, "/v1/reports/coverage?districtId=\(f.districtId)", token: admin)
        #expect(status == .ok)
        return households(body)
    }

    /// The households of the micro-grids the coverage report lists (the fixture's are all under size).
    func households(_ json: Any) -> Int {
        if let object = json as? [String: Any] {
            return (object["households"] as? Int ?? 0) + object.values.map(households).reduce(0, +)
        }
        if let array = json as? [Any] { return array.map(households).reduce(0, +) }
        return 0
    }

    @Test func reportsReadOnAKeptUpStandbyAndFallBackToThePrimary() async throws {
        let root = "/tmp/gc-replica-\(UUID().uuidString.prefix(8))"
        let primaryData = root + "/primary"
        let standbyData = root + "/standby"
        let primaryCluster = try EmbeddedPostgres(dataDirectory: primaryData, logger: quiet)
        defer {
            try? EmbeddedPostgres(dataDirectory: standbyData, logger: quiet).stop()
            try? primaryCluster.stop()
            try? FileManager.default.removeItem(atPath: root)
        }
        let config0 = testConfig()
        let boot = try await DatabaseBootstrap.open(
            configuredURL: nil,
            embeddedDataDirectory: primaryData,
            embeddedBinDirectory: nil,
            migrationsDirectory: nil,
            vault: TestDatabase.vault,
            serviceRole: config0.serviceRole,
            logger: quiet
        )
        let owner = boot.url
        // The standby: a base backup that streams from the primary (-R writes standby.signal and primary_conninfo).
        let passfile = root + "/pgpass"
        FileManager.default.createFile(
            atPath: passfile,
            contents: Data("127.0.0.1:\(owner.port):*:\(owner.username):\(owner.password ?? "")\n".utf8),
            attributes: [.posixPermissions: 0o600]
        )
        if getuid() == 0 { _ = try ChildProcess.run("/bin/chown", ["postgres", passfile, root], outputFile: nil) }
        try await offPool {
            try pgTool(
                "pg_basebackup",
                [
                    "-d", "host=127.0.0.1 port=\(owner.port) user=\(owner.username) passfile=\(passfile)", "-D", standbyData, "-R", "-X", "stream",
                    "--checkpoint=fast",
                ]
            )
        }
        let (standby, _) = try await offPool { try EmbeddedPostgres(dataDirectory: standbyData, logger: quiet).start() }

        let config = testConfig([
            AbsoluteConfigKey(["database", "replicaUrl"]): .init(.string(standby.connectionString), isSecret: true),
            AbsoluteConfigKey(["database", "replicaMaxLagSeconds"]): .init(.int(8), isSecret: false),
        ])
        try await withClient(owner, poolSize: 2) { ownerClient in
            let db = Database(client: ownerClient, logger: quiet, vault: TestDatabase.vault)
            let f = try await Fixture.make(db)
            let users = try await TestUsers.make(db, f)
            let admin = users[.admin]
            let service = try makeServiceClient(url: owner, config: config, logger: quiet)
            let app = try buildApplication(config: config, client: service, logger: quiet)
            try await app.test(.router) { client in
                try await waitUntil(usable: true, client, admin: admin)
                let before = try await coverage(client, f, admin: admin)
                #expect(before > 0)
                // The replica is a second place to read, not a second way in: no sign-in is still 401,
                // and a grid worker (who may not read the report) is still refused.
                #expect(try await client.call(.get, "/v1/reports/coverage?districtId=\(f.districtId)", token: nil).0 == .unauthorized)
                #expect(try await client.call(.get, "/v1/reports/coverage?districtId=\(f.districtId)", token: users[.gridWorker]).0 == .forbidden)

                // A report's audit row is the primary's, though it was read on the standby.
                let audited = {
                    try await db.first("SELECT count(*)::int FROM audit_event WHERE detail = 'referral report'", as: Int.self, logger: quiet)
                }
                let auditedBefore = try await audited()
                let (referrals, _, _) = try await client.call(.get, "/v1/reports/referrals", token: admin)
                #expect(referrals == .ok)
                #expect(try await audited() == (auditedBefore ?? 0) + 1)
                #expect((try await scrapeValue(client, "gridcare_replica_reports", admin: admin) ?? 0) >= 2)

                // Replay paused, a household added on the primary: the report, read on the standby, does not have it yet.
                try await withClient(standby, poolSize: 1) { try await $0.query("SELECT pg_wal_replay_pause()") }
                _ = try await HouseholdStore(db).create(
                    HouseholdDraft(microGridId: f.microGridIds[0], externalRef: "R1", address: "备库路1号", latitude: 30.66, longitude: 104.06),
                    logger: quiet
                )
                #expect(try await coverage(client, f, admin: admin) == before)
                // Still paused: once it is 8 s behind, reports read on the primary.
                try await waitUntil(usable: false, client, admin: admin)
                #expect(try await coverage(client, f, admin: admin) == before + 1)

                // Replay resumed: back on the standby, which now has the household.
                try await withClient(standby, poolSize: 1) { try await $0.query("SELECT pg_wal_replay_resume()") }
                try await waitUntil(usable: true, client, admin: admin)
                #expect(try await coverage(client, f, admin: admin) == before + 1)

                // The standby stopped: reports still answer, from the primary.
                try await offPool { try EmbeddedPostgres(dataDirectory: standbyData, logger: quiet).stop() }
                try await waitUntil(usable: false, client, admin: admin)
                #expect(try await coverage(client, f, admin: admin) == before + 1)
                #expect((try await scrapeValue(client, "gridcare_replica_fallbacks", admin: admin) ?? 0) >= 2)
            }
        }
    }
}
