import Foundation
import GridcareCore
import Logging
import PostgresNIO

/// A signed-in caller: who they are and what they may see.
public struct Caller: Sendable, Equatable {
    public var scope: Scope
    public var username: String
    public var tokenId: Int64
    public var expiresAt: Date
    public var workerId: Int64?
    public var hospitalId: Int64?

    public var userId: Int64 { scope.userId }
    public var role: Role { scope.role }
}

/// A token as it is handed out: the secret is shown once and kept only as a hash.
public struct IssuedToken: Sendable {
    public var id: Int64
    public var userId: Int64
    public var token: String
    public var expiresAt: Date
}

/// Bearer tokens: 256 random bits, stored as SHA-256 (computed by PostgreSQL), expiring and revocable.
public struct TokenStore: Sendable {
    let db: Database
    public init(_ db: Database) { self.db = db }

    /// Tokens start with this, so a leaked one is recognisable in logs and secret scanners.
    public static let prefix = "gct_"

    static func newSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return prefix
            + Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    public func issue(userId: Int64, lifetime: Duration, label: String, logger: Logger) async throws -> IssuedToken {
        let secret = Self.newSecret()
        let seconds = Double(lifetime.components.seconds)
        guard seconds >= 60 else { throw ValidationFailure([FieldError("ttl", "must be at least a minute")]) }
        let row = try await db.first(
            """
            INSERT INTO api_token (user_id, token_hash, label, expires_at)
            SELECT u.id, sha256(convert_to(\(secret), 'UTF8')), \(label), now() + make_interval(secs => \(seconds))
            FROM app_user u WHERE u.id = \(userId) AND u.active
            RETURNING id, expires_at
            """,
            as: (Int64, Date).self,
            logger: logger
        )
        guard let row else { throw StoreError.notFound("user") }
        // The response that hands this token out must never be kept for an idempotent replay.
        RequestTransaction.markSecret()
        return IssuedToken(id: row.0, userId: userId, token: secret, expiresAt: row.1)
    }

    /// Revokes one token; true when it was live.
    @discardableResult
    public func revoke(id: Int64, logger: Logger) async throws -> Bool {
        defer { db.callers?.forget() }
        return try await !db.query(
            "UPDATE api_token SET revoked_at = now() WHERE id = \(id) AND revoked_at IS NULL RETURNING 1",
            logger: logger
        ).isEmpty
    }

    /// Revokes every live token of a user; returns how many.
    public func revokeAll(userId: Int64, logger: Logger) async throws -> Int {
        defer { db.callers?.forget() }
        return try await db.query(
            """
            UPDATE api_token SET revoked_at = now() WHERE user_id = \(userId) AND revoked_at IS NULL AND expires_at > now() RETURNING 1
            """,
            logger: logger
        ).count
    }

    /// The caller a token belongs to, with the scope computed now; nil for an unknown, expired or revoked
    /// token, or a disabled user.
    public func authenticate(_ token: String, logger: Logger) async throws -> Caller? {
        guard token.hasPrefix(Self.prefix), token.utf8.count < 100 else { return nil }
        let check: () async throws -> Caller? = {
            var found: Authenticate.Row?
            for try await row in try await db.client.execute(Authenticate(parameter: token), logger: logger) { found = row }
            return found ?? nil
        }
        guard let callers = db.callers else { return try await check() }
        return try await callers.caller(for: token, check)
    }

    /// Runs on every request, so a named prepared statement.
    struct Authenticate: OneParameterStatement {
        static let sql = """
            SELECT user_id, username, role, district_id, worker_id, hospital_id, token_id, expires_at, micro_grid_ids
            FROM gridcare_authenticate(sha256(convert_to($1, 'UTF8')))
            """
        /// The caller, or nil when the role is none this service knows.
        typealias Row = Caller?
        /// The bearer token as sent.
        var parameter: String
        func decodeRow(_ row: PostgresRow) throws -> Row {
            let c = Columns(row)
            guard let role = Role(rawValue: try c("role")) else { return nil }
            let hospitalId: Int64? = try c("hospital_id")
            let scope = Scope(
                userId: try c("user_id"),
                role: role,
                districtId: try c("district_id"),
                microGridIds: try c("micro_grid_ids"),
                hospitalId: hospitalId
            )
            return Caller(
                scope: scope,
                username: try c("username"),
                tokenId: try c("token_id"),
                expiresAt: try c("expires_at"),
                workerId: try c("worker_id"),
                hospitalId: hospitalId
            )
        }
    }
}
