import Foundation
import Logging
import PostgresNIO

extension PostgresConnection {
    /// The first row of `query`, decoded, or nil when there is none.
    public func first<each Column: PostgresDecodable & Sendable>(
        _ query: PostgresQuery,
        as _: (repeat each Column).Type,
        logger: Logger
    ) async throws -> (repeat each Column)? {
        for try await row in try await self.query(query, logger: logger).decode((repeat each Column).self) { return row }
        return nil
    }

    /// Every row of `query`, decoded.
    public func rows<each Column: PostgresDecodable & Sendable>(
        _ query: PostgresQuery,
        as _: (repeat each Column).Type,
        logger: Logger
    ) async throws -> [(repeat each Column)] {
        try await self.query(query, logger: logger).decode((repeat each Column).self).all()
    }
}

extension PostgresConnection {
    /// The first row of a named prepared statement, decoded, or nil when there is none.
    public func first<Statement: PostgresPreparedStatement>(_ statement: Statement, logger: Logger) async throws -> Statement.Row? {
        for try await row in try await execute(statement, logger: logger) { return row }
        return nil
    }

    /// Every row of a named prepared statement, decoded.
    public func rows<Statement: PostgresPreparedStatement>(_ statement: Statement, logger: Logger) async throws -> [Statement.Row] {
        var rows: [Statement.Row] = []
        for try await row in try await execute(statement, logger: logger) { rows.append(row) }
        return rows
    }
}

extension Optional {
    /// The value, or `error` thrown when there is none.
    func orThrow(_ error: @autoclosure () -> any Error) throws -> Wrapped {
        guard let self else { throw error() }
        return self
    }
}

/// Escapes LIKE wildcards so a name filter matches literally.
func likePrefix(_ s: String) -> String {
    s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
}

/// A row read by column name: the one way a store turns a wide SELECT into a value, so a reordered
/// column list cannot shift a field into its neighbour.
public struct Columns {
    private let row: PostgresRandomAccessRow
    init(_ row: PostgresRow) { self.row = row.makeRandomAccess() }

    /// The column `name` decoded as `T`.
    public func callAsFunction<T: PostgresDecodable>(_ name: String, _: T.Type = T.self) throws -> T { try row[name].decode(T.self) }
}

extension PostgresConnection {
    /// Every row of `query`, each made into a value by `make` from its columns by name.
    public func rows<T>(_ query: PostgresQuery, logger: Logger, _ make: (Columns) throws -> T) async throws -> [T] {
        var out: [T] = []
        for try await row in try await self.query(query, logger: logger) { out.append(try make(Columns(row))) }
        return out
    }

    /// The first row of `query` made into a value by `make`, or nil when there is none.
    public func first<T>(_ query: PostgresQuery, logger: Logger, _ make: (Columns) throws -> T) async throws -> T? {
        for try await row in try await self.query(query, logger: logger) { return try make(Columns(row)) }
        return nil
    }
}
