import Foundation
import Logging
import PostgresNIO

/// Remembers the response to the first POST under an Idempotency-Key, so retries replay it. Only a SHA-256
/// of the request is kept, never its body; the key, the request's writes and its response commit in one
/// transaction (`perform`), so there is never a key without its response nor a write without its key.
public struct IdempotencyStore: Sendable {
    let db: Database
    public init(_ db: Database) { self.db = db }

    /// A response as it is kept for replays.
    public struct Response: Sendable, Equatable {
        public var status: Int
        public var contentType: String?
        public var body: [UInt8]
        public init(status: Int, contentType: String?, body: [UInt8]) {
            self.status = status
            self.contentType = contentType
            self.body = body
        }
    }

    /// What became of a request under a key.
    public enum Outcome<T: Sendable>: Sendable {
        /// It was the first: it ran, and its response is kept (unless it carried a secret).
        case ran(T)
        /// An earlier request with the same key and fingerprint finished with this response.
        case replay(Response)
        /// The key was used with another request (another body or another record's path).
        case mismatch
    }

    /// How long a finished key is remembered.
    static let keepHours = 24

    /// Runs `first` as the request under `(userId, operation, key)` unless an earlier one finished: in one
    /// transaction that claims the key, runs `first` (every statement it sends through a `Database` of
    /// this pool joins it, see RequestTransaction) and stores the response `first` returns, then commits.
    /// A second request with the same key waits on the claim's row until the first commits (then replays)
    /// or rolls back (then runs); the request deadline bounds the wait (statement_timeout).
    ///
    /// When `first` throws, everything rolls back — unless `keepsRefusal` says the error is a refusal,
    /// which commits what it wrote (an audit row saying so) with the key released, as without a key.
    /// A response returned as nil, or from a request that issued a secret (`RequestTransaction.markSecret`),
    /// is not stored either: the key is released and a retry runs afresh.
    public func perform<T: Sendable>(
        userId: Int64,
        operation: String,
        key: String,
        fingerprint: [UInt8],
        logger: Logger,
        keepsRefusal: (any Error) -> Bool = { _ in false },
        _ first: () async throws -> (T, Response?)
    ) async throws -> Outcome<T> {
        let request = ByteBuffer(bytes: fingerprint)
        // A key released or swept between the claim and the look-up below is claimed again.
        for _ in 0..<5 {
            let ran: T? = try await db.pool.lease(db.client) { conn in
                try await conn.query("BEGIN", logger: logger)
                var open = true
                do {
                    let claimed = try await conn.query(
                        """
                        INSERT INTO idempotency_key (user_id, operation, key, request_hash)
                        VALUES (\(userId), \(operation), \(key), sha256(\(request)))
                        ON CONFLICT DO NOTHING RETURNING 1
                        """,
                        logger: logger
                    ).collect()
                    guard !claimed.isEmpty else {
                        open = false
                        try await conn.query("ROLLBACK", logger: logger)
                        return nil
                    }
                    let joined = RequestTransaction(client: db.client, connection: conn)
                    let (value, response): (T, Response?)
                    do {
                        (value, response) = try await RequestTransaction.$current.withValue(joined) { try await first() }
                    } catch  where keepsRefusal(error) {
                        try await release(userId: userId, operation: operation, key: key, on: conn, logger: logger)
                        open = false
                        try await conn.query("COMMIT", logger: logger)
                        throw error
                    }
                    if let response, !joined.carriesSecret {
                        try await conn.query(
                            """
                            UPDATE idempotency_key
                            SET status = \(response.status), content_type = \(response.contentType), response = \(ByteBuffer(bytes: response.body))
                            WHERE user_id = \(userId) AND operation = \(operation) AND key = \(key)
                            """,
                            logger: logger
                        )
                    } else {
                        try await release(userId: userId, operation: operation, key: key, on: conn, logger: logger)
                    }
                    open = false
                    try await conn.query("COMMIT", logger: logger)
                    return value
                } catch {
                    // Also when the deadline cancelled this task: the connection goes back to the pool clean.
                    if open {
                        let rollback = Task.detached { try await conn.query("ROLLBACK", logger: logger) }
                        _ = try? await rollback.value
                    }
                    throw error
                }
            }
            if let ran {
                await sweep(logger: logger)
                return .ran(ran)
            }
            let rows = try await db.client.query(
                """
                SELECT request_hash = sha256(\(request)), status, content_type, response FROM idempotency_key
                WHERE user_id = \(userId) AND operation = \(operation) AND key = \(key)
                """,
                logger: logger
            ).decode((Bool, Int?, String?, ByteBuffer?).self).all()
            guard let (same, status, contentType, response) = rows.first else { continue }
            guard same else { return .mismatch }
            // Only the claiming transaction sees its row unfinished (idempotency_key_finished).
            guard let status else { continue }
            return .replay(Response(status: status, contentType: contentType, body: response.map { Array($0.readableBytesView) } ?? []))
        }
        throw StoreError.conflict(field: "Idempotency-Key", reason: "is being claimed and released by other requests; retry")
    }

    func release(userId: Int64, operation: String, key: String, on conn: PostgresConnection, logger: Logger) async throws {
        try await conn.query(
            "DELETE FROM idempotency_key WHERE user_id = \(userId) AND operation = \(operation) AND key = \(key)",
            logger: logger
        )
    }

    /// Keys are kept for a day; each finished key sweeps a few expired ones, so the table stays small
    /// without a separate job. A failed sweep costs nothing but a retry next time.
    func sweep(logger: Logger) async {
        _ = try? await db.client.query(
            """
            DELETE FROM idempotency_key WHERE ctid = ANY(ARRAY(
                SELECT ctid FROM idempotency_key WHERE created_at < now() - \(Self.keepHours) * interval '1 hour' LIMIT 100))
            """,
            logger: logger
        )
    }
}
