import Foundation
import Logging
import PostgresNIO

/// The service's handle on PostgreSQL: a pooled client plus the transaction helper every store uses.
public struct Database: Sendable {
    public let client: PostgresClient
    public let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Runs `body` in one transaction on one pooled connection. The original error is rethrown (not wrapped),
    /// and the rollback runs even when the calling task was cancelled, so a deadline never hands the pool a
    /// connection stuck inside an aborted transaction.
    public func transaction<T: Sendable>(
        logger: Logger? = nil,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let logger = logger ?? self.logger
        return try await client.withConnection { connection in
            try await connection.query("BEGIN", logger: logger)
            do {
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

    /// Runs `body` on one pooled connection without a transaction (reads).
    public func read<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await client.withConnection { try await body($0) }
    }
}

/// Reasons a store refuses a request, independent of HTTP.
public enum StoreError: Error, Sendable, Equatable {
    /// No such record, or one the caller may not see: the two are told apart nowhere.
    case notFound(String)
    /// The record changed since the caller read it (an If-Match that no longer holds).
    case versionMismatch(current: Int)
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
