import Foundation
import GridcareCore
import Logging
import PostgresNIO

/// A risk flag as stored, with who raised, decided and closed it.
public struct RiskFlag: Sendable, Equatable {
    public var id: Int64, residentId: Int64, residentName: String, microGridId: Int64
    public var category: FlagCategory, tier: Tier, population: Population, note: String?
    public var status: FlagStatus
    public var raisedBy: Int64, raisedAt: Date
    public var decidedBy: Int64?, decidedAt: Date?, closedBy: Int64?, closedAt: Date?
    public var version: Int
}

/// One step of a flag's history.
public struct FlagEvent: Sendable, Equatable {
    public var at: Date, userId: Int64, username: String, action: String, note: String?
}

/// Risk flags (特殊群体台账): raised by grid workers on residents they see, confirmed or dismissed by a
/// doctor of the resident's team, closed, never deleted; every step is a history event and an audit row.
public struct FlagStore: Sendable {
    let db: Database
    var audit: AuditLog { AuditLog(db) }
    public init(_ db: Database) { self.db = db }

    /// A flag as every read takes it (the view `risk_flag_line`, 0039, which the one-call raise selects from too).
    static let select = "SELECT f.* FROM risk_flag_line f"
    static func flag(_ c: Columns) throws -> RiskFlag {
        RiskFlag(
            id: try c("id"),
            residentId: try c("resident_id"),
            residentName: try c("resident_name"),
            microGridId: try c("micro_grid_id"),
            category: FlagCategory(rawValue: try c("category"))!,
            tier: Tier(rawValue: try c("tier"))!,
            population: Population(rawValue: try c("population"))!,
            note: try c("note"),
            status: FlagStatus(rawValue: try c("status"))!,
            raisedBy: try c("raised_by"),
            raisedAt: try c("raised_at"),
            decidedBy: try c("decided_by"),
            decidedAt: try c("decided_at"),
            closedBy: try c("closed_by"),
            closedAt: try c("closed_at"),
            version: try c("version")
        )
    }

    var userId: Int64 {
        get throws {
            guard let id = db.scope?.userId else { throw StoreError.notAllowed("flags are raised and decided by signed-in users") }
            return id
        }
    }

    public func raise(
        residentId: Int64,
        category: FlagCategory,
        tier: Tier,
        population: Population,
        note: String?,
        logger: Logger
    ) async throws -> RiskFlag {
        var c = FieldChecker()
        c.text(note, "note", max: 1000, required: false)
        try c.finish()
        guard let scope = db.scope else { throw StoreError.notAllowed("flags are raised and decided by signed-in users") }
        let call = RaiseInOneCall(
            resident: residentId,
            category: category,
            tier: tier,
            population: population,
            note: note?.trimmed,
            scope: scope,
            operation: db.operation
        )
        let r = try await db.withConnection(logger: logger) { conn in try await conn.first(call, logger: logger) }
        switch r {
        case .some(.raised(let flag)): return flag
        case .some(.open): throw StoreError.conflict(field: "category", reason: "the resident already has an open \(category.rawValue) flag")
        case .some(.unseen), nil: throw ValidationFailure([FieldError("residentId", "no such resident")])
        }
    }

    /// Confirms, dismisses or closes a flag. Confirming and dismissing is for a doctor of the team that
    /// covers the resident's micro-grid (or an administrator).
    public func act(_ id: Int64, _ action: FlagStatus.Action, note: String?, ifVersion: Int?, logger: Logger) async throws -> RiskFlag {
        var c = FieldChecker()
        c.text(note, "note", max: 1000, required: false)
        try c.finish()
        let user = try userId
        let role = db.scope?.role
        return try await db.move(
            "flag",
            id,
            action,
            ifVersion: ifVersion,
            logger: logger,
            lock: { conn -> RiskFlag? in
                // The flag's row locked first, then read whole: locking through the view would lock the resident too.
                guard try await conn.first("SELECT 1 FROM risk_flag WHERE id = \(id) FOR UPDATE", as: Int.self, logger: logger) != nil else {
                    return nil
                }
                return try await fetch(id, on: conn, logger: logger)
            },
            allow: { current, _, conn in
                guard action != .close, role != .admin, try await !conn.isTeamDoctor(user, microGridId: current.microGridId, logger: logger) else {
                    return nil
                }
                return StoreError.notAllowed("only a doctor of the resident's team may \(action.rawValue) a flag")
            },
            write: { _, next, conn in
                try await conn.query(
                    """
                    UPDATE risk_flag SET status = \(next.rawValue)::flag_status, version = version + 1,
                           decided_by = CASE WHEN \(action != .close) THEN \(user) ELSE decided_by END,
                           decided_at = CASE WHEN \(action != .close) THEN now() ELSE decided_at END,
                           closed_by = CASE WHEN \(action == .close) THEN \(user) ELSE closed_by END,
                           closed_at = CASE WHEN \(action == .close) THEN now() ELSE closed_at END
                    WHERE id = \(id)
                    """,
                    logger: logger
                )
                try await event(id, user: user, action: next.rawValue, note: note, on: conn, logger: logger)
                return try await fetch(id, on: conn, logger: logger)!
            }
        )
    }

