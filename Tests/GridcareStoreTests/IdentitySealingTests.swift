import Foundation
import GridcareCore
import GridcareTestSupport
import Logging
import PostgresNIO
import Testing

@testable import GridcareStore

/// A database from before identity numbers were sealed: migrating without the key stops and changes
/// nothing; with it, every stored number is sealed, the plaintext column is gone, and the search by number
/// still finds the resident.
@Suite struct IdentitySealingTests {
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test func storedNumbersAreSealedByTheMigrationAndStillFound() async throws {
        try await withTestDatabase(migrated: false) { db, _ in
            let all = Migrator.defaultDirectory(configured: TestDatabase.packageRoot + "/db/migrations")
            let before = FileManager.default.temporaryDirectory.appendingPathComponent("gc-seal-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: before, withIntermediateDirectories: true)
            for file in try FileManager.default.contentsOfDirectory(atPath: all) where file < "0014" {
                try FileManager.default.copyItem(atPath: all + "/" + file, toPath: before + "/" + file)
            }
            try await Migrator(directory: before).migrate(db.client, logger: logger)
            let number = IDCardNumber.make(region: 510104, birth: SimpleDate(year: 1947, month: 11, day: 2)!, sequence: 15)
            for statement: PostgresQuery in [
                "INSERT INTO area (id, level, parent_id, district_id, name) VALUES (1, 'district', NULL, 1, '老区')",
                "INSERT INTO area (id, level, parent_id, district_id, name) VALUES (2, 'street', 1, 1, '街道')",
                "INSERT INTO area (id, level, parent_id, district_id, name) VALUES (3, 'community', 2, 1, '社区')",
                "INSERT INTO area (id, level, parent_id, district_id, name) VALUES (4, 'grid', 3, 1, '网格')",
                "INSERT INTO area (id, level, parent_id, district_id, name) VALUES (5, 'micro_grid', 4, 1, '微网格')",
                "INSERT INTO household (id, district_id, micro_grid_id, address, latitude, longitude, code_token) VALUES (1, 1, 5, '老街1号', 30.6, 104.0, 'TOKENTOKENTOKEN1')",
                """
                INSERT INTO resident (id, district_id, household_id, micro_grid_id, name, sex, birth_date, id_number)
                VALUES (1, 1, 1, 5, '老居民', 'male', '1947-11-02', \(number.value))
                """,
            ] {
                try await db.client.query(statement, logger: logger)
            }

            // Without the key: refused, with the reason, and nothing half-done.
            do {
                try await Migrator(directory: all).migrate(db.client, logger: logger)
                Issue.record("migrated without the identity key")
            } catch let error as MigrationError {
                #expect(error.description.contains("identityKey"))
            }
            let plaintext = try await db.client.query("SELECT id_number FROM resident").decode(String?.self).all()
            #expect(plaintext == [number.value])

            // With it: sealed, the plaintext column dropped, found by the blind index.
            try await Migrator(directory: all).migrate(db.client, vault: TestDatabase.vault, logger: logger)
            let columns = try await db.client.query(
                """
                SELECT column_name::text FROM information_schema.columns WHERE table_name = 'resident' AND column_name LIKE 'id_number%' ORDER BY 1
                """
            ).decode(String.self).all()
            #expect(columns == ["id_number_index", "id_number_sealed"])
            let sealed = try await db.client.query("SELECT id_number_sealed FROM resident").decode(Data.self).all()
            #expect(try TestDatabase.vault.open(sealed[0]) == number)
            #expect(try await ResidentStore(db).find(idNumber: number, logger: logger) == 1)
            let hits = try await db.client.query("SELECT count(*)::int FROM resident r WHERE r::text LIKE '%' || \(number.value) || '%'")
                .decode(Int.self).all()
            #expect(hits == [0])
        }
    }
}
