import Foundation
import GridcareCore
import GridcareStore
import Logging
import PostgresNIO

/// Gives every test its own database, cloned from a migrated template on a real PostgreSQL: the one
/// named by GRIDCARE_TEST_DATABASE_URL, or an embedded cluster under .gridcare/test-pg that the suite
/// starts itself (and leaves running for the next run; `scripts/test.sh` stops it).
public actor TestDatabase {
    public static let shared = TestDatabase()

    let logger = Logger(label: "gridcare-test", factory: { _ in SwiftLogNoOpLogHandler() })
    var server: DatabaseURL?
    var preparing: Task<DatabaseURL, any Error>?
    var counter = 0

    static let template = "gridcare_template"

    /// The identity key of this test process: random, so no key is ever in the repository. Every database
    /// of the run and every router built by the tests use it.
    public static let identityKeyBase64 = IdentityVault.newKeyBase64()
    public static let vault = try! IdentityVault(base64: identityKeyBase64)

    /// The checkout's root, found from this file's path so tests run from any directory.
    public static let packageRoot: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }()

    /// A fresh database of its own: migrated (cloned from the template), or blank for migrator tests.
    public func fresh(migrated: Bool = true) async throws -> DatabaseURL {
        let server: DatabaseURL
        do { server = try await prepare() } catch let error as PSQLError {
            throw DescribedDatabaseError(description: String(reflecting: error))
        }
        counter += 1
        let name = "gc_test_\(getpid())_\(counter)"
        let template = migrated ? Self.template : "template0"
        // The template's own sessions (its migration, the service login) close asynchronously; a clone
        // made while the server still counts one is refused with 55006, and succeeds a moment later.
        for attempt in 1...50 {
            do {
                try await admin(server) { client in
                    try await client.query("CREATE DATABASE \(unescaped: name) TEMPLATE \(unescaped: template)", logger: self.logger)
                }
                break
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "55006" && attempt < 50 {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        return server.with(database: name)
    }

    /// Drops a database made by `fresh()`.
    public func drop(_ url: DatabaseURL) async throws {
        guard let server else { return }
        try await admin(server) { client in
            try await client.query("DROP DATABASE IF EXISTS \(unescaped: url.database) WITH (FORCE)", logger: self.logger)
        }
    }

    /// Prepares the server and template once, however many tests ask at the same time (the actor is
    /// re-entered at every await, so the work is shared through one task).
    func prepare() async throws -> DatabaseURL {
        if let preparing { return try await preparing.value }
        let task = Task { try await self.makeTemplate() }
        preparing = task
        let url = try await task.value
        server = url
        return url
    }

    func makeTemplate() async throws -> DatabaseURL {
        let url: DatabaseURL
        if let configured = ProcessInfo.processInfo.environment["GRIDCARE_TEST_DATABASE_URL"] {
            url = try DatabaseURL(parsing: configured)
        } else {
            let cluster = try EmbeddedPostgres(dataDirectory: Self.packageRoot + "/.gridcare/test-pg", logger: logger)
            url = try cluster.start().url.with(database: "postgres")
        }
        // A template made afresh each run, so a changed migration is always what the tests see; databases
        // left by an earlier, interrupted run of this machine are dropped too.
        try await admin(url) { client in
            let stale = try await client.query(
                """
                SELECT datname FROM pg_database WHERE datname LIKE 'gc\\_test\\_%' OR datname = \(Self.template)
                """,
                logger: self.logger
            ).decode(String.self).all()
            for name in stale {
                try await client.query("DROP DATABASE IF EXISTS \(unescaped: name) WITH (FORCE)", logger: self.logger)
            }
            try await client.query("CREATE DATABASE \(unescaped: Self.template)", logger: self.logger)
        }
        let migrator = try Migrator(directory: Self.packageRoot + "/db/migrations")
        try await withClient(url.with(database: Self.template), poolSize: 1) { client in
            try await migrator.migrate(client, logger: self.logger)
        }
        // The service's login (a cluster-wide role): its password derives from this server's owner login.
        try await withClient(url.with(database: Self.template), poolSize: 1) { client in
            try await ServiceLogin.ensure(client, owner: url, role: "gridcare_service", logger: self.logger)
        }
        return url
    }

    func admin(_ url: DatabaseURL, _ body: @Sendable (PostgresClient) async throws -> Void) async throws {
        try await withClient(url.with(database: "postgres"), poolSize: 1, body)
    }
}

/// At most this many test databases at once (GRIDCARE_TEST_DATABASES, default 24): the suite starts every
/// test together, and a few hundred tests with two pools each would pass the test cluster's 200
/// connections (and answer "too many clients") and crowd two cores past every request deadline.
actor TestDatabaseGate {
    static let shared = TestDatabaseGate(limit: ProcessInfo.processInfo.environment["GRIDCARE_TEST_DATABASES"].flatMap(Int.init) ?? 24)
    var available: Int
    var waiting: [CheckedContinuation<Void, Never>] = []
    init(limit: Int) { available = max(1, limit) }

    func acquire() async {
        if available > 0 {
            available -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty { available += 1 } else { waiting.removeFirst().resume() }
    }
}

/// Runs `body` with a running client on a fresh database, and drops the database afterwards.
public func withTestDatabase<T: Sendable>(
    migrated: Bool = true,
    _ body: @Sendable (Database, DatabaseURL) async throws -> T
) async throws -> T {
    await TestDatabaseGate.shared.acquire()
    do {
        let result = try await withGatedTestDatabase(migrated: migrated, body)
        await TestDatabaseGate.shared.release()
        return result
    } catch {
        await TestDatabaseGate.shared.release()
        throw error
    }
}

func withGatedTestDatabase<T: Sendable>(
    migrated: Bool,
    _ body: @Sendable (Database, DatabaseURL) async throws -> T
) async throws -> T {
    let url = try await TestDatabase.shared.fresh(migrated: migrated)
    let logger = Logger(label: "gridcare-test", factory: { _ in SwiftLogNoOpLogHandler() })
    do {
        let result = try await withClient(url, poolSize: 4) { client in
            try await body(Database(client: client, logger: logger, vault: TestDatabase.vault), url)
        }
        try await TestDatabase.shared.drop(url)
        return result
    } catch let error as PSQLError {
        try? await TestDatabase.shared.drop(url)
        // The driver hides the server's message by default; tests need it to say what went wrong.
        throw DescribedDatabaseError(description: String(reflecting: error))
    } catch {
        try? await TestDatabase.shared.drop(url)
        throw error
    }
}

/// A database error with the server's message, for test reports.
public struct DescribedDatabaseError: Error, CustomStringConvertible {
    public var description: String
}
