import Foundation
import Logging
import PostgresNIO
import Synchronization

/// The service's handle on PostgreSQL: a pooled client plus the transaction helper every store uses.
/// A scoped handle runs every statement in a transaction that first sets the caller's scope, so the
/// row-level security policies see who is asking; an unscoped one (the CLI, as the owner) sees all.
public struct Database: Sendable {
    public let client: PostgresClient
    public let logger: Logger
    /// Seals, opens and indexes identity numbers; the key never reaches the database.
    public let vault: IdentityVault
    /// The caller's scope; nil for the owner's tools (import, demo, reports run from the CLI).
    public private(set) var scope: Scope?
    /// What the caller is doing (an operationId, or a CLI command), for the audit trail.
    public private(set) var operation: String
    /// The service's callers of recently seen tokens; nil (the CLI, tests without the service's
    /// listener) checks every token in the database.
    public let callers: CallerCache?
    /// The pool's counts of waiting and held leases, shared by every handle on the same client.
    public let pool: PoolUsage
    /// The replica that reports may read from (`reporting()`); nil without `database.replicaUrl`.
    public var replica: ReadReplica?
    /// On a replica's handle, the primary: where its audit rows are written, since a replica takes no writes.
    var auditPrimary: PostgresClient?

    public init(
        client: PostgresClient,
        logger: Logger,
        vault: IdentityVault,
        scope: Scope? = nil,
        operation: String = "cli",
        callers: CallerCache? = nil
    ) {
        self.client = client
        self.logger = logger
        self.vault = vault
        self.scope = scope
        self.operation = operation
        self.callers = callers
        self.pool = PoolUsage.of(client)
    }

    /// The same database, seen by `scope` while doing `operation`.
    public func scoped(_ scope: Scope?, operation: String) -> Database {
        var copy = self
        copy.scope = scope
        copy.operation = operation
        return copy
    }

    /// Runs `body` in one transaction on one pooled connection. The original error is rethrown (not wrapped),
    /// and the rollback runs even when the calling task was cancelled, so a deadline never hands the pool a
    /// connection stuck inside an aborted transaction.
    public func transaction<T: Sendable>(
        logger: Logger? = nil,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let logger = logger ?? self.logger
        if let joined = RequestTransaction.joined(client) {
            return try await joined.savepoint(logger: logger) { connection in
                if joined.needsScope(scope) { try await scope?.apply(on: connection, logger: logger) }
                return try await body(connection)
            }
        }
        return try await pool.lease(client) { connection in
            try await connection.query("BEGIN", logger: logger)
            do {
                try await scope?.apply(on: connection, logger: logger)
                let value = try await body(connection)
                try await connection.query("COMMIT", logger: logger)
                return value
            } catch {
                let rollback = Task.detached { try await connection.query("ROLLBACK", logger: logger) }
                _ = try? await rollback.value
                throw error
            }
        }
    }

    /// Runs `body` on one pooled connection: without a transaction when unscoped, and in one (which the
    /// scope needs) otherwise.
    public func read<T: Sendable>(logger: Logger? = nil, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        if scope != nil { return try await transaction(logger: logger, body) }
        return try await withConnection(logger: logger, body)
    }

    /// Runs `body` on one pooled connection, outside a transaction; inside a request's own transaction
    /// (RequestTransaction), on its connection, in a savepoint, so a failed statement does not abort it.
    public func withConnection<T: Sendable>(logger: Logger? = nil, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        if let joined = RequestTransaction.joined(client) {
            return try await joined.savepoint(logger: logger ?? self.logger, body)
        }
        return try await pool.lease(client) { try await body($0) }
    }

    /// Every row of one statement, read within the caller's scope.
    public func query(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRow] {
        try await read(logger: logger) { try await $0.query(query, logger: logger).collect() }
    }

    /// Every row of one statement, decoded.
    public func rows<each Column: PostgresDecodable & Sendable>(
        _ query: PostgresQuery,
        as _: (repeat each Column).Type,
        logger: Logger
    ) async throws -> [(repeat each Column)] {
        try await read(logger: logger) { try await $0.rows(query, as: (repeat each Column).self, logger: logger) }
    }

