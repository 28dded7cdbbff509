import Crypto
import Foundation
import GridcareStore
import GridcareTestSupport
import Logging
import PostgresNIO
import Testing

/// Issue 21, part 3: the audit trail by month. Months are made ahead; every partition is append-only,
/// for the owner too; a month past the retention is detached, written to a file whose rows and SHA-256
/// are recorded, and only then dropped; the service's login reaches the months only through the trail.
private let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

@Suite struct AuditPartitionTests {
    static let china = TimeZone(identifier: "Asia/Shanghai")!

    /// The first day of the month `offset` months from this one, China time, and its partition's name.
    func month(_ offset: Int) -> (first: String, name: String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = Self.china
        let start = calendar.date(from: calendar.dateComponents([.year, .month], from: Date()))!
        let target = calendar.date(byAdding: .month, value: offset, to: start)!
        let parts = calendar.dateComponents([.year, .month], from: target)
        let y = parts.year!
        let m = parts.month!
        return (String(format: "%04d-%02d-01", y, m), String(format: "audit_event_y%04dm%02d", y, m))
    }

    func insert(_ db: Database, at: String, count: Int, detail: String) async throws {
        try await db.withConnection { conn in
            try await conn.query(
                """
                INSERT INTO audit_event (at, user_id, role, operation, action, resident_id, outcome, detail)
                SELECT \(at)::timestamptz + g * interval '1 second', 7, 'doctor', 'getResident', 'read', g, 'ok', \(detail)
                FROM generate_series(1, \(count)) g
                """,
                logger: quiet
            )
        }
    }

