import ArgumentParser
import Foundation
import GridcareCore
import GridcareStore

/// The audit trail: who read or changed a resident's data, and the trail's months and archive.
struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The audit trail: a resident's or user's events, its monthly partitions, archiving old months.",
        subcommands: [Trail.self, Partitions.self, Archive.self],
        defaultSubcommand: Trail.self
    )

    /// Who read or changed a resident's data (or what a user did), newest first.
    struct Trail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The audit trail of a resident (or a user), newest first.")

        @OptionGroup var global: GlobalOptions
        @Option(help: "Resident id.") var resident: Int64?
        @Option(help: "User id.") var user: Int64?
        @Option(help: "At most this many rows.") var limit: Int = 200
        @Option(help: "table, json or csv.") var format: OutputFormat = .table

        func validate() throws {
            guard resident != nil || user != nil else { throw ValidationError("Give --resident or --user.") }
            guard (1...100_000).contains(limit) else { throw ValidationError("--limit must be 1–100000.") }
        }

        func run() async throws {
            let config = try await global.load()
            let events = try await global.withStore(config) { db, info in
                let log = AuditLog(db)
                var out: [AuditEvent] = []
                var cursor: String?
                repeat {
                    let page = try await log.list(
                        .init(residentId: resident, userId: user),
                        page: try PageRequest(cursor: cursor, limit: min(200, limit - out.count)),
                        logger: info.logger
                    )
                    out += page.items
                    cursor = page.nextCursor
                } while cursor != nil && out.count < limit
                return out
            }
            let time = ISO8601DateFormatter()
            let rows = events.map { e in
                [
                    time.string(from: e.at), e.userId.map(String.init) ?? "", e.role ?? "", e.operation, e.action.rawValue,
                    e.residentId.map(String.init) ?? "", e.outcome.rawValue, e.detail ?? "",
                ]
            }
            print(TablePrinter(header: ["at", "user", "role", "operation", "action", "resident", "outcome", "detail"], rows: rows).render(format))
        }
    }
}

extension Audit {
    /// The trail's monthly partitions with their estimated rows, and the months archived.
    struct Partitions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The audit trail's months (partitions), made ahead as configured.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "table, json or csv.") var format: OutputFormat = .table

        func run() async throws {
            let config = try await global.load()
            let parts = try await global.withStore(config, operation: "cli audit partitions") { db, info in
                let archive = AuditArchive(db)
                try await archive.prepare(monthsAhead: config.audit.monthsAhead, logger: info.logger)
                return try await archive.partitions(logger: info.logger)
            }
            print(
                TablePrinter(
                    header: ["partition", "month", "rows (estimate)"],
                    rows: parts.map { [$0.name, $0.month ?? "(any other)", String($0.estimatedRows)] }
                ).render(format)
            )
        }
    }

    /// Archives the months past the retention: each to a CSV file, then dropped.
    struct Archive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Detach the months older than the retention, write each to a CSV file, then drop it."
        )
        @OptionGroup var global: GlobalOptions
        @Option(help: "Whole months to keep before this one (at least 6; default audit.retentionMonths).") var keepMonths: Int?
        @Option(help: "Folder for the CSV files (default audit.archiveDirectory).") var to: String?

        func validate() throws {
            if let keepMonths, keepMonths < 6 { throw ValidationError("--keep-months must be at least 6 (the trail is kept six months).") }
        }

        func run() async throws {
            let config = try await global.load()
            let keep = keepMonths ?? config.audit.retentionMonths
            let folder = to ?? config.audit.archiveDirectory
            let done = try await global.withStore(config, operation: "cli audit archive") { db, info in
                try await AuditArchive(db).archive(keepMonths: keep, directory: folder, logger: info.logger)
            }
            if done.isEmpty {
                print("No month is older than \(keep) months; nothing archived.")
                return
            }
            for month in done { print("\(month.partition): \(month.rows) rows to \(month.file) (sha256 \(month.sha256))") }
        }
    }
}
