import Crypto
import Foundation
import Logging
import PostgresNIO

/// The service's own login to PostgreSQL: a role that owns nothing, is no superuser, bypasses no row-level
/// security and is no member of any table's owner, so it cannot switch back to a role the policies spare.
/// The owner (migrations, the CLI's bulk tools) keeps its own login.
public enum ServiceLogin {
    /// The service's URL when none is configured: the owner's server and database, the service role, and a
    /// password derived from the owner's (the embedded cluster and the test suite need no second secret).
    public static func url(owner: DatabaseURL, role: String) -> DatabaseURL {
        var url = owner
        url.username = role
        url.password = derivedPassword(owner: owner, role: role)
        return url
    }

    static func derivedPassword(owner: DatabaseURL, role: String) -> String {
        let key = SymmetricKey(data: Data((owner.password ?? owner.username).utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Data("gridcare service login \(role)".utf8), using: key)
        return Data(mac).hex
    }

    /// Gives the service role its login and derived password; run as the owner after migrating.
    public static func ensure(_ client: PostgresClient, owner: DatabaseURL, role: String, logger: Logger) async throws {
        let password = derivedPassword(owner: owner, role: role)
        // ALTER ROLE takes no parameters: the statement is built by format() with quoted identifier and literal.
        let statement = try await client.query(
            "SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', \(role)::text, \(password)::text)",
            logger: logger
        ).decode(String.self).all()
        // A role is one row for the whole cluster: two processes migrating databases of one cluster at once
        // (the CLI, the test suite) can collide on it ("tuple concurrently updated"); the statement is
        // idempotent, so it is simply run again.
        for attempt in 1... {
            do {
                try await client.query(PostgresQuery(unsafeSQL: statement[0]), logger: logger)
                return
            } catch let error as PSQLError where attempt < 5 && error.serverInfo?[.message] == "tuple concurrently updated" {
                try await Task.sleep(for: .milliseconds(20 * attempt))
            }
        }
    }

    /// Refuses a login under which row-level security would not hold: a superuser, a role with BYPASSRLS, a
    /// member of a table's owner (which the policies do not restrict), or a session acting as another role.
    public static func verify(_ client: PostgresClient, logger: Logger) async throws {
        let rows = try await client.query(
            """
            SELECT r.rolsuper, r.rolbypassrls, session_user::text, current_user::text,
                   (SELECT string_agg(DISTINCT t.tableowner::text, ', ') FROM pg_tables t
                    WHERE t.schemaname = 'public' AND pg_has_role(session_user, t.tableowner, 'MEMBER'))
            FROM pg_roles r WHERE r.rolname = session_user
            """,
            logger: logger
        ).decode((Bool, Bool, String, String, String?).self).all()
        guard let (superuser, bypass, session, current, owners) = rows.first else {
            throw ServiceLoginError("cannot read the service login's attributes")
        }
        var problems: [String] = []
        if superuser { problems.append("is a superuser") }
        if bypass { problems.append("has BYPASSRLS") }
        if let owners { problems.append("owns tables or is a member of their owner (\(owners))") }
        if session != current { problems.append("acts as \(current) after signing in as \(session)") }
        guard problems.isEmpty else {
            throw ServiceLoginError(
                """
                row-level security would not apply to the service: its database login \(session) \(problems.joined(separator: ", ")). \
                Connect the service as a role that owns nothing (database.serviceUrl, or leave it unset to use the migrated gridcare_service login).
                """
            )
        }
    }
}

/// The service's database login is one that row-level security would not restrict.
public struct ServiceLoginError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
