import Foundation
import GridcareCore
import GridcareStore
import Hummingbird
import NIOCore
import ServiceLifecycle

/// 消息: the caller's inbox, its badge in the menu, and a live stream (Server-Sent Events) that keeps the
/// badge and the list current without reloading. The stream re-checks the session every round, so a
/// signed-out or revoked session stops receiving within one round.
extension Console {
    func registerNotificationPages(on router: Router<GridcareRequestContext>) {
        router.get("/app/notifications", use: page("listNotifications") { r in try await inbox(r) })
        router.post("/app/notifications/read", use: page("markAllNotificationsRead") { r in try await readAll(r) })
        router.post("/app/notifications/channels", use: page("setNotificationChannels") { r in try await setChannels(r) })
        router.post("/app/notifications/:id/read", use: page("markNotificationRead") { r in try await readOne(r) })
        router.get("/app/notifications/stream") { request, context in try await stream(request, context: context) }
    }

    func inbox(_ r: ConsoleRequest) async throws -> Response {
        let (items, unread) = try await NotificationStore(r.db).inbox(unreadOnly: false, limit: 100, logger: r.logger)
        let rows: [[String: Any]] = items.map { n in
            [
                "id": n.id, "title": n.title, "body": n.body, "at": Views.time(n.createdAt), "link": n.link ?? "",
                "unread": n.readAt == nil, "urgent": n.urgent,
            ]
        }
        // The channels that reach this user and that this deployment sends on: each may be turned off.
        let muted = Set(try await NotificationStore(r.db).muted(logger: r.logger))
        let channels: [[String: Any]] = config.notifications.channels.filter(\.personal).map { c in
            ["value": c.rawValue, "label": Labels.channel(c), "on": !muted.contains(c)]
        }
        var values: [String: Any] = [
            "items": rows, "unread": unread, "hasUnread": unread > 0, "empty": items.isEmpty, "channels": channels,
            "hasChannels": !channels.isEmpty,
        ]
        if r.query["done"] == "channels" { values["done"] = "已保存接收方式。" }
        return render("notifications", title: "消息", caller: r.caller, values)
    }

    func setChannels(_ r: ConsoleRequest) async throws -> Response {
        let off = config.notifications.channels.filter { $0.personal && r.form[$0.rawValue] != "on" }
        _ = try await NotificationStore(r.db).setMuted(off, logger: r.logger)
        return .redirect(to: "/app/notifications?done=channels")
    }

    func readOne(_ r: ConsoleRequest) async throws -> Response {
        let n = try await NotificationStore(r.db).markRead(try r.id(), logger: r.logger)
        // Only our own pages: a link is written by the database's templates, never by a user.
        let next = n.link.flatMap { $0.hasPrefix("/app") ? $0 : nil } ?? "/app/notifications"
        return .redirect(to: r.form["open"] == "1" ? next : "/app/notifications")
    }

    func readAll(_ r: ConsoleRequest) async throws -> Response {
        _ = try await NotificationStore(r.db).markAllRead(logger: r.logger)
        return .redirect(to: "/app/notifications")
    }

    /// `event: unread` with `{"unread": n, "latest": id}` whenever either changes, checked every two
    /// seconds for five minutes; the browser's EventSource then connects again.
    func stream(_ request: Request, context: GridcareRequestContext) async throws -> Response {
        let logger = context.logger
        guard let caller = try await session(request, logger: logger), AccessRules.allows(caller.role, "listNotifications") else {
            return Response(status: .unauthorized)
        }
        let db = database.scoped(caller.scope, operation: "console.notificationStream")
        let console = self
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store"],
            body: .init { writer in
                try await writer.write(ByteBuffer(string: "retry: 3000\n\n"))
                var last: (Int, Int64)?
                let until = ContinuousClock.now + .seconds(300)
                // A stopping service ends the stream (the browser reconnects to the next copy) instead of
                // waiting out its five minutes.
                while ContinuousClock.now < until, !Task.isCancelled, !Task.isShuttingDownGracefully {
                    guard try await console.session(request, logger: logger) != nil else { break }
                    let (unread, latest) = try await NotificationStore(db).badge(logger: logger)
                    if last == nil || last! != (unread, latest) {
                        try await writer.write(ByteBuffer(string: "event: unread\ndata: {\"unread\":\(unread),\"latest\":\(latest)}\n\n"))
                        last = (unread, latest)
                    } else {
                        // A comment line each quiet round: writing is how a closed browser is noticed (the write
                        // fails), so a stream stops polling when its tab is gone.
                        try await writer.write(ByteBuffer(string: ":\n\n"))
                    }
                    try await Task.sleep(for: .seconds(2))
                }
                try await writer.finish(nil)
            }
        )
    }
}

extension Labels {
    static func channel(_ c: NotificationChannel) -> String {
        switch c {
        case .wecomRobot: "企业微信群机器人"
        case .wecomApp: "企业微信应用消息"
        case .sms: "短信"
        case .webhook: "区域平台"
        }
    }
}
