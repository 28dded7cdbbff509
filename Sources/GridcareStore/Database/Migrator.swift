import Foundation
import GridcareCore
import Logging
import PostgresNIO

/// Applies `db/migrations/NNNN_name.sql` in order, each in its own transaction, recorded with a SHA-256
/// checksum. Two migrators at once serialize on an advisory lock; an applied file that changed is an error.
public struct Migrator: Sendable {
    public struct Migration: Sendable, Equatable {
        public var version: Int
        public var name: String
        public var sql: String
    }

    public enum Outcome: Sendable, Equatable {
        case applied(String)
        case pending(String)
    }

    public let migrations: [Migration]
    /// An arbitrary constant shared by every Gridcare migrator.
    static let lockKey: Int64 = 0x6772_6964_6361_7265

    public init(directory: String) throws {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: directory) else {
            throw MigrationError("migrations folder \(directory) cannot be read")
        }
        var list: [Migration] = []
        for file in names.sorted() where file.hasSuffix(".sql") {
            let stem = String(file.dropLast(4))
            let parts = stem.split(separator: "_", maxSplits: 1)
            guard parts.count == 2, parts[0].count == 4, let version = Int(parts[0]) else {
                throw MigrationError("\(file): migration files are named NNNN_name.sql")
            }
            guard let sql = try? String(contentsOfFile: directory + "/" + file, encoding: .utf8) else {
                throw MigrationError("\(file) cannot be read as UTF-8")
            }
            if list.contains(where: { $0.version == version }) {
                throw MigrationError("\(file): version \(version) is used twice")
            }
            list.append(Migration(version: version, name: file, sql: sql))
        }
        migrations = list
    }

    /// The migrations folder: the configured one, else `db/migrations` under the working directory, else
    /// the one beside the checkout the binary was built in.
    public static func defaultDirectory(configured: String?) -> String {
        if let configured { return configured }
        let cwd = FileManager.default.currentDirectoryPath + "/db/migrations"
        if FileManager.default.fileExists(atPath: cwd) { return cwd }
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            url.deleteLastPathComponent()
            let candidate = url.appendingPathComponent("db/migrations").path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
        }
        return cwd
    }

    /// Applies what is pending (or, with `dryRun`, only lists it).
    @discardableResult
    public func migrate(_ client: PostgresClient, dryRun: Bool = false, vault: IdentityVault? = nil, logger: Logger) async throws -> [Outcome] {
        try await client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger)
            do {
                let outcomes = try await apply(on: connection, dryRun: dryRun, vault: vault, logger: logger)
                try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                return outcomes
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                throw error
            }
        }
    }

    func apply(on connection: PostgresConnection, dryRun: Bool, vault: IdentityVault?, logger: Logger) async throws -> [Outcome] {
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS gridcare_migration (
                version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())
            """,
            logger: logger
        )
        var applied: [Int: (name: String, checksum: String)] = [:]
        for try await (version, name, checksum) in try await connection.query(
            "SELECT version, name, checksum FROM gridcare_migration",
            logger: logger
        ).decode((Int, String, String).self) {
            applied[version] = (name, checksum)
        }
        var outcomes: [Outcome] = []
        for migration in migrations {
            let checksum = try await Self.checksum(migration.sql, on: connection, logger: logger)
            if let done = applied[migration.version] {
                guard done.checksum == checksum else {
                    throw MigrationError("\(migration.name) changed after it was applied (as \(done.name)); add a new migration instead")
                }
                continue
            }
            if dryRun {
                outcomes.append(.pending(migration.name))
                continue
            }
            do {
                try await connection.query("BEGIN", logger: logger)
                if migration.version == IdentitySealing.beforeVersion {
                    try await IdentitySealing.run(on: connection, vault: vault, logger: logger)
                }
                for statement in SQLScript.statements(migration.sql) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    """
                    INSERT INTO gridcare_migration (version, name, checksum)
                    VALUES (\(migration.version), \(migration.name), \(checksum))
                    """,
                    logger: logger
                )
                try await connection.query("COMMIT", logger: logger)
            } catch let error as MigrationError {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                let detail = (error as? PSQLError)?.serverInfo?[.message] ?? "\(error)"
                throw MigrationError("\(migration.name) failed and was rolled back: \(detail)")
            }
            logger.info("applied migration", metadata: ["migration": "\(migration.name)"])
            outcomes.append(.applied(migration.name))
        }
        return outcomes
    }

    static func checksum(_ sql: String, on connection: PostgresConnection, logger: Logger) async throws -> String {
        let rows = try await connection.query("SELECT encode(sha256(convert_to(\(sql), 'UTF8')), 'hex')", logger: logger)
        for try await hex in rows.decode(String.self) { return hex }
        throw MigrationError("could not compute a checksum")
    }
}

public struct MigrationError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
