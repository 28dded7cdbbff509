import Crypto
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The callers of recently seen tokens, kept in the service so a request skips the token check's round
/// trip. It is trusted only while its listener hears PostgreSQL: every change to what a caller is made
/// of (a token revoked, a user disabled or moved, a worker's teams or a team's micro-grids changed) sends
/// a notification that empties it, and a heartbeat on the listening connection must have answered within
/// the last second. So a revoked token stops working within a second even when the notification is lost
/// with its connection; with nobody listening, every request checks its token in the database.
public final class CallerCache: Sendable {
    /// The channel the migration's triggers notify.
    public static let channel = "gridcare_callers"

    /// How long one entry is kept at most, listened to or not.
    let maxAge: Duration
    /// How recent the last answer from the listening connection must be for an entry to be used.
    let trustFor: Duration
    private let state = Mutex(State())

    struct Entry {
        var caller: Caller
        var storedAt: ContinuousClock.Instant
    }

    struct State {
        var entries: [Data: Entry] = [:]
        /// Moves on every flush, so a check that started before one cannot store what it read.
        var generation: UInt64 = 0
        var heardAt: ContinuousClock.Instant?
    }

    public init(maxAge: Duration = .seconds(30), trustFor: Duration = .seconds(1)) {
        self.maxAge = maxAge
        self.trustFor = trustFor
    }

    /// What a token is kept under: its SHA-256, so the cache holds no usable token.
    static func key(_ token: String) -> Data { Data(SHA256.hash(data: Data(token.utf8))) }

    /// The caller of `token`: the kept one, or what `check` (the database) answers, kept when the cache
    /// is trusted and nothing changed while it was asked. Refusals are never kept.
    func caller(for token: String, _ check: () async throws -> Caller?) async throws -> Caller? {
        let key = Self.key(token)
        switch lookup(key) {
        case .hit(let caller):
            return caller
        case .miss(let generation):
            let caller = try await check()
            if let caller, let generation { store(caller, under: key, generation: generation) }
            return caller
        }
    }

    /// A lookup's answer: the caller when one is kept, and otherwise the generation to store the
    /// database's answer under (nil when the cache is not trusted now and nothing may be stored).
    enum Lookup {
        case hit(Caller)
        case miss(generation: UInt64?)
    }

    func lookup(_ key: Data, now: ContinuousClock.Instant = .now) -> Lookup {
        state.withLock { s in
            guard let heard = s.heardAt, now - heard < trustFor else { return .miss(generation: nil) }
            if let e = s.entries[key], now - e.storedAt < maxAge, e.caller.expiresAt > Date() { return .hit(e.caller) }
            s.entries[key] = nil
            return .miss(generation: s.generation)
        }
    }

    /// Keeps `caller` unless the cache was emptied since the lookup that gave `generation`.
    func store(_ caller: Caller, under key: Data, generation: UInt64) {
        state.withLock { s in
            guard s.generation == generation else { return }
            // A bound on memory: a flood of distinct tokens empties it rather than growing it.
            if s.entries.count >= 100_000 { s.entries.removeAll(keepingCapacity: true) }
            s.entries[key] = Entry(caller: caller, storedAt: .now)
        }
    }

    /// Forgets every caller (a notification arrived, or the listener lost or regained its connection).
    func flush(trusted: Bool) {
        state.withLock { s in
            s.entries.removeAll(keepingCapacity: true)
            s.generation &+= 1
            s.heardAt = trusted ? .now : nil
        }
    }

    /// Forgets every caller without touching the trust: this service changed one (a token revoked, a
    /// user disabled), so it need not wait for the notification to stop honouring the old one.
    public func forget() {
        state.withLock { s in
            s.entries.removeAll(keepingCapacity: true)
            s.generation &+= 1
        }
    }

    /// The listening connection answered.
    func heard() { state.withLock { $0.heardAt = .now } }

    /// How many callers are kept (for tests).
    public var count: Int { state.withLock { $0.entries.count } }
}

/// Keeps a CallerCache trustworthy: listens on one pooled connection for the triggers' notifications and
/// checks that connection four times a second; on any failure the cache is emptied and distrusted until
/// the listener is back.
public struct CallerCacheListener: Service {
    let cache: CallerCache
    let client: PostgresClient
    let logger: Logger

    public init(cache: CallerCache, client: PostgresClient, logger: Logger) {
        self.cache = cache
        self.client = client
        self.logger = logger
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await listen()
                } catch {
                    if Task.isCancelled { break }
                    logger.warning(
                        "caller cache: listener lost, every token is checked in the database",
                        metadata: ["error": "\(String(reflecting: error))"]
                    )
                }
                cache.flush(trusted: false)
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    private func listen() async throws {
        let (cache, logger) = (self.cache, self.logger)
        try await client.withConnection { connection in
            try await connection.listen(on: CallerCache.channel) { notifications in
                // Whatever was kept before this connection listened may have changed unheard.
                cache.flush(trusted: true)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for try await _ in notifications { cache.flush(trusted: true) }
                        throw CancellationError()
                    }
                    group.addTask {
                        while true {
                            try await Task.sleep(for: .milliseconds(250))
                            try await connection.query("SELECT 1", logger: logger)
                            cache.heard()
                        }
                    }
                    try await group.next()
                    group.cancelAll()
                }
            }
        }
    }
}
