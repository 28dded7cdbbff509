import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// A private PostgreSQL cluster run from the installed server binaries: created on first use, reused
/// afterwards, reached over loopback TCP with a generated password.
///
/// PostgreSQL refuses to run as root, so when Gridcare runs as root the cluster's commands run as the
/// unprivileged `postgres` user that Debian's package creates, and the data folder belongs to that user.
public struct EmbeddedPostgres: Sendable {
    public let dataDirectory: String
    public let binDirectory: String
    public let databaseName: String
    /// Where the cluster archives its WAL (Backups), or nil for a cluster that keeps none (the test suite's).
    public let walArchiveDirectory: String?
    let logger: Logger

    static let superuser = "gridcare"
    static let serviceUser = "postgres"

    public init(
        dataDirectory: String,
        binDirectory: String? = nil,
        databaseName: String = "gridcare",
        archivesWAL: Bool = false,
        logger: Logger
    ) throws {
        let requested = URL(fileURLWithPath: dataDirectory).standardizedFileURL.path
        self.binDirectory = try binDirectory ?? Self.findBinDirectory()
        self.databaseName = databaseName
        self.logger = logger
        let reachable = Self.reachable(requested, logger: logger)
        self.dataDirectory = reachable
        self.walArchiveDirectory = archivesWAL ? Backups.root(of: reachable) + "/wal" : nil
    }

