import Foundation
import Logging
import PostgresNIO

#if canImport(Glibc)
import Glibc
#endif

/// Backups of the embedded cluster with PostgreSQL's own tools: the WAL archived continuously (see
/// EmbeddedPostgres.configureArchiving), base backups taken by `pg_basebackup`, and a restore to any
/// moment between the oldest base backup and the last archived WAL by PostgreSQL's point-in-time
/// recovery. Everything lives beside the data folder in `<data>-backups/` (`base/<name>/`, `wal/`).
/// An external database is its operator's to back up (docs/operations.md).
public struct Backups: Sendable {
    public let cluster: EmbeddedPostgres
    let logger: Logger

    public init(cluster: EmbeddedPostgres, logger: Logger) {
        self.cluster = cluster
        self.logger = logger
    }

    /// The backups' folder of a data folder: a sibling, so that losing the data folder keeps them.
    public static func root(of dataDirectory: String) -> String { dataDirectory + "-backups" }

    var root: String { Self.root(of: cluster.dataDirectory) }
    var baseDirectory: String { root + "/base" }
    var walDirectory: String { root + "/wal" }

    /// One base backup: its name (the UTC time it began), when it finished (the earliest moment it can be
    /// restored to), and its size on disk.
    public struct BaseBackup: Sendable, Equatable, Codable {
        public var name: String
        public var started: Date
        public var finished: Date
        public var bytes: Int64
    }

    /// Takes a base backup of the running cluster (compressed tar, with the WAL it needs) and keeps the
    /// newest `keep`, removing the archived WAL that only older backups needed.
    public func backUp(url: DatabaseURL, keep: Int) throws -> BaseBackup {
        guard cluster.walArchiveDirectory != nil else {
            throw BackupError("this cluster does not archive its WAL (database.embedded.walArchive is off)")
        }
        let started = Date()
        let name = Self.stamp(started)
        let target = baseDirectory + "/" + name
        try FileManager.default.createDirectory(atPath: baseDirectory, withIntermediateDirectories: true)
        try ownForServer(root)
        let passfile = try writePassfile(url)
        defer { try? FileManager.default.removeItem(atPath: passfile) }
        try cluster.run(
            "/usr/bin/env",
            [
                "PGPASSFILE=\(passfile)", cluster.pg("pg_basebackup"), "-h", url.host, "-p", String(url.port), "-U", url.username,
                "-D", target, "-Ft", "-z", "-X", "stream", "--checkpoint=fast", "-l", "gridcare \(name)",
            ],
            asServer: true
        )
        let backup = BaseBackup(name: name, started: started, finished: Date(), bytes: Self.size(of: target))
        let data = try JSONEncoder.backups.encode(backup)
        guard FileManager.default.createFile(atPath: target + "/gridcare-backup.json", contents: data) else {
            throw BackupError("cannot write \(target)/gridcare-backup.json")
        }
        try prune(keep: max(1, keep))
        logger.notice("base backup taken", metadata: ["backup": "\(target)"])
        return backup
    }

