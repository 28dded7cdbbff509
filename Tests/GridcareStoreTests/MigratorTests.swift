import Foundation
import GridcareTestSupport
import Logging
import PostgresNIO
import Testing

@testable import GridcareStore

@Suite struct MigratorTests {
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    func folder(_ files: [String: String]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gc-mig-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, sql) in files { try sql.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) }
        return dir
    }

    @Test func appliesInOrderOnceAndRefusesAChangedFile() async throws {
        try await withTestDatabase(migrated: false) { db, _ in
            let dir = try folder([
                "0001_a.sql": "CREATE TABLE t1 (x int); -- a comment; with a semicolon\nINSERT INTO t1 VALUES (1);",
                "0002_b.sql": "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$; INSERT INTO t1 SELECT f();",
            ])
            let first = try await Migrator(directory: dir).migrate(db.client, logger: logger)
            #expect(first == [.applied("0001_a.sql"), .applied("0002_b.sql")])
            #expect(try await Migrator(directory: dir).migrate(db.client, logger: logger).isEmpty)
            let rows = try await db.client.query("SELECT count(*)::int FROM t1").decode(Int.self).all()
            #expect(rows == [2])

            try "CREATE TABLE t1 (x int, y int);".write(toFile: dir + "/0001_a.sql", atomically: true, encoding: .utf8)
            await #expect(throws: MigrationError.self) { try await Migrator(directory: dir).migrate(db.client, logger: logger) }
            do {
                try await Migrator(directory: dir).migrate(db.client, logger: logger)
            } catch let error as MigrationError {
                #expect(error.description.contains("0001_a.sql changed"))
            }
        }
    }

    @Test func aFailingMigrationLeavesNothingBehind() async throws {
        try await withTestDatabase(migrated: false) { db, _ in
            let dir = try folder(["0001_ok.sql": "CREATE TABLE ok (x int);", "0002_bad.sql": "CREATE TABLE half (x int); SELECT no_such_function();"])
            await #expect(throws: MigrationError.self) { try await Migrator(directory: dir).migrate(db.client, logger: logger) }
            let tables = try await db.client.query("SELECT count(*)::int FROM pg_tables WHERE tablename IN ('ok', 'half')").decode(Int.self).all()
            #expect(tables == [1])
            let recorded = try await db.client.query("SELECT name FROM gridcare_migration WHERE name LIKE '0002%'").decode(String.self).all()
            #expect(recorded.isEmpty)
        }
    }

    @Test func concurrentMigratorsSerializeOnTheLock() async throws {
        try await withTestDatabase(migrated: false) { db, _ in
            let dir = try folder(["0001_slow.sql": "SELECT pg_sleep(0.3); CREATE TABLE once (x int);"])
            let outcomes = try await withThrowingTaskGroup(of: [Migrator.Outcome].self) { group in
                for _ in 0..<4 { group.addTask { try await Migrator(directory: dir).migrate(db.client, logger: logger) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter { !$0.isEmpty }.count == 1)
        }
    }

    @Test func splitsStatementsRespectingQuotesAndDollarBodies() {
        let parts = SQLScript.statements("SELECT ';'; /* ; */ SELECT $x$ ; $x$; SELECT \"a;b\" FROM t -- ;\n;")
        #expect(parts == ["SELECT ';'", "SELECT $x$ ; $x$", "SELECT \"a;b\" FROM t"])
    }
}