    public func get(_ id: Int64, logger: Logger) async throws -> (RiskFlag, [FlagEvent]) {
        try await db.audited(logger: logger) { conn in
            guard let flag = try await fetch(id, on: conn, logger: logger) else {
                try await audit.record(.read, outcome: .denied, detail: "flag \(id)", on: conn, logger: logger)
                return .refused(StoreError.notFound("flag"))
            }
            let history = try await conn.rows(
                """
                SELECT e.at, e.user_id, u.username, e.action, e.note FROM risk_flag_event e JOIN app_user u ON u.id = e.user_id
                WHERE e.flag_id = \(id) ORDER BY e.id
                """,
                as: (Date, Int64, String, String, String?).self,
                logger: logger
            )
            .map { FlagEvent(at: $0.0, userId: $0.1, username: $0.2, action: $0.3, note: $0.4) }
            try await audit.record(.read, residents: [flag.residentId], detail: "flag \(id)", on: conn, logger: logger)
            return .done((flag, history))
        }
    }

    public struct Filter: Sendable {
        public var residentId: Int64?, status: FlagStatus?, microGridId: Int64?, teamId: Int64?, openOnly: Bool
        /// Only these residents' flags, when given.
        public var residentIds: [Int64]?
        public init(
            residentId: Int64? = nil,
            status: FlagStatus? = nil,
            microGridId: Int64? = nil,
            teamId: Int64? = nil,
            openOnly: Bool = false,
            residentIds: [Int64]? = nil
        ) {
            self.residentId = residentId
            self.residentIds = residentIds
            self.status = status
            self.microGridId = microGridId
            self.teamId = teamId
            self.openOnly = openOnly
        }
    }

    public func list(_ f: Filter, page: PageRequest, logger: Logger) async throws -> Page<RiskFlag> {
        let gridScope = db.scope?.microGridIds
        return try await db.transaction(logger: logger) { conn in
            let rows = try await conn.rows(
                """
                \(unescaped: Self.select)
                WHERE f.id > \(page.afterId)
                  AND (\(gridScope)::bigint[] IS NULL OR f.micro_grid_id = ANY(\(gridScope)))
                  AND (\(f.residentId)::bigint IS NULL OR f.resident_id = \(f.residentId))
                  AND (\(f.residentIds)::bigint[] IS NULL OR f.resident_id = ANY(\(f.residentIds)))
                  AND (\(f.status?.rawValue)::text IS NULL OR f.status = \(f.status?.rawValue))
                  AND (NOT \(f.openOnly) OR f.status IN ('raised', 'confirmed'))
                  AND (\(f.microGridId)::bigint IS NULL OR f.micro_grid_id = \(f.microGridId))
                  AND (\(f.teamId)::bigint IS NULL OR f.micro_grid_id IN (SELECT micro_grid_id FROM care_team_catchment WHERE team_id = \(f.teamId)))
                ORDER BY f.id LIMIT \(page.fetch)
                """,
                logger: logger,
                Self.flag
            )
            let result = page.page(rows, id: \.id)
            try await audit.record(
                .search,
                residents: Array(Set(result.items.map(\.residentId))).sorted(),
                detail: result.items.isEmpty ? "flags: no results" : "flags",
                on: conn,
                logger: logger
            )
            return result
        }
    }

    func fetch(_ id: Int64, on conn: PostgresConnection, logger: Logger) async throws -> RiskFlag? {
        try await conn.first("\(unescaped: Self.select) WHERE f.id = \(id)", logger: logger, Self.flag)
    }

    func event(_ id: Int64, user: Int64, action: String, note: String?, on conn: PostgresConnection, logger: Logger) async throws {
        try await conn.query("SELECT gridcare_flag_event(\(id), \(user), \(action), \(note?.trimmed))", logger: logger)
    }
}