    @Test func theTrailIsMadeOfMonthsAheadOfTimeAndARowLandsInItsMonth() async throws {
        try await withTestDatabase { db, _ in
            let archive = AuditArchive(db)
            try await archive.prepare(monthsAhead: 3, logger: quiet)
            let names = try await archive.partitions(logger: quiet).map(\.name)
            for offset in 0...3 { #expect(names.contains(month(offset).name), "\(names)") }
            #expect(names.contains("audit_event_later"))
            // Asking again makes nothing new.
            #expect(try await archive.prepare(monthsAhead: 3, logger: quiet).isEmpty)
            try await AuditLog(db).record(.read, residents: [42], outcome: .ok, logger: quiet)
            let home = try await db.first(
                "SELECT tableoid::regclass::text FROM audit_event WHERE resident_id = 42",
                as: String.self,
                logger: quiet
            )
            #expect(home == month(0).name)
        }
    }

    @Test func everyMonthIsAppendOnlyForTheOwnerAndOutOfTheServicesDirectReach() async throws {
        try await withTestDatabase { db, _ in
            try await AuditLog(db).record(.read, residents: [42], outcome: .ok, logger: quiet)
            let current = month(0).name
            // The owner (here a superuser) through the trail, and straight at the month.
            for statement in [
                "UPDATE audit_event SET detail = 'changed'", "DELETE FROM audit_event",
                "UPDATE \(current) SET detail = 'changed'", "DELETE FROM \(current)", "TRUNCATE \(current)",
                "TRUNCATE audit_event_later", "TRUNCATE audit_event",
            ] {
                await #expect(throws: PSQLError.self, "\(statement)") {
                    try await db.withConnection { _ = try await $0.query(PostgresQuery(unsafeSQL: statement), logger: quiet).collect() }
                }
            }
            let rows: Int? = try await db.first("SELECT count(*)::int FROM audit_event", as: Int.self, logger: quiet)
            #expect(rows == 1)
            // The service's role: the trail, yes; a month by its own name, no; dropping a month that is
            // still attached, no.
            try await db.transaction { conn in
                try await conn.query("SET LOCAL ROLE gridcare_service", logger: quiet)
                try await conn.query("SELECT count(*) FROM audit_event", logger: quiet)
            }
            for statement in ["SELECT count(*) FROM \(current)", "SELECT gridcare_audit_drop('\(current)', '/tmp/x', 1, 'x')"] {
                await #expect(throws: PSQLError.self, "\(statement)") {
                    try await db.transaction { conn in
                        try await conn.query("SET LOCAL ROLE gridcare_service", logger: quiet)
                        _ = try await conn.query(PostgresQuery(unsafeSQL: statement), logger: quiet).collect()
                    }
                }
            }
        }
    }

    @Test func aMonthPastTheRetentionIsWrittenToAFileThenDroppedAndTheRestKept() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gridcare-audit-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await withTestDatabase { db, _ in
            let old = month(-8)
            let kept = month(-6)
            for m in [old, kept] {
                _ = try await db.first("SELECT gridcare_audit_add_month(\(m.first)::date)", as: String?.self, logger: quiet)
            }
            // 2,500 rows of the old month, one with a comma, a quote and a line break in its detail.
            try await insert(db, at: old.first + " 08:00:00+08", count: 2_499, detail: "role")
            try await insert(db, at: old.first + " 20:00:00+08", count: 1, detail: "said \"no\",\nthen left")
            try await insert(db, at: kept.first + " 08:00:00+08", count: 10, detail: "kept")
            try await AuditLog(db).record(.read, residents: [42], outcome: .ok, logger: quiet)

            // Less than six months is refused by the database itself.
            await #expect(throws: PSQLError.self) {
                try await db.withConnection { _ = try await $0.query("SELECT gridcare_audit_detach(5)", logger: quiet).collect() }
            }
            let done = try await AuditArchive(db).archive(keepMonths: 6, directory: folder, logger: quiet)
            #expect(done.map(\.partition) == [old.name])
            let archived = try #require(done.first)
            #expect(archived.rows == 2_500)

            // The file holds the header and every row, and its digest is the one recorded.
            let data = try Data(contentsOf: URL(fileURLWithPath: archived.file))
            let digest = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
            #expect(digest == archived.sha256)
            let text = String(decoding: data, as: UTF8.self)
            #expect(text.hasPrefix("id,at,user_id,role,"))
            #expect(text.contains("\"said \"\"no\"\",\nthen left\""))
            #expect(text.components(separatedBy: "\n").filter { $0.contains(",getResident,read,") }.count == 2_500)
            let recorded = try await db.first(
                "SELECT row_count, sha256, file FROM audit_archive WHERE partition = \(old.name)",
                as: (Int64, String, String).self,
                logger: quiet
            )
            #expect(recorded?.0 == 2_500 && recorded?.1 == digest && recorded?.2 == archived.file)

            // The month is gone; the kept month and this one are whole.
            let gone: Bool? = try await db.first("SELECT to_regclass(\(old.name)) IS NULL", as: Bool.self, logger: quiet)
            #expect(gone == true)
            let left = try await db.first(
                "SELECT count(*) FILTER (WHERE detail = 'kept')::int, count(*)::int FROM audit_event",
                as: (Int, Int).self,
                logger: quiet
            )
            #expect(left?.0 == 10 && left?.1 == 11)
            // Nothing more is old enough.
            #expect(try await AuditArchive(db).archive(keepMonths: 6, directory: folder, logger: quiet).isEmpty)
        }
    }

    @Test func aDetachedMonthWhoseExportDidNotFinishIsExportedNextTimeAndStaysAppendOnly() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gridcare-audit-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await withTestDatabase { db, _ in
            let old = month(-9)
            _ = try await db.first("SELECT gridcare_audit_add_month(\(old.first)::date)", as: String?.self, logger: quiet)
            try await insert(db, at: old.first + " 09:00:00+08", count: 30, detail: "old")
            // A copy that detached the month and died before writing it.
            let detached = try await db.rows("SELECT gridcare_audit_detach(6)", as: String.self, logger: quiet)
            #expect(detached == [old.name])
            for statement in ["DELETE FROM \(old.name)", "UPDATE \(old.name) SET detail = 'x'", "TRUNCATE \(old.name)"] {
                await #expect(throws: PSQLError.self, "\(statement)") {
                    try await db.withConnection { _ = try await $0.query(PostgresQuery(unsafeSQL: statement), logger: quiet).collect() }
                }
            }
            // Dropping it without the export's count is refused.
            await #expect(throws: PSQLError.self) {
                try await db.withConnection {
                    _ = try await $0.query("SELECT gridcare_audit_drop(\(old.name), '/x', 29, 'x')", logger: quiet).collect()
                }
            }
            // The service's role may read the detached month (to export it) and run the archive.
            let done = try await db.transaction { conn in
                try await conn.query("SET LOCAL ROLE gridcare_service", logger: quiet)
                return try await conn.first("SELECT count(*)::int FROM \(unescaped: old.name)", as: Int.self, logger: quiet)
            }
            #expect(done == 30)
            let archived = try await AuditArchive(db).archive(keepMonths: 6, directory: folder, logger: quiet)
            #expect(archived.map(\.partition) == [old.name] && archived.first?.rows == 30)
        }
    }
}
