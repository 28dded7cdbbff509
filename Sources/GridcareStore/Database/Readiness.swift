import Logging
import PostgresNIO

/// Whether the service should be sent traffic: its database answers and has every migration this build
/// knows applied (a copy of a newer release that has not migrated yet, or a database restored from an
/// older backup, is not ready). Liveness (`/healthz`) asks only whether the process and database answer.
public enum Readiness {
    public struct Report: Sendable, Equatable {
        public var database: String
        public var pendingMigrations: [Int]
        public var ready: Bool { database == "ok" && pendingMigrations.isEmpty }
    }

    /// `expected` is the versions of the migrations folder the service started with.
    /// A database that does not answer within `within` is unreachable: the pool would otherwise wait for
    /// a connection as long as the request lets it.
    public static func check(_ db: Database, expected: [Int], within: Duration = .seconds(2), logger: Logger) async -> Report {
        do {
            let versions = try await GridcareStore.within(within) {
                try await db.withConnection(logger: logger) { connection in
                    try await connection.rows("SELECT version FROM gridcare_migration", as: Int.self, logger: logger)
                }
            }
            guard let applied = versions else { throw ReadinessTimeout() }
            let done = Set(applied)
            return Report(database: "ok", pendingMigrations: expected.filter { !done.contains($0) })
        } catch {
            logger.warning("readiness check failed", metadata: ["error": "\(String(reflecting: error))"])
            return Report(database: "unreachable", pendingMigrations: [])
        }
    }

    struct ReadinessTimeout: Error {}
}
