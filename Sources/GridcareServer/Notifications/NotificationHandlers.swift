import Foundation
import GridcareAPI
import GridcareCore
import GridcareStore

extension APIHandler {
    var notifications: NotificationStore { NotificationStore(db) }

    func listNotifications(_ input: Operations.ListNotifications.Input) async throws -> Operations.ListNotifications.Output {
        let (items, unread) = try await notifications.inbox(
            unreadOnly: input.query.unreadOnly ?? false,
            limit: try bounded(input.query.limit, "limit", default: 50, max: 200),
            logger: logger
        )
        return .ok(.init(body: .json(.init(items: items.map { .init($0) }, unread: unread))))
    }

    func markNotificationRead(_ input: Operations.MarkNotificationRead.Input) async throws -> Operations.MarkNotificationRead.Output {
        .ok(.init(body: .json(.init(try await notifications.markRead(input.path.id, logger: logger)))))
    }

    func markAllNotificationsRead(_ input: Operations.MarkAllNotificationsRead.Input) async throws -> Operations.MarkAllNotificationsRead.Output {
        .ok(.init(body: .json(.init(marked: try await notifications.markAllRead(logger: logger)))))
    }
}

extension Components.Schemas.Notification {
    init(_ n: Notice) {
        self.init(
            id: n.id,
            kind: n.kind,
            urgent: n.urgent,
            title: n.title,
            body: n.body,
            link: n.link,
            residentId: n.residentId,
            createdAt: n.createdAt,
            readAt: n.readAt
        )
    }
}