    /// The base backups, oldest first.
    public func list() -> [BaseBackup] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: baseDirectory)) ?? []
        return names.sorted().compactMap { name in
            guard let data = FileManager.default.contents(atPath: baseDirectory + "/" + name + "/gridcare-backup.json") else { return nil }
            return try? JSONDecoder.backups.decode(BaseBackup.self, from: data)
        }
    }

    /// The archived WAL: how many segments and bytes.
    public func archivedWAL() -> (segments: Int, bytes: Int64) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: walDirectory)) ?? []
        return (names.count, Self.size(of: walDirectory))
    }

    /// Replaces the cluster's data with the newest base backup that finished before `time` replayed up to
    /// `time` (every transaction committed before it, none after), or to the end of the archive when
    /// `time` is nil. The cluster is stopped first; the data folder it had is kept beside it, renamed, and
    /// its path returned. Leaves the restored cluster running.
    public func restore(to time: Date?) throws -> (backup: BaseBackup, previousData: String?) {
        let candidates = list().filter { time == nil || $0.finished <= time! }
        guard let backup = candidates.last else {
            throw BackupError(
                time == nil
                    ? "there is no base backup in \(baseDirectory)"
                    : "no base backup finished before \(ISO8601DateFormatter().string(from: time!)); the oldest is \(list().first.map { ISO8601DateFormatter().string(from: $0.finished) } ?? "none")"
            )
        }
        try cluster.stop()
        let fm = FileManager.default
        var previous: String?
        if fm.fileExists(atPath: cluster.dataDirectory) {
            let aside = cluster.dataDirectory + ".replaced-" + Self.stamp(Date())
            try fm.moveItem(atPath: cluster.dataDirectory, toPath: aside)
            previous = aside
        }
        try fm.createDirectory(atPath: cluster.dataDirectory, withIntermediateDirectories: true)
        try ownForServer(cluster.dataDirectory)
        try cluster.run("/bin/chmod", ["0700", cluster.dataDirectory], asServer: true)
        let source = baseDirectory + "/" + backup.name
        try cluster.run("/bin/tar", ["-xzf", source + "/base.tar.gz", "-C", cluster.dataDirectory], asServer: true)
        try cluster.run("/bin/tar", ["-xzf", source + "/pg_wal.tar.gz", "-C", cluster.dataDirectory + "/pg_wal"], asServer: true)
        // Point-in-time recovery: fetch archived WAL, stop before the first commit at or after `time`,
        // then become a primary again on a new timeline.
        var recovery = "\n# gridcare restore of \(backup.name)\nrestore_command = 'cp \(walDirectory)/%f %p'\n"
        if let time {
            recovery += "recovery_target_time = '\(Self.postgresTime(time))'\nrecovery_target_inclusive = off\n"
        }
        recovery += "recovery_target_action = 'promote'\n"
        try append(recovery, to: cluster.dataDirectory + "/postgresql.auto.conf")
        try write("", to: cluster.dataDirectory + "/recovery.signal")
        _ = try cluster.start()
        return (backup, previous)
    }

    /// Waits until the restored cluster has finished recovery and accepts writes, then removes the
    /// recovery settings, so the next start is a plain one.
    public func finishRestore(url: DatabaseURL) async throws {
        try await withClient(url, poolSize: 1, logger: logger) { client in
            for _ in 0..<600 {
                let recovering = try await client.query("SELECT pg_is_in_recovery()", logger: logger).decode(Bool.self).all()
                if recovering == [false] { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            for setting in ["restore_command", "recovery_target_time", "recovery_target_inclusive", "recovery_target_action"] {
                try await client.query(PostgresQuery(unsafeSQL: "ALTER SYSTEM RESET \(setting)"), logger: logger)
            }
            try await client.query("SELECT pg_reload_conf()", logger: logger)
        }
    }

    /// Keeps the newest `keep` base backups and the WAL from the oldest kept one's start on.
    func prune(keep: Int) throws {
        let all = list()
        guard all.count > keep else { return }
        for old in all.dropLast(keep) {
            try FileManager.default.removeItem(atPath: baseDirectory + "/" + old.name)
        }
        // The oldest kept backup's first WAL segment, from its manifest-free label in the tar: read the
        // backup_label the tar holds.
        guard let oldest = list().first,
            let label = try? cluster.run("/bin/tar", ["-xzOf", baseDirectory + "/" + oldest.name + "/base.tar.gz", "backup_label"], asServer: true),
            let line = label.split(separator: "\n").first(where: { $0.hasPrefix("START WAL LOCATION:") }),
            let file = line.split(separator: " ").last?.trimmingCharacters(in: CharacterSet(charactersIn: ")"))
        else { return }
        try cluster.run(cluster.pg("pg_archivecleanup"), [walDirectory, file], asServer: true)
    }

    func writePassfile(_ url: DatabaseURL) throws -> String {
        let path = root + "/.pgpass-\(UUID().uuidString)"
        try write("\(url.host):\(url.port):*:\(url.username):\(url.password ?? "")\n", to: path, mode: 0o600)
        try ownForServer(path)
        return path
    }

    func ownForServer(_ path: String) throws {
        if getuid() == 0 { try cluster.run("/bin/chown", ["-R", EmbeddedPostgres.serviceUser, path]) }
    }

    func write(_ text: String, to path: String, mode: Int = 0o600) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: mode]) else {
            throw BackupError("cannot write \(path)")
        }
        try ownForServer(path)
    }

    func append(_ text: String, to path: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
    }

    /// A backup's name: the UTC time it began.
    static func stamp(_ date: Date) -> String { utc(date, "yyyyMMdd'T'HHmmss'Z'") }

    /// A time as recovery_target_time reads it, in UTC to the microsecond.
    static func postgresTime(_ date: Date) -> String { utc(date, "yyyy-MM-dd HH:mm:ss.SSSSSS'+00'") }

    static func utc(_ date: Date, _ format: String) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = format
        return f.string(from: date)
    }

    static func size(of path: String) -> Int64 {
        let fm = FileManager.default
        guard let items = fm.enumerator(atPath: path) else { return 0 }
        var total: Int64 = 0
        for case let item as String in items {
            total += ((try? fm.attributesOfItem(atPath: path + "/" + item))?[.size] as? Int64) ?? 0
        }
        return total
    }
}

/// Times in a backup's record to the millisecond: a restore target chooses between backups by them.
extension JSONEncoder {
    static var backups: JSONEncoder {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(ISO8601DateFormatter.withMilliseconds.string(from: date))
        }
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return e
    }
}

extension JSONDecoder {
    static var backups: JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = ISO8601DateFormatter.withMilliseconds.date(from: text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a time: \(text)"))
            }
            return date
        }
        return d
    }
}

extension ISO8601DateFormatter {
    static var withMilliseconds: ISO8601DateFormatter {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }
}

public struct BackupError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
