import Foundation
import Logging
import PostgresNIO

/// Remembers the response to the first POST under an Idempotency-Key, so retries replay it.
public struct IdempotencyStore: Sendable {
    let db: Database
    public init(_ db: Database) { self.db = db }

    /// A stored outcome of an earlier request with the same key.
    public enum Claim: Sendable, Equatable {
        /// This request is the first: run it, then `finish` or `release`.
        case first
        /// The first request finished with this response.
        case replay(status: Int, contentType: String?, body: [UInt8])
        /// The first request is still running.
        case pending
        /// The key was used with another body.
        case mismatch
    }

    /// How long a finished key is remembered.
    static let keepHours = 24

    /// How long a claim may stay unfinished before a retry may take it over (the first request died).
    static let abandonAfterSeconds = 60

    public func claim(userId: Int64, operation: String, key: String, body: [UInt8], logger: Logger) async throws -> Claim {
        let bytes = ByteBuffer(bytes: body)
        let inserted = try await db.client.query("""
            INSERT INTO idempotency_key (user_id, operation, key, request_body) VALUES (\(userId), \(operation), \(key), \(bytes))
            ON CONFLICT DO NOTHING RETURNING 1
            """, logger: logger).collect()
        if !inserted.isEmpty { return .first }
        let takenOver = try await db.client.query("""
            UPDATE idempotency_key SET created_at = now()
            WHERE user_id = \(userId) AND operation = \(operation) AND key = \(key) AND request_body = \(bytes) AND status IS NULL
              AND created_at < now() - make_interval(secs => \(Self.abandonAfterSeconds))
            RETURNING 1
            """, logger: logger).collect()
        if !takenOver.isEmpty { return .first }
        let rows = try await db.client.query("""
            SELECT request_body = \(bytes), status, content_type, response FROM idempotency_key
            WHERE user_id = \(userId) AND operation = \(operation) AND key = \(key)
            """, logger: logger).decode((Bool, Int?, String?, ByteBuffer?).self).all()
        guard let (same, status, contentType, response) = rows.first else { return .pending }
        guard same else { return .mismatch }
        guard let status else { return .pending }
        return .replay(status: status, contentType: contentType, body: response.map { Array($0.readableBytesView) } ?? [])
    }

    /// Keeps the first request's response for replays.
    public func finish(userId: Int64, operation: String, key: String, status: Int, contentType: String?, body: [UInt8], logger: Logger) async throws {
        try await db.client.query("""
            UPDATE idempotency_key SET status = \(status), content_type = \(contentType), response = \(ByteBuffer(bytes: body))
            WHERE user_id = \(userId) AND operation = \(operation) AND key = \(key)
            """, logger: logger)
        // Keys are kept for a day; each finished key sweeps a few expired ones, so the table stays small
        // without a separate job. A failed sweep costs nothing but a retry next time.
        _ = try? await db.client.query("""
            DELETE FROM idempotency_key WHERE ctid = ANY(ARRAY(
                SELECT ctid FROM idempotency_key WHERE created_at < now() - \(Self.keepHours) * interval '1 hour' LIMIT 100))
            """, logger: logger)
    }

    /// Forgets a claim whose request failed, so a retry runs it again.
    public func release(userId: Int64, operation: String, key: String, logger: Logger) async throws {
        try await db.client.query("DELETE FROM idempotency_key WHERE user_id = \(userId) AND operation = \(operation) AND key = \(key) AND status IS NULL",
                                  logger: logger)
    }
}
