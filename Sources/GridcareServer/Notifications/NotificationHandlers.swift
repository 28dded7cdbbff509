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

extension APIHandler {
    func getNotificationChannels(_ input: Operations.GetNotificationChannels.Input) async throws -> Operations.GetNotificationChannels.Output {
        .ok(.init(body: .json(channels(muted: try await notifications.muted(logger: logger)))))
    }

    func setNotificationChannels(_ input: Operations.SetNotificationChannels.Input) async throws -> Operations.SetNotificationChannels.Output {
        guard case .json(let body) = input.body else { throw FieldError("muted", "is required") }
        let muted = try await notifications.setMuted(body.muted.compactMap { NotificationChannel(rawValue: $0.rawValue) }, logger: logger)
        return .ok(.init(body: .json(channels(muted: muted))))
    }

    func channels(muted: [NotificationChannel]) -> Components.Schemas.NotificationChannels {
        let configured = Set(config.notifications.channels)
        return .init(
            channels: NotificationChannel.allCases.map { c in
                .init(channel: .init(rawValue: c.rawValue)!, configured: configured.contains(c), muted: muted.contains(c))
            }
        )
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