    /// The first row of one statement, decoded, or nil when there is none.
    public func first<each Column: PostgresDecodable & Sendable>(
        _ query: PostgresQuery,
        as _: (repeat each Column).Type,
        logger: Logger
    ) async throws -> (repeat each Column)? {
        try await read(logger: logger) { try await $0.first(query, as: (repeat each Column).self, logger: logger) }
    }

    /// Every row of one statement, each made into a value from its columns by name.
    public func rows<T: Sendable>(_ query: PostgresQuery, logger: Logger, _ make: (Columns) throws -> T) async throws -> [T] {
        try await read(logger: logger) { try await $0.rows(query, logger: logger, make) }
    }

    /// The first row of one statement made into a value from its columns by name, or nil when there is none.
    public func first<T: Sendable>(_ query: PostgresQuery, logger: Logger, _ make: (Columns) throws -> T) async throws -> T? {
        try await read(logger: logger) { try await $0.first(query, logger: logger, make) }
    }
}

extension Database {
    /// Runs `body` in a transaction of its own on a connection of its own, even inside a page's shared
    /// transaction (`together`): for heavy reads that must run beside the page's other statements, which
    /// share that one connection and so run one after another. It sees its own snapshot, and an audit row
    /// it records is written by its own transaction, not gathered with the page's.
    public func transactionApart<T: Sendable>(logger: Logger? = nil, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await RequestTransaction.$current.withValue(nil) { try await transaction(logger: logger, body) }
    }

    /// Runs `body`, a whole page of reads, in one transaction on one connection: the scope is set once,
    /// every store call joins it without a savepoint of its own, and the audit rows the calls record are
    /// gathered and written by one statement per kind just before the commit, each resident once however
    /// many of the page's lists showed them. Nothing may be shown before the commit: a failed audit
    /// fails the page. A refusal inside commits its audit row and is thrown after the commit.
    public func together<T: Sendable>(logger: Logger? = nil, _ body: () async throws -> T) async throws -> T {
        let logger = logger ?? self.logger
        if RequestTransaction.joined(client) != nil { return try await body() }
        return try await pool.lease(client) { connection in
            try await connection.query("BEGIN", logger: logger)
            let shared = RequestTransaction(client: client, connection: connection, joining: .page(scope: scope))
            do {
                try await scope?.apply(on: connection, logger: logger)
                let outcome: Result<T, any Error>
                do {
                    outcome = .success(try await RequestTransaction.$current.withValue(shared) { try await body() })
                } catch {
                    outcome = .failure(error)
                }
                // A refusal's audit row commits like a read's; a failed statement left nothing to commit.
                if case .failure(let error) = outcome, ConstraintViolation(error) != nil || error is PSQLError { throw error }
                if let primary = auditPrimary {
                    // Read on a replica: the rows go to the primary, committed before the page is shown.
                    try await PoolUsage.of(primary).lease(primary) { try await AuditLog.write(shared.gatheredAudit(), on: $0, logger: logger) }
                } else {
                    try await AuditLog.write(shared.gatheredAudit(), on: connection, logger: logger)
                }
                try await connection.query("COMMIT", logger: logger)
                return try outcome.get()
            } catch {
                let rollback = Task.detached { try await connection.query("ROLLBACK", logger: logger) }
                _ = try? await rollback.value
                throw error
            }
        }
    }
}

/// A request's own transaction, which every statement the request runs through a `Database` of the same
/// pool joins: `transaction`, `read` and `withConnection` run in savepoints of it instead of taking a
/// connection of their own. IdempotencyStore.perform opens one, so an idempotency key, the writes it
/// guards and the stored response commit together or not at all. `Database.together` opens a shared one
/// for a page of reads: no savepoints, the scope set once, the audit rows gathered.
public final class RequestTransaction: Sendable {
    @TaskLocal static var current: RequestTransaction?

    let client: PostgresClient
    let connection: PostgresConnection
    /// How the request's statements join it.
    enum Joining: Sendable {
        /// Each in a savepoint, setting its own scope (a request that writes, IdempotencyStore).
        case savepoints
        /// A page of reads (Database.together): straight on the connection, in the scope set at its
        /// start, its audit rows gathered for the commit.
        case page(scope: Scope?)
    }
    let joining: Joining
    private let state = Mutex(State())

    struct State {
        var savepoints = 0
        var carriesSecret = false
        var audit: [AuditLog.Entry] = []
    }

