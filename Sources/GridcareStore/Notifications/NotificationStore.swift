import Foundation
import GridcareCore
import Logging
import PostgresNIO

/// One message to one user (or, by SMS, one resident), as their inbox shows it.
public struct Notice: Sendable, Equatable {
    public var id: Int64
    public var kind: String
    public var urgent: Bool
    public var title: String
    public var body: String
    public var link: String?
    public var residentId: Int64?
    public var createdAt: Date
    public var readAt: Date?
}

/// A user's inbox: the notifications the database wrote for them in the transactions of the events
/// (0029_notifications.sql). Row-level security shows a user their own only; another's reads as missing.
public struct NotificationStore: Sendable {
    let db: Database
    public init(_ db: Database) { self.db = db }

    static let columns = "id, kind, urgent, title, body, link, resident_id, created_at, read_at"

    static func notice(_ c: Columns) throws -> Notice {
        Notice(
            id: try c("id"),
            kind: try c("kind"),
            urgent: try c("urgent"),
            title: try c("title"),
            body: try c("body"),
            link: try c("link"),
            residentId: try c("resident_id"),
            createdAt: try c("created_at"),
            readAt: try c("read_at")
        )
    }

    /// Unread first, then newest first; and how many are unread. Reading them is audited for the residents
    /// they are about.
    public func inbox(unreadOnly: Bool, limit: Int, logger: Logger) async throws -> (items: [Notice], unread: Int) {
        let user = try userId
        return try await db.transaction(logger: logger) { conn in
            let items = try await conn.rows(
                """
                SELECT \(unescaped: Self.columns) FROM notification
                WHERE recipient_user_id = \(user) AND (NOT \(unreadOnly) OR read_at IS NULL)
                ORDER BY read_at IS NOT NULL, id DESC LIMIT \(min(max(limit, 1), 200))
                """,
                logger: logger,
                Self.notice
            )
            let unread = try await Self.unread(user, on: conn, logger: logger)
            let residents = Array(Set(items.compactMap(\.residentId))).sorted()
            try await AuditLog(db).record(.search, residents: residents, detail: "notifications", on: conn, logger: logger)
            return (items, unread)
        }
    }

    /// How many of the caller's notifications are unread (the console's badge).
    public func unreadCount(logger: Logger) async throws -> Int {
        let user = try userId
        return try await db.read(logger: logger) { conn in try await Self.unread(user, on: conn, logger: logger) }
    }

    /// The badge's figures: unread, and the newest notification's id (a change means the list changed).
    public func badge(logger: Logger) async throws -> (unread: Int, latest: Int64) {
        let user = try userId
        return try await db.read(logger: logger) { conn in
            try await conn.first(
                """
                SELECT (SELECT count(*)::int FROM notification WHERE recipient_user_id = \(user) AND read_at IS NULL),
                       coalesce((SELECT max(id) FROM notification WHERE recipient_user_id = \(user)), 0)
                """,
                as: (Int, Int64).self,
                logger: logger
            ) ?? (0, 0)
        }
    }

    static func unread(_ user: Int64, on conn: PostgresConnection, logger: Logger) async throws -> Int {
        try await conn.first(
            "SELECT count(*)::int FROM notification WHERE recipient_user_id = \(user) AND read_at IS NULL",
            as: Int.self,
            logger: logger
        ) ?? 0
    }

    /// Marks one of the caller's notifications read (again: a no-op). Another user's is `notFound`.
    public func markRead(_ id: Int64, logger: Logger) async throws -> Notice {
        let user = try userId
        return try await db.transaction(logger: logger) { conn in
            guard
                let n = try await conn.first(
                    """
                    UPDATE notification SET read_at = coalesce(read_at, now())
                    WHERE id = \(id) AND recipient_user_id = \(user)
                    RETURNING \(unescaped: Self.columns)
                    """,
                    logger: logger,
                    Self.notice
                )
            else { throw StoreError.notFound("notification") }
            try await AuditLog(db).record(
                .update,
                residents: n.residentId.map { [$0] } ?? [],
                detail: "notification \(id) read",
                on: conn,
                logger: logger
            )
            return n
        }
    }

    /// Marks every one of the caller's notifications read; how many were unread.
    public func markAllRead(logger: Logger) async throws -> Int {
        let user = try userId
        return try await db.transaction(logger: logger) { conn in
            let n =
                try await conn.first(
                    """
                    WITH marked AS (
                        UPDATE notification SET read_at = now() WHERE recipient_user_id = \(user) AND read_at IS NULL RETURNING 1
                    ) SELECT count(*)::int FROM marked
                    """,
                    as: Int.self,
                    logger: logger
                ) ?? 0
            try await AuditLog(db).record(.update, detail: "notifications read: \(n)", on: conn, logger: logger)
            return n
        }
    }

    /// The channels the caller has turned off for themselves.
    public func muted(logger: Logger) async throws -> [NotificationChannel] {
        let user = try userId
        return try await db.read(logger: logger) { conn in
            try await conn.rows("SELECT channel FROM notification_mute WHERE user_id = \(user) ORDER BY channel", as: String.self, logger: logger)
                .compactMap(NotificationChannel.init(rawValue:))
        }
    }

    /// Turns off exactly `channels` for the caller (the inbox cannot be turned off, nor a channel that
    /// reaches a group or the platform); deliveries already made are sent.
    public func setMuted(_ channels: [NotificationChannel], logger: Logger) async throws -> [NotificationChannel] {
        let user = try userId
        if let other = channels.first(where: { !$0.personal }) {
            throw FieldError("muted", "\(other.rawValue) does not reach you alone and cannot be turned off")
        }
        let names = Array(Set(channels.map(\.rawValue))).sorted()
        try await db.transaction(logger: logger) { conn in
            try await conn.query("DELETE FROM notification_mute WHERE user_id = \(user) AND channel <> ALL(\(names)::text[])", logger: logger)
            try await conn.query(
                "INSERT INTO notification_mute (user_id, channel) SELECT \(user), unnest(\(names)::text[]) ON CONFLICT DO NOTHING",
                logger: logger
            )
            try await AuditLog(db).record(.update, detail: "notification channels muted: \(names.joined(separator: ","))", on: conn, logger: logger)
        }
        return names.compactMap(NotificationChannel.init(rawValue:))
    }

    var userId: Int64 {
        get throws {
            guard let s = db.scope, s.userId != 0 else { throw StoreError.notAllowed("an inbox is a signed-in user's") }
            return s.userId
        }
    }
}