    /// As root, the server runs as `postgres`, which must be able to pass through every parent folder. A
    /// checkout under a private home folder is not, so the cluster then lives under /var/tmp instead, in a
    /// folder named after the requested path (so each checkout still gets its own cluster).
    static func reachable(_ path: String, logger: Logger) -> String {
        guard getuid() == 0 else { return path }
        let parent = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
        probe.arguments = ["-u", serviceUser, "--", "test", "-x", parent]
        guard (try? probe.run()) != nil else { return path }
        probe.waitUntilExit()
        if probe.terminationStatus == 0 { return path }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in path.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0100_0000_01b3 }
        let moved = "/var/tmp/gridcare-\(String(hash, radix: 16))/pg"
        logger.notice("\(serviceUser) cannot reach \(parent); keeping the embedded cluster in \(moved)")
        try? FileManager.default.createDirectory(atPath: (moved as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        return moved
    }

    /// The newest `/usr/lib/postgresql/N/bin` that has `initdb`, or the directory of `pg_ctl` on PATH.
    static func findBinDirectory() throws -> String {
        let fm = FileManager.default
        let root = "/usr/lib/postgresql"
        let versions = ((try? fm.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted(by: >)
        for v in versions where fm.isExecutableFile(atPath: "\(root)/\(v)/bin/initdb") {
            return "\(root)/\(v)/bin"
        }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        where fm.isExecutableFile(atPath: "\(dir)/initdb") && fm.isExecutableFile(atPath: "\(dir)/pg_ctl") {
            return String(dir)
        }
        throw EmbeddedPostgresError("PostgreSQL server binaries (initdb, pg_ctl) were not found; install Debian's postgresql package")
    }

    struct State: Codable {
        var port: Int
        var password: String
    }

    var stateFile: String { dataDirectory + "/gridcare-cluster.json" }
    var isRoot: Bool { getuid() == 0 }

    /// Starts the cluster unless it already runs. Returns the address and whether this call started it
    /// (only then should the caller stop it on shutdown).
    public func start() throws -> (url: DatabaseURL, startedHere: Bool) {
        let fm = FileManager.default
        if !fm.fileExists(atPath: dataDirectory + "/PG_VERSION") {
            try initialise()
        }
        guard let data = fm.contents(atPath: stateFile), var state = try? JSONDecoder().decode(State.self, from: data) else {
            throw EmbeddedPostgresError("\(stateFile) is missing or unreadable; remove \(dataDirectory) to start afresh")
        }
        var startedHere = false
        if let runningPort = runningPort() {
            state.port = runningPort
        } else {
            if !Self.portIsFree(state.port) {
                state.port = try Self.freePort()
                try writeState(state)
            }
            try configureArchiving()
            // The server inherits pg_ctl's output; a pipe would stay open for the server's lifetime.
            try run(
                pg("pg_ctl"),
                [
                    "-D", dataDirectory, "-l", dataDirectory + "/server.log", "-w", "-t", "60",
                    "-o", "-p \(state.port)", "start",
                ],
                detached: true
            )
            startedHere = true
            logger.info("started embedded PostgreSQL", metadata: ["data": "\(dataDirectory)", "port": "\(state.port)"])
        }
        let url = DatabaseURL(
            host: "127.0.0.1",
            port: state.port,
            username: Self.superuser,
            password: state.password,
            database: databaseName
        )
        return (url, startedHere)
    }

    /// Stops the cluster (fast shutdown: open sessions are rolled back).
    public func stop() throws {
        guard runningPort() != nil else { return }
        try run(pg("pg_ctl"), ["-D", dataDirectory, "-m", "fast", "-w", "-t", "60", "stop"])
        logger.info("stopped embedded PostgreSQL", metadata: ["data": "\(dataDirectory)"])
    }

    /// Whether a postmaster of this data folder runs.
    public var isRunning: Bool { runningPort() != nil }

    /// The port of a running postmaster of this data folder, read from postmaster.pid.
    func runningPort() -> Int? {
        guard (try? run(pg("pg_ctl"), ["-D", dataDirectory, "status"], quiet: true)) != nil,
            let pid = try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8)
        else { return nil }
        let lines = pid.split(separator: "\n", omittingEmptySubsequences: false)
        return lines.count > 3 ? Int(lines[3]) : nil
    }

    func initialise() throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        let password = Self.randomPassword()
        let pwfile = dataDirectory + ".pwfile"
        fm.createFile(atPath: pwfile, contents: Data(password.utf8), attributes: [.posixPermissions: 0o600])
        defer { try? fm.removeItem(atPath: pwfile) }
        if isRoot {
            try run("/bin/chown", [Self.serviceUser, dataDirectory, pwfile])
            try run("/bin/chmod", ["0700", dataDirectory])
        }
        try run(
            pg("initdb"),
            [
                "-D", dataDirectory, "-U", Self.superuser, "--pwfile=\(pwfile)", "--auth=scram-sha-256",
                "-E", "UTF8", "--no-locale", "--no-instructions",
            ]
        )
        let settings = """

            # Written by gridcare: a private cluster on loopback only.
            listen_addresses = '127.0.0.1'
            unix_socket_directories = ''
            max_connections = 200
            shared_buffers = 256MB
            work_mem = 16MB
            maintenance_work_mem = 256MB
            max_wal_size = 4GB
            synchronous_commit = off
            log_min_duration_statement = 2000

            """
        let conf = dataDirectory + "/postgresql.conf"
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: conf))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(settings.utf8))
        try handle.close()
        try writeState(State(port: try Self.freePort(), password: password))
        logger.info("created embedded PostgreSQL cluster", metadata: ["data": "\(dataDirectory)"])
    }

    /// Writes `gridcare-archive.conf`, which postgresql.conf includes: WAL archiving into the backups'
    /// folder (a segment at least every minute, so a lost cluster loses at most a minute), or none.
    /// Read at start: turning archiving on or off takes a restart.
    func configureArchiving() throws {
        if isRoot { try run("/bin/chown", [Self.serviceUser, stateFile]) }
        let conf = dataDirectory + "/postgresql.conf"
        let include = "include_if_exists = 'gridcare-archive.conf'"
        let text = (try? String(contentsOfFile: conf, encoding: .utf8)) ?? ""
        if !text.contains(include) {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: conf))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data("\n# Written by gridcare: WAL archiving for `gridcare backup`.\n\(include)\n".utf8))
            try handle.close()
        }
        var settings = "archive_mode = off\n"
        if let archive = walArchiveDirectory {
            try FileManager.default.createDirectory(atPath: archive, withIntermediateDirectories: true)
            if isRoot { try run("/bin/chown", ["-R", Self.serviceUser, Backups.root(of: dataDirectory)]) }
            // A segment already archived is never overwritten (a restored cluster's old timeline, say).
            settings = """
                archive_mode = on
                archive_command = 'test ! -f \(archive)/%f && cp %p \(archive)/%f'
                archive_timeout = 60

                """
        }
        let path = dataDirectory + "/gridcare-archive.conf"
        guard FileManager.default.createFile(atPath: path, contents: Data(settings.utf8), attributes: [.posixPermissions: 0o644]) else {
            throw EmbeddedPostgresError("cannot write \(path)")
        }
        if isRoot { try run("/bin/chown", [Self.serviceUser, path]) }
    }

    func writeState(_ state: State) throws {
        let data = try JSONEncoder().encode(state)
        guard FileManager.default.createFile(atPath: stateFile, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw EmbeddedPostgresError("cannot write \(stateFile)")
        }
        // The server's user owns everything in its data folder: pg_basebackup copies it all.
        if isRoot { try run("/bin/chown", [Self.serviceUser, stateFile]) }
    }

    func pg(_ tool: String) -> String { binDirectory + "/" + tool }

    /// Runs a cluster command, as the service user when we are root; throws with its output on failure.
    /// Output goes to a file, not a pipe: a server started by pg_ctl would hold a pipe open for its lifetime.
    @discardableResult
    func run(_ executable: String, _ arguments: [String], quiet: Bool = false, detached: Bool = false, asServer: Bool? = nil) throws -> String {
        let asServiceUser = isRoot && (asServer ?? executable.hasPrefix(binDirectory))
        let (path, args) =
            asServiceUser
            ? ("/usr/sbin/runuser", ["-u", Self.serviceUser, "--", executable] + arguments)
            : (executable, arguments)
        let outputFile = FileManager.default.temporaryDirectory.appendingPathComponent("gridcare-pg-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: outputFile) }
        let status = try ChildProcess.run(path, args, outputFile: detached ? nil : outputFile)
        var text = (try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? ""
        guard status == 0 else {
            if quiet { throw EmbeddedPostgresError("") }
            if detached { text = (try? String(contentsOfFile: dataDirectory + "/server.log", encoding: .utf8)).map { String($0.suffix(2000)) } ?? "" }
            throw EmbeddedPostgresError("\((executable as NSString).lastPathComponent) failed (\(status)): \(text.suffix(2000))")
        }
        return text
    }

    static func randomPassword() -> String {
        let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var rng = SystemRandomNumberGenerator()
        return String((0..<32).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
    }

    /// A loopback port the kernel hands out as free right now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw EmbeddedPostgresError("cannot open a socket to find a free port") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard bound else { throw EmbeddedPostgresError("cannot bind a loopback socket to find a free port") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    static func portIsFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

public struct EmbeddedPostgresError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