    init(client: PostgresClient, connection: PostgresConnection, joining: Joining = .savepoints) {
        self.client = client
        self.connection = connection
        self.joining = joining
    }

    var isPage: Bool {
        if case .page = joining { return true }
        return false
    }

    /// Whether a statement run for `scope` must set it first (always, except in a page of that scope).
    func needsScope(_ scope: Scope?) -> Bool {
        guard case .page(let set) = joining else { return true }
        return set != scope
    }

    /// Keeps an audit row for the commit of a page; false when this transaction writes its own at once.
    func gather(_ entry: AuditLog.Entry) -> Bool {
        guard isPage else { return false }
        state.withLock { $0.audit.append(entry) }
        return true
    }

    func gatheredAudit() -> [AuditLog.Entry] { state.withLock { $0.audit } }

    /// The request transaction of this task, when it is on `client`'s pool.
    static func joined(_ client: PostgresClient) -> RequestTransaction? {
        guard let current, current.client === client else { return nil }
        return current
    }

    /// Says that the response of the running request carries a secret (a token): it must never be stored.
    public static func markSecret() {
        current?.state.withLock { $0.carriesSecret = true }
    }

    var carriesSecret: Bool { state.withLock { $0.carriesSecret } }

    func savepoint<T: Sendable>(logger: Logger, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        // A page's reads fail as a whole, so they need no savepoint to recover from.
        if isPage { return try await body(connection) }
        let number = state.withLock {
            $0.savepoints += 1
            return $0.savepoints
        }
        let name = "gridcare_\(number)"
        try await connection.query("SAVEPOINT \(unescaped: name)", logger: logger)
        do {
            let value = try await body(connection)
            try await connection.query("RELEASE SAVEPOINT \(unescaped: name)", logger: logger)
            return value
        } catch {
            let connection = self.connection
            let rollback = Task.detached { try await connection.query("ROLLBACK TO SAVEPOINT \(unescaped: name)", logger: logger) }
            _ = try? await rollback.value
            throw error
        }
    }
}

/// The end of a transaction whose refusal must still commit (it wrote an audit row saying so).
public enum Refusable<T: Sendable>: Sendable {
    case done(T)
    case refused(any Error)
}

extension Database {
    /// Runs `body` in one transaction that commits either way; a refusal is thrown after the commit.
    public func audited<T: Sendable>(logger: Logger, _ body: (PostgresConnection) async throws -> Refusable<T>) async throws -> T {
        switch try await transaction(logger: logger, body) {
        case .done(let value): return value
        case .refused(let error): throw error
        }
    }
}

/// Reasons a store refuses a request, independent of HTTP.
public enum StoreError: Error, Sendable, Equatable {
    /// The request clashes with a stored record (a duplicate the constraint would also refuse).
    case conflict(field: String, reason: String)
    /// No such record, or one the caller may not see: the two are told apart nowhere.
    case notFound(String)
    /// The record changed since the caller read it (an If-Match that no longer holds).
    case versionMismatch(current: Int)
    /// The caller sees the record but their role in it does not allow this (a nurse confirming a flag).
    case notAllowed(String)
}

/// How the database reported a broken constraint, for the one place that maps it to HTTP.
public struct ConstraintViolation: Sendable, Equatable {
    public var sqlState: String
    public var constraint: String?

    /// Reads a driver error; nil when it is not a constraint violation.
    public init?(_ error: any Error) {
        guard let psql = error as? PSQLError, let state = psql.serverInfo?[.sqlState] else { return nil }
        guard state.hasPrefix("23") else { return nil }
        sqlState = state
        constraint = psql.serverInfo?[.constraintName]
    }
}

/// True when a driver error says the database is unreachable rather than that the query was wrong.
public func isDatabaseUnavailable(_ error: any Error) -> Bool {
    guard let psql = error as? PSQLError else { return false }
    switch psql.code {
    case .connectionError, .serverClosedConnection, .clientClosedConnection, .poolClosed: return true
    default:
        // 57P01..57P03: admin shutdown, crash shutdown, cannot connect now; 53300: too many connections.
        let state = psql.serverInfo?[.sqlState] ?? ""
        return state.hasPrefix("57P") || state == "53300"
    }
}
