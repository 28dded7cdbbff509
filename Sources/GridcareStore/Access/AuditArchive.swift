import Crypto
import Foundation
import Logging
import PostgresNIO

/// The audit trail's months (migration 0035): made ahead of time, and past the retention detached,
/// exported to a CSV file and only then dropped. The database's functions own which month may be
/// detached or dropped; this owns the file. Safe on several service copies at once: a month is
/// exported by whichever copy holds its lock, and a month half-exported by a copy that died is
/// exported again by the next tick.
public struct AuditArchive: Sendable {
    let db: Database
    public init(_ db: Database) { self.db = db }

    /// One partition of the trail: its name, the month it holds (nil for the catch-all), and roughly how
    /// many rows (the planner's estimate: counting a month of reads would read the month).
    public struct Partition: Sendable, Equatable {
        public var name: String
        public var month: String?
        public var estimatedRows: Int64
    }

    /// A month written to its file and dropped.
    public struct Archived: Sendable, Equatable {
        public var partition: String
        public var file: String
        public var rows: Int64
        public var sha256: String
    }

    /// Makes this month's partition and the next `monthsAhead` months'; the names made.
    @discardableResult
    public func prepare(monthsAhead: Int, logger: Logger) async throws -> [String] {
        try await db.withConnection(logger: logger) { conn in
            try await conn.rows("SELECT gridcare_audit_prepare(\(monthsAhead)::int)", as: String.self, logger: logger)
        }
    }

    public func partitions(logger: Logger) async throws -> [Partition] {
        try await db.withConnection(logger: logger) { conn in
            try await conn.rows(
                """
                SELECT c.relname::text, to_char(gridcare_audit_month_of(c.relname), 'YYYY-MM'), greatest(c.reltuples, 0)::int8
                FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = 'audit_event'::regclass ORDER BY c.relname
                """,
                as: (String, String?, Int64).self,
                logger: logger
            ).map { Partition(name: $0.0, month: $0.1, estimatedRows: $0.2) }
        }
    }

    /// Detaches the months older than `keepMonths` (at least 6), writes each detached month to
    /// `directory/<partition>.csv` and drops it. What was archived.
    public func archive(keepMonths: Int, directory: String, logger: Logger) async throws -> [Archived] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let detached = try await db.withConnection(logger: logger) { conn in
            _ = try await conn.rows("SELECT gridcare_audit_detach(\(keepMonths)::int)", as: String.self, logger: logger)
            return try await conn.rows("SELECT gridcare_audit_detached()", as: String.self, logger: logger)
        }
        var done: [Archived] = []
        for partition in detached {
            if let archived = try await export(partition, to: directory, logger: logger) { done.append(archived) }
        }
        return done
    }

    /// One detached month, in one transaction: its lock (another copy holding it is exporting it), the
    /// rows streamed to `<name>.csv.part`, the file flushed to disk and renamed, then the drop, which
    /// checks the count and records the file. Nil when another copy had it.
    func export(_ partition: String, to directory: String, logger: Logger) async throws -> Archived? {
        try await db.transaction(logger: logger) { conn in
            // A month of reads takes longer than a request's statement timeout.
            try await conn.query("SET LOCAL statement_timeout = 0", logger: logger)
            let mine = try await conn.first(
                "SELECT pg_try_advisory_xact_lock(hashtext('gridcare_audit_archive'), hashtext(\(partition))) AND to_regclass(\(partition)) IS NOT NULL",
                as: Bool.self,
                logger: logger
            )
            guard mine == true else { return nil }
            let path = (directory as NSString).appendingPathComponent(partition + ".csv")
            let partial = path + ".part"
            let (rows, digest) = try await write(partition, to: partial, on: conn, logger: logger)
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
            try FileManager.default.moveItem(atPath: partial, toPath: path)
            // Read to the end: a function's refusal arrives after its row description.
            _ = try await conn.query("SELECT gridcare_audit_drop(\(partition), \(path), \(rows), \(digest))", logger: logger).collect()
            logger.notice("audit month archived", metadata: ["partition": "\(partition)", "file": "\(path)", "rows": "\(rows)"])
            return Archived(partition: partition, file: path, rows: rows, sha256: digest)
        }
    }

    static let header = "id,at,user_id,role,district_id,operation,action,resident_id,household_id,outcome,detail\n"

    /// Streams the month into a CSV file (RFC 4180, times in UTC), fsynced; its row count and SHA-256.
    func write(_ partition: String, to path: String, on conn: PostgresConnection, logger: Logger) async throws -> (Int64, String) {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw AuditArchiveError("cannot create \(path)")
        }
        let file = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? file.close() }
        var hasher = SHA256()
        var buffer = Data(Self.header.utf8)
        var count: Int64 = 0
        let time = ISO8601DateFormatter()
        time.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        // The name comes from gridcare_audit_detached(), which only returns audit month tables.
        let rows = try await conn.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT id, at, user_id, role, district_id, operation, action, resident_id, household_id, outcome, detail
                    FROM \(partition) ORDER BY id
                    """
            ),
            logger: logger
        )
        for try await (id, at, user, role, district, operation, action, resident, household, outcome, detail) in rows.decode(
            (Int64, Date, Int64?, String?, Int64?, String, String, Int64?, Int64?, String, String?).self
        ) {
            let fields: [String] = [
                String(id), time.string(from: at), user.map(String.init) ?? "", Self.csv(role), district.map(String.init) ?? "",
                Self.csv(operation), action, resident.map(String.init) ?? "", household.map(String.init) ?? "", outcome, Self.csv(detail),
            ]
            buffer.append(contentsOf: Array((fields.joined(separator: ",") + "\n").utf8))
            count += 1
            if buffer.count >= 1 << 20 {
                hasher.update(data: buffer)
                try file.write(contentsOf: buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        hasher.update(data: buffer)
        try file.write(contentsOf: buffer)
        try file.synchronize()
        let digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        return (count, digest)
    }

    /// A CSV field: quoted when it holds a comma, a quote or a line break.
    static func csv(_ value: String?) -> String {
        guard let value else { return "" }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

public struct AuditArchiveError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
