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
    var counter = 0

    static let template = "gridcare_template"

    /// The checkout's root, found from this file's path so tests run from any directory.
    public static let packageRoot: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }()

    /// A fresh, migrated, empty database of its own.
    public func fresh() async throws -> DatabaseURL {
        let server = try await prepare()
        counter += 1
        let name = "gc_test_\(getpid())_\(counter)"
        try await admin(server) { client in
            try await client.query("CREATE DATABASE \(unescaped: name) TEMPLATE \(unescaped: Self.template)", logger: self.logger)
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

    func prepare() async throws -> DatabaseURL {
        if let server { return server }
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
            let stale = try await client.query("""
                SELECT datname FROM pg_database WHERE datname LIKE 'gc\\_test\\_%' OR datname = \(Self.template)
                """, logger: self.logger).decode(String.self).all()
            for name in stale {
                try await client.query("DROP DATABASE IF EXISTS \(unescaped: name) WITH (FORCE)", logger: self.logger)
            }
            try await client.query("CREATE DATABASE \(unescaped: Self.template)", logger: self.logger)
        }
        let migrator = try Migrator(directory: Self.packageRoot + "/db/migrations")
        try await withClient(url.with(database: Self.template), poolSize: 1) { client in
            try await migrator.migrate(client, logger: self.logger)
        }
        server = url
        return url
    }

    func admin(_ url: DatabaseURL, _ body: @Sendable (PostgresClient) async throws -> Void) async throws {
        try await withClient(url.with(database: "postgres"), poolSize: 1, body)
    }
}

/// Runs `body` with a running client on a fresh database, and drops the database afterwards.
public func withTestDatabase<T: Sendable>(
    _ body: @Sendable (Database, DatabaseURL) async throws -> T
) async throws -> T {
    let url = try await TestDatabase.shared.fresh()
    let logger = Logger(label: "gridcare-test", factory: { _ in SwiftLogNoOpLogHandler() })
    do {
        let result = try await withClient(url, poolSize: 8) { client in
            try await body(Database(client: client, logger: logger), url)
        }
        try await TestDatabase.shared.drop(url)
        return result
    } catch {
        try? await TestDatabase.shared.drop(url)
        throw error
    }
}

extension AsyncSequence {
    /// Every element, in order.
    public func all() async throws -> [Element] {
        var out: [Element] = []
        for try await e in self { out.append(e) }
        return out
    }
}
