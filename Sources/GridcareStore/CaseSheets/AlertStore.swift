import Foundation
import GridcareCore
import Logging
import PostgresNIO

public struct Alert: Sendable, Equatable {
    public var id: Int64, residentId: Int64, residentName: String, microGridId: Int64, readingId: Int64?, referralId: Int64?, teamId: Int64?
    public var reason: String, suggestsGreenChannel: Bool, status: AlertStatus, openedAt: Date
    public var acknowledgedBy: Int64?, acknowledgedAt: Date?, acknowledgeNote: String?, closedBy: Int64?, closedAt: Date?, version: Int
}

/// Alerts from alarming readings, for the resident's team and the workers of the resident's micro-grid
/// (both see them through their scope). Open ones come first wherever alerts are listed.
public struct AlertStore: Sendable {
    let db: Database
    var audit: AuditLog { AuditLog(db) }
    public init(_ db: Database) { self.db = db }

    static let select = """
        SELECT a.id, a.resident_id, r.name AS resident_name, r.micro_grid_id, a.reading_id, a.referral_id, a.team_id, a.reason, a.suggests_green_channel, a.status::text,
               a.opened_at, a.acknowledged_by, a.acknowledged_at, a.acknowledge_note, a.closed_by, a.closed_at, a.version
        FROM alert a JOIN resident r ON r.id = a.resident_id
        """
    /// Open first, then acknowledged, then closed; the oldest open one on top.
    static let order = "ORDER BY a.status, a.opened_at, a.id"
    static func alert(_ c: Columns) throws -> Alert {
        Alert(
            id: try c("id"),
            residentId: try c("resident_id"),
            residentName: try c("resident_name"),
            microGridId: try c("micro_grid_id"),
            readingId: try c("reading_id"),
            referralId: try c("referral_id"),
            teamId: try c("team_id"),
            reason: try c("reason"),
            suggestsGreenChannel: try c("suggests_green_channel"),
            status: AlertStatus(rawValue: try c("status"))!,
            openedAt: try c("opened_at"),
            acknowledgedBy: try c("acknowledged_by"),
            acknowledgedAt: try c("acknowledged_at"),
            acknowledgeNote: try c("acknowledge_note"),
            closedBy: try c("closed_by"),
            closedAt: try c("closed_at"),
            version: try c("version")
        )
    }

    func fetch(_ id: Int64, on conn: PostgresConnection, logger: Logger) async throws -> Alert? {
        try await conn.first("\(unescaped: Self.select) WHERE a.id = \(id)", logger: logger, Self.alert)
    }

    func forResident(_ residentId: Int64, on conn: PostgresConnection, logger: Logger) async throws -> [Alert] {
        try await conn.rows(
            "\(unescaped: Self.select) WHERE a.resident_id = \(residentId) \(unescaped: Self.order) LIMIT 200",
            logger: logger,
            Self.alert
        )
    }

    /// The caller's alerts (open and acknowledged unless `includeClosed`), open first; at most `limit`.
    public func list(
        teamId: Int64?,
        microGridId: Int64?,
        residentIds: [Int64]? = nil,
        includeClosed: Bool,
        limit: Int,
        logger: Logger
    ) async throws -> [Alert] {
        let gridScope = db.scope?.microGridIds
        return try await db.transaction(logger: logger) { conn in
            let alerts = try await conn.rows(
                """
                \(unescaped: Self.select)
                WHERE (\(includeClosed) OR a.status <> 'closed')
                  AND (\(gridScope)::bigint[] IS NULL OR r.micro_grid_id = ANY(\(gridScope)))
                  AND (\(teamId)::bigint IS NULL OR a.team_id = \(teamId))
                  AND (\(microGridId)::bigint IS NULL OR r.micro_grid_id = \(microGridId))
                  AND (\(residentIds)::bigint[] IS NULL OR a.resident_id = ANY(\(residentIds)))
                \(unescaped: Self.order) LIMIT \(limit)
                """,
                logger: logger,
                Self.alert
            )
            try await audit.record(
                .search,
                residents: Array(Set(alerts.map(\.residentId))).sorted(),
                detail: alerts.isEmpty ? "alerts: no results" : "alerts",
                on: conn,
                logger: logger
            )
            return alerts
        }
    }

    /// Acknowledges or closes an alert; `note` (acknowledging only) says what was done.
    public func act(_ id: Int64, _ action: AlertStatus.Action, note: String? = nil, ifVersion: Int?, logger: Logger) async throws -> Alert {
        var c = FieldChecker()
        c.text(note, "note", max: 1000, required: false)
        try c.finish()
        guard let user = db.scope?.userId else { throw StoreError.notAllowed("alerts are handled by signed-in users") }
        return try await db.move(
            "alert",
            id,
            action,
            ifVersion: ifVersion,
            logger: logger,
            lock: { conn in
                try await conn.first("\(unescaped: Self.select) WHERE a.id = \(id) FOR UPDATE OF a", logger: logger, Self.alert)
            },
            write: { _, next, conn in
                try await conn.query(
                    """
                    UPDATE alert SET status = \(next.rawValue)::alert_status, version = version + 1,
                           acknowledged_by = CASE WHEN \(action == .acknowledge) THEN \(user) ELSE acknowledged_by END,
                           acknowledged_at = CASE WHEN \(action == .acknowledge) THEN now() ELSE acknowledged_at END,
                           acknowledge_note = CASE WHEN \(action == .acknowledge) THEN \(note?.trimmed) ELSE acknowledge_note END,
                           closed_by = CASE WHEN \(action == .close) THEN \(user) ELSE closed_by END,
                           closed_at = CASE WHEN \(action == .close) THEN now() ELSE closed_at END
                    WHERE id = \(id)
                    """,
                    logger: logger
                )
                return try await fetch(id, on: conn, logger: logger)!
            }
        )
    }
}
