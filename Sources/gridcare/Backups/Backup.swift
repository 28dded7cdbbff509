import ArgumentParser
import Foundation
import GridcareServer
import GridcareStore
import PostgresNIO

/// Backups of the embedded cluster: base backups with pg_basebackup over the continuously archived WAL.
struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Back up the embedded cluster (pg_basebackup over its archived WAL), or list the backups.",
        subcommands: [Now.self, List.self]
    )

    /// Takes a base backup now and keeps the newest few.
    struct Now: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take a base backup of the embedded cluster now.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Base backups to keep (older ones and the WAL only they need are removed).") var keep: Int = 7

        func run() async throws {
            let config = try await global.load()
            let backups = try embeddedBackups(config, global)
            let (url, startedHere) = try backups.cluster.start()
            defer { if startedHere { try? backups.cluster.stop() } }
            let archiving = try await withClient(url, poolSize: 1) { client in
                try await client.query("SHOW archive_mode").decode(String.self).all()
            }
            guard archiving == ["on"] else {
                throw ValidationError(
                    "The cluster runs without WAL archiving (started before it was configured): stop the service and run `gridcare db stop`, then try again."
                )
            }
            let backup = try backups.backUp(url: url, keep: keep)
            print("\(backup.name): \(backup.bytes / 1_048_576) MiB, restorable from \(ISO8601DateFormatter().string(from: backup.finished))")
        }
    }

    /// The base backups and the archived WAL.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The base backups and the archived WAL.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "table, json or csv.") var format: OutputFormat = .table

        func run() async throws {
            let config = try await global.load()
            let backups = try embeddedBackups(config, global)
            let time = ISO8601DateFormatter()
            let rows = backups.list().map { b in [b.name, time.string(from: b.started), time.string(from: b.finished), String(b.bytes / 1_048_576)] }
            print(TablePrinter(header: ["backup", "started", "restorable from", "MiB"], rows: rows).render(format))
            let wal = backups.archivedWAL()
            if format == .table { print("archived WAL: \(wal.segments) segments, \(wal.bytes / 1_048_576) MiB") }
        }
    }
}

/// Restores the embedded cluster to a moment: the newest base backup before it, replayed up to it.
struct Restore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restore the embedded cluster to a point in time (stop the service and the cluster first)."
    )
    @OptionGroup var global: GlobalOptions
    @Option(help: "The moment, ISO 8601 with its offset (2026-12-04T15:30:00+08:00); what committed before it is kept, nothing after.")
    var to: String?
    @Flag(help: "Replay every archived WAL segment (the latest state the archive holds) instead of stopping at --to.") var latest = false

    func validate() throws {
        guard (to != nil) != latest else { throw ValidationError("Give either --to TIME or --latest.") }
        if let to, Self.parse(to) == nil { throw ValidationError("--to \(to): not an ISO 8601 time with an offset.") }
    }

    static func parse(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text) ?? plain.date(from: text)
    }

    func run() async throws {
        let config = try await global.load()
        let backups = try embeddedBackups(config, global)
        guard backups.cluster.isRunning == false else {
            throw ValidationError("The embedded cluster is running: stop the service and run `gridcare db stop` first.")
        }
        let target = to.flatMap(Self.parse)
        let (backup, previous) = try backups.restore(to: target)
        defer { try? backups.cluster.stop() }
        let (url, _) = try backups.cluster.start()
        try await backups.finishRestore(url: url)
        print("restored from \(backup.name)" + (target.map { " up to \(ISO8601DateFormatter().string(from: $0))" } ?? " to the end of the archive"))
        if let previous { print("the data it replaced is kept in \(previous); remove it when you no longer need it") }
    }
}

/// The embedded cluster's backups, or a refusal for an external database.
func embeddedBackups(_ config: AppConfig, _ global: GlobalOptions) throws -> Backups {
    guard config.databaseURL == nil else {
        throw ValidationError(
            "database.url names an external database: back it up with its own tools (pgBackRest or pg_basebackup with WAL archiving; docs/operations.md)."
        )
    }
    let cluster = try EmbeddedPostgres(
        dataDirectory: config.embeddedDataDirectory,
        binDirectory: config.embeddedBinDirectory,
        archivesWAL: true,
        logger: global.logger(config)
    )
    return Backups(cluster: cluster, logger: global.logger(config))
}
