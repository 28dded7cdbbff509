import Foundation
import GridcareCore
import Logging
import PostgresNIO

/// Sign-in rate limits, per source address and per username: a token bucket per key in `sign_in_bucket`
/// (0020_signin_limits.sql), shared by every copy of the service. Taking a token is one conditional
/// upsert, so concurrent sign-ins never take more than the bucket holds.
public struct SignInLimits: Sendable {
    let db: Database
    public init(_ db: Database) { self.db = db }

    /// A bucket is empty: the caller may try again after `seconds`.
    public struct Exceeded: Error, Sendable, Equatable {
        public var seconds: Int
        /// "address" or "username".
        public var what: String
    }

    /// Takes one sign-in from the address's bucket and then from the username's; throws Exceeded for the
    /// first that is empty. A limit of 0 or less is no limit.
    public func take(address: String, username: String, perAddressPerMinute: Int, perUserPerMinute: Int, logger: Logger) async throws {
        if perAddressPerMinute > 0 {
            try await take("address:" + address.prefix(150), perMinute: perAddressPerMinute, what: "address", logger: logger)
        }
        if perUserPerMinute > 0 {
            try await take("user:" + username.trimmed.lowercased().prefix(150), perMinute: perUserPerMinute, what: "username", logger: logger)
        }
        // A bucket untouched for a minute is full again, the same as no row: now and then sweep some.
        if UInt8.random(in: 0..<32) == 0 {
            _ = try? await db.query(
                """
                DELETE FROM sign_in_bucket WHERE ctid = ANY(ARRAY(
                    SELECT ctid FROM sign_in_bucket WHERE at < now() - interval '1 minute' LIMIT 500))
                """,
                logger: logger
            )
        }
    }

    /// The bucket refills `perMinute` tokens a minute up to `perMinute`; a sign-in takes one when there is
    /// one. When there is none, the wait is until the next one has refilled (at least a second).
    func take(_ key: String, perMinute: Int, what: String, logger: Logger) async throws {
        let limit = Double(perMinute)
        let row = try await db.first(
            """
            WITH taken AS (
                INSERT INTO sign_in_bucket AS b (key, tokens, at) VALUES (\(key), \(limit) - 1, now())
                ON CONFLICT (key) DO UPDATE
                SET tokens = least(\(limit), b.tokens + extract(epoch FROM now() - b.at)::float8 * \(limit) / 60) - 1, at = now()
                WHERE least(\(limit), b.tokens + extract(epoch FROM now() - b.at)::float8 * \(limit) / 60) >= 1
                RETURNING 1)
            SELECT EXISTS (SELECT 1 FROM taken),
                   (SELECT greatest(1, ceil((1 - least(\(limit), s.tokens + extract(epoch FROM now() - s.at)::float8 * \(limit) / 60))
                                            * 60 / \(limit)))::int
                    FROM sign_in_bucket s WHERE s.key = \(key))
            """,
            as: (Bool, Int?).self,
            logger: logger
        )
        guard let row, !row.0 else { return }
        throw Exceeded(seconds: max(1, row.1 ?? Int((60 / limit).rounded(.up))), what: what)
    }
}
