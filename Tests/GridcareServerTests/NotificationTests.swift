import Foundation
import GridcareAPI
import GridcareCore
import GridcareServer
import GridcareStore
import GridcareTestSupport
import HTTPTypes
import Logging
import PostgresNIO
import Testing

/// Notifications from the event's transaction to the receiver: who is told, that a rolled-back change
/// tells nobody, that every message arrives once though the receiver was down and the worker restarted,
/// quiet hours, what an SMS may carry, and that an inbox is its owner's only. The receivers are the
/// stand-ins of NotificationReceiver on loopback.
@Suite struct NotificationTests {
    @Test func aRolledBackChangeTellsNobodyAndACommittedOneTellsTheTeamsDoctor() async throws {
        try await withNotifications { db, _, f, users in
            let doctor = users.ids[.centreStaff]!
            let p = try await ResidentStore(db).create(Fixture.residentDraft(household: f.householdIds[0], n: 301), logger: quiet)
            struct Undo: Error {}
            await #expect(throws: Undo.self) {
                try await db.transaction { conn in
                    try await conn.query(
                        """
                        INSERT INTO risk_flag (district_id, resident_id, micro_grid_id, category, tier, population, raised_by)
                        VALUES (\(f.districtId), \(p.id), \(p.microGridId), 'living_alone', 'red', 'key', \(users.ids[.gridWorker]!))
                        """,
                        logger: quiet
                    )
                    throw Undo()
                }
            }
            #expect(try await count(db, "SELECT count(*)::int FROM notification") == 0)
            let worker = db.scoped(
                .init(userId: users.ids[.gridWorker]!, role: .gridWorker, districtId: f.districtId, microGridIds: f.microGridIds),
                operation: "test"
            )
            let flag = try await FlagStore(worker).raise(
                residentId: p.id,
                category: .livingAlone,
                tier: .red,
                population: .key,
                note: nil,
                logger: quiet
            )
            let told = try await db.rows(
                "SELECT recipient_user_id, kind, urgent, title FROM notification",
                as: (Int64, String, Bool, String).self,
                logger: quiet
            )
            #expect(told.map(\.0) == [doctor] && told.first?.1 == "flag_raised" && told.first?.2 == true)
            #expect(told.first?.3.contains(p.name) == true)
            // Confirmed: the worker who raised it is told, once, however often the row is touched.
            let doctorDb = db.scoped(
                .init(userId: doctor, role: .centreStaff, districtId: f.districtId, microGridIds: f.microGridIds),
                operation: "test"
            )
            _ = try await FlagStore(doctorDb).act(flag.id, .confirm, note: nil, ifVersion: nil, logger: quiet)
            let confirmed = try await db.rows(
                "SELECT recipient_user_id FROM notification WHERE kind = 'flag_confirmed'",
                as: Int64.self,
                logger: quiet
            )
            #expect(confirmed == [users.ids[.gridWorker]!])
        }
    }

    /// An urgent reading tells the carers of the resident's micro-grid and nobody else: not the team's
    /// carers of another district, not the hospital, not the manager; and the service's login can neither
    /// write a notification itself nor call the helpers that see past the scope.
    @Test func anUrgentReadingTellsItsCarersOnly() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            let others = try await TestUsers.make(db, p.otherFixture, suffix: "2")
            let (status, _, _) = try await client.call(
                .post,
                "/v1/residents/\(p.inside.id)/readings",
                json: ["measuredAt": ISO8601DateFormatter().string(from: Date()), "systolic": 192, "diastolic": 124],
                token: users[.centreStaff]
            )
            #expect(status == .created)
            let told = try await db.rows(
                "SELECT recipient_user_id FROM notification WHERE kind = 'urgent_reading' ORDER BY 1",
                as: Int64.self,
                logger: quiet
            )
            #expect(told == [users.ids[.centreStaff]!, users.ids[.gridWorker]!].sorted())
            #expect(Set(told).isDisjoint(with: Set(others.ids.values)))
            #expect(told.allSatisfy { $0 != users.ids[.hospitalStaff]! && $0 != users.ids[.districtManager]! })
        }
        try await withNotifications { db, service, f, users in
            let r = try await ResidentStore(db).create(Fixture.residentDraft(household: f.householdIds[0], n: 331), logger: quiet)
            await #expect(throws: PSQLError.self) {
                _ = try await service.first("SELECT gridcare_resident_name(\(r.id))", as: String.self, logger: quiet)
            }
            await #expect(throws: PSQLError.self) {
                try await service.query(
                    "INSERT INTO notification (kind, event_key, recipient_user_id, title, body) VALUES ('x', 'forged', \(users.ids[.gridWorker]!), 't', 'b')",
                    logger: quiet
                )
            }
        }
    }

    @Test func everyMessageArrivesOnceThoughTheReceiverWasDownAndTheWorkerRestarted() async throws {
        let receiver = NotificationReceiver()
        try await receiver.run { port in
            try await withNotifications { db, service, _, users in
                let doctor = users.ids[.centreStaff]!
                // 1,000 events for the doctor: each is one webhook (per event) and one WeCom message (per user).
                try await notify(db, count: 1000, kind: "urgent_reading", urgent: true, to: doctor)
                var settings = NotificationSettings.receiver(port: port)
                settings.robotURL = nil
                settings.smsURL = nil
                receiver.set(.busy)
                try await deliver(service, settings) {
                    try await count(db, "SELECT count(*)::int FROM notification_attempt WHERE outcome = 'retry'") >= 100
                }
                // The service stopped in the middle (some attempts leased, none recorded); the receiver comes back.
                receiver.set(.up)
                try await deliver(service, settings) {
                    try await count(db, "SELECT count(*)::int FROM notification_delivery WHERE status = 'delivered'") == 2000
                }
                let s = receiver.state.withLock { $0 }
                #expect(s.hooks.count == 1000 && s.badSignatures == 0)
                #expect(s.app.count == 1000)
                // A resend is recognised: nothing arrived as new twice.
                let keys = try await db.rows(
                    "SELECT idempotency_key::text FROM notification_delivery WHERE channel = 'webhook'",
                    as: String.self,
                    logger: quiet
                )
                #expect(Set(keys) == Set(s.hooks.keys))
                #expect(try await count(db, "SELECT count(*)::int FROM notification_delivery WHERE status <> 'delivered'") == 0)
            }
        }
    }

    /// Two service copies deliver at once: each message is claimed by one of them, and arrives once.
    @Test func twoWorkersAtOnceSendEachMessageOnce() async throws {
        let receiver = NotificationReceiver()
        try await receiver.run { port in
            try await withNotifications { db, service, _, users in
                try await notify(db, count: 300, kind: "board_request", urgent: false, to: users.ids[.centreStaff]!)
                var settings = NotificationSettings.receiver(port: port)
                settings.robotURL = nil
                settings.smsURL = nil
                settings.wecomBase = nil
                try await deliver(service, settings, copies: 2) {
                    try await count(db, "SELECT count(*)::int FROM notification_delivery WHERE status = 'delivered'") == 300
                }
                #expect(receiver.state.withLock { $0.hooks.values.allSatisfy { $0 == 1 } })
                #expect(try await count(db, "SELECT count(*)::int FROM notification_attempt") == 300)
            }
        }
    }

    /// A receiver that refuses for good sends the delivery to the dead letters at once; one that stays
    /// busy past the configured age too; `retry` sends them again, and the report counts each outcome.
    @Test func refusedAndAgedDeliveriesAreDeadUntilRetried() async throws {
        let receiver = NotificationReceiver()
        try await receiver.run { port in
            try await withNotifications { db, service, f, users in
                let doctor = users.ids[.centreStaff]!
                // A WeCom user the receiver does not know (errcode 81013), and a webhook that stays busy.
                try await db.query("UPDATE app_user SET username = 'nobody' WHERE id = \(doctor)", logger: quiet)
                try await db.query(
                    "SELECT gridcare_notify(\(f.districtId), 'flag_raised', 'dead:1', false, NULL, ARRAY[\(doctor)::bigint], '待确认', '请确认', NULL)",
                    logger: quiet
                )
                var settings = NotificationSettings.receiver(port: port)
                settings.robotURL = nil
                settings.smsURL = nil
                settings.giveUpAfter = .seconds(2)
                receiver.set(.busy)
                let outbox = Outbox(service.scoped(.serviceJob, operation: "test"))
                try await deliver(service, settings) { try await outbox.dead(limit: 10, logger: quiet).count == 2 }
                let dead = try await outbox.dead(limit: 10, logger: quiet)
                #expect(Set(dead.map(\.channel)) == ["webhook", "wecom_app"])
                #expect(dead.first { $0.channel == "wecom_app" }?.lastError?.contains("81013") == true)
                #expect(dead.first { $0.channel == "webhook" }.map { $0.attempts >= 2 } == true)
                let report = try await outbox.report(since: Date().addingTimeInterval(-3600), logger: quiet)
                #expect(report.map(\.dead).reduce(0, +) == 2 && report.map(\.withinMinute).reduce(0, +) == 0)
                // Back up, and the user known again: a retry delivers both.
                receiver.set(.up)
                try await db.query("UPDATE app_user SET username = 'doctor-again' WHERE id = \(doctor)", logger: quiet)
                #expect(try await outbox.retry(nil, logger: quiet) == 2)
                try await deliver(service, settings) {
                    try await count(db, "SELECT count(*)::int FROM notification_delivery WHERE status = 'delivered'") == 2
                }
                #expect(try await outbox.dead(limit: 10, logger: quiet).isEmpty)
            }
        }
    }

    @Test func quietHoursHoldBackAllButTheUrgent() async throws {
        let receiver = NotificationReceiver()
        try await receiver.run { port in
            try await withNotifications { db, service, _, users in
                let doctor = users.ids[.centreStaff]!
                try await db.query(
                    """
                    SELECT gridcare_notify(NULL, 'urgent_reading', 'quiet:urgent', true, NULL, ARRAY[\(doctor)::bigint], '紧急', '血糖 30', NULL),
                           gridcare_notify(NULL, 'flag_confirmed', 'quiet:routine', false, NULL, ARRAY[\(doctor)::bigint], '已确认', '请走访', NULL)
                    """,
                    logger: quiet
                )
                var settings = NotificationSettings.receiver(port: port)
                settings.robotURL = nil
                settings.smsURL = nil
                settings.webhookURL = nil
                // A window holding now, whatever the hour the test runs.
                let minute = Calendar.chinaMinute(Date())
                settings.quietHours = QuietHours(
                    String(format: "%02d:%02d-%02d:%02d", (minute / 60 + 23) % 24, minute % 60, (minute / 60 + 1) % 24, minute % 60)
                )
                try await deliver(service, settings) {
                    // The urgent one, and time enough for the other to have gone too had it not been held.
                    guard receiver.state.withLock({ $0.app.count }) == 1 else { return false }
                    try await Task.sleep(for: .milliseconds(500))
                    return true
                }
                #expect(receiver.state.withLock { $0.app.keys.first?.contains("紧急") } == true)
                let held = try await db.first(
                    """
                    SELECT d.status, d.attempts, d.next_attempt_at > now() + interval '30 minutes' FROM notification_delivery d
                    JOIN notification n ON n.id = d.notification_id WHERE n.event_key = 'quiet:routine'
                    """,
                    as: (String, Int, Bool).self,
                    logger: quiet
                )
                #expect(held?.0 == "pending" && held?.1 == 0 && held?.2 == true)
            }
        }
    }

    @Test func anSMSNeverCarriesAnIdentityNumber() async throws {
        let receiver = NotificationReceiver()
        try await receiver.run { port in
            try await withNotifications { db, service, f, users in
                let r = try await ResidentStore(db).create(Fixture.residentDraft(household: f.householdIds[0], n: 311), logger: quiet)
                let whole = Fixture.residentDraft(household: f.householdIds[0], n: 311).idNumber.value
                // A clinic of the team, a session with the resident booked, then cancelled with a reason that
                // (carelessly) quotes the resident's identity number.
                let session = try await db.first(
                    """
                    WITH c AS (
                        INSERT INTO clinic (district_id, station_id, team_id, weekday, starts_at, ends_at, slot_minutes, capacity_per_slot, valid_from)
                        VALUES (\(f.districtId), \(f.stationId), \(f.teamId), 3, '08:30', '11:30', 30, 4, current_date) RETURNING id
                    ) INSERT INTO clinic_session (district_id, clinic_id, on_date, starts_at, ends_at)
                      SELECT \(f.districtId), c.id, current_date + 7, '08:30', '11:30' FROM c RETURNING id
                    """,
                    as: Int64.self,
                    logger: quiet
                )!
                try await db.query(
                    """
                    INSERT INTO booking (district_id, resident_id, micro_grid_id, session_id, walk_in, booked_by)
                    VALUES (\(f.districtId), \(r.id), \(r.microGridId), \(session), true, \(users.ids[.centreStaff]!))
                    """,
                    logger: quiet
                )
                try await db.query(
                    "UPDATE clinic_session SET status = 'cancelled', reason = \("暴雨停诊，居民 \(whole) 请改约") WHERE id = \(session)",
                    logger: quiet
                )
                try await deliver(service, .receiver(port: port)) { receiver.state.withLock { $0.sms.count == 1 && !$0.hookBodies.isEmpty } }
                let sms = try #require(receiver.state.withLock { $0.sms.values.first })
                #expect(sms.phone == "13912345678" && sms.content.contains("已取消"))
                #expect(!sms.content.contains(whole) && !sms.content.contains(String(whole.dropLast(4))))
                #expect(sms.content.firstMatch(of: /\d{17}[\dXx]/) == nil)
                // The team is told in its inbox (and by WeCom), the robot's group by kind only.
                #expect(receiver.state.withLock { $0.robot.allSatisfy { !$0.contains(r.name) } })
                // The platform's webhook: the event's ids, kind and time only, never a name or a number.
                let hooks = receiver.state.withLock { $0.hookBodies }
                #expect(!hooks.isEmpty)
                for body in hooks {
                    #expect(!body.contains(r.name) && !body.contains(whole) && body.firstMatch(of: /\d{17}[\dXx]/) == nil)
                    let event = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
                    #expect(Set(event.keys).isSubset(of: ["id", "event", "kind", "urgent", "createdAt", "districtId", "residentId"]))
                    #expect(event["kind"] as? String == "session_cancelled" && event["districtId"] as? Int == Int(f.districtId))
                    #expect((event["createdAt"] as? String).flatMap { try? Date($0, strategy: .iso8601) } != nil)
                }
            }
        }
    }

    @Test func anInboxIsItsOwnersOnly() async throws {
        try await withScopedAPI { client, f, users, db in
            let doctor = users.ids[.centreStaff]!
            try await db.query(
                "SELECT gridcare_notify(\(f.districtId), 'flag_raised', 'inbox:1', false, NULL, ARRAY[\(doctor)::bigint], '待确认', '请确认', '/app/today')",
                logger: quiet
            )
            let (ok, mine) = try await client.call(
                .get,
                "/v1/notifications",
                token: users[.centreStaff],
                as: Components.Schemas.NotificationList.self
            )
            #expect(ok == .ok && mine.unread == 1 && mine.items.map(\.title) == ["待确认"])
            let (_, theirs) = try await client.call(
                .get,
                "/v1/notifications",
                token: users[.gridWorker],
                as: Components.Schemas.NotificationList.self
            )
            #expect(theirs.items.isEmpty && theirs.unread == 0)
            let id = mine.items[0].id
            #expect(try await client.call(.post, "/v1/notifications/\(id)/read", token: users[.gridWorker]).0 == .notFound)
            #expect(try await client.call(.post, "/v1/notifications/987654/read", token: users[.gridWorker]).0 == .notFound)
            let (read, n) = try await client.call(
                .post,
                "/v1/notifications/\(id)/read",
                token: users[.centreStaff],
                as: Components.Schemas.Notification.self
            )
            #expect(read == .ok && n.readAt != nil)
            // The console's inbox page and its stream are the owner's too.
            let (_, page, _) = try await client.page(.get, "/app/notifications", token: users[.centreStaff])
            #expect(page.contains("请确认"))
            let (_, other, _) = try await client.page(.get, "/app/notifications", token: users[.gridWorker])
            #expect(!other.contains("请确认") && other.contains("没有消息"))
            #expect(try await client.page(.get, "/app/notifications/stream", token: nil).0 == .unauthorized)
        }
    }

    @Test func aLateSlipIsToldToItsCentreOnce() async throws {
        try await withNotifications { db, _, f, users in
            let r = try await ResidentStore(db).create(Fixture.residentDraft(household: f.householdIds[0], n: 321), logger: quiet)
            // Sent three days ago as routine (a 24-hour window), never received.
            try await db.query(
                """
                INSERT INTO referral (number, district_id, resident_id, micro_grid_id, centre_id, hospital_id, urgency, reason, diagnosis,
                                      patient_name, patient_sex, patient_birth_date, patient_id_sealed, status, created_by, sent_at)
                VALUES ('T-1', \(f.districtId), \(r.id), \(r.microGridId), \(f.centreId), \(f.hospitalId), 'routine', '复查', '高血压',
                        \(r.name), 'female', '1950-03-09', '\\x00'::bytea, 'sent', \(users.ids[.centreStaff]!), now() - interval '3 days')
                """,
                logger: quiet
            )
            let clock = ReferralReports(db.scoped(.serviceJob, operation: "test"))
            #expect(try await clock.notifyLate(logger: quiet) == 1)
            _ = try await clock.notifyLate(logger: quiet)
            let told = try await db.rows(
                "SELECT recipient_user_id, title FROM notification WHERE kind = 'referral_late'",
                as: (Int64, String).self,
                logger: quiet
            )
            #expect(told.map(\.0) == [users.ids[.centreStaff]!] && told.first?.1 == "转诊单超时未接收：T-1")
        }
    }

    /// A user may turn off the WeCom messages that reach them; not the group's robot or the platform's
    /// webhook, which reach others.
    @Test func aUserMayTurnOffTheirOwnChannelOnly() async throws {
        try await withScopedAPI { client, _, users, db in
            let doctor = users.ids[.centreStaff]!
            let token = users[.centreStaff]
            let (ok, set) = try await client.call(
                .put,
                "/v1/me/notification-channels",
                json: ["muted": ["wecom_app"]],
                token: token,
                as: Components.Schemas.NotificationChannels.self
            )
            #expect(ok == .ok && set.channels.filter(\.muted).map(\.channel.rawValue) == ["wecom_app"])
            let (refused, problem, _) = try await client.call(.put, "/v1/me/notification-channels", json: ["muted": ["webhook"]], token: token)
            #expect(refused == .unprocessableContent && "\(problem)".contains("muted"))
            try await db.query(
                "SELECT gridcare_notify(NULL, 'flag_raised', 'mute:1', false, NULL, ARRAY[\(doctor)::bigint], '待确认', '请确认', NULL)",
                logger: quiet
            )
            try await Outbox(db.scoped(.serviceJob, operation: "test")).dispatch(channels: [.wecomApp, .webhook], logger: quiet)
            let made = try await db.rows("SELECT channel FROM notification_delivery ORDER BY channel", as: String.self, logger: quiet)
            #expect(made == ["webhook"])
            // Another user's settings are theirs: the grid worker still has none muted.
            let (_, theirs) = try await client.call(
                .get,
                "/v1/me/notification-channels",
                token: users[.gridWorker],
                as: Components.Schemas.NotificationChannels.self
            )
            #expect(theirs.channels.allSatisfy { !$0.muted })
        }
    }

    @Test func identityNumbersAreMaskedInAnyText() {
        let text = NotificationText.withoutIdentityNumbers("居民 11010519491231002X 与 110105194912310021 请改约")
        #expect(text.firstMatch(of: /\d{17}[\dXx]/) == nil && text.contains("110***********002X"))
    }
}

/// Runs `body` on a fresh database with the fixture district and its users, and a pool that signs in as
/// the service's role (row-level security in force), as the service's delivery worker does.
func withNotifications(
    _ body: @Sendable @escaping (Database, Database, Fixture, TestUsers) async throws -> Void
) async throws {
    try await withTestDatabase { db, url in
        let f = try await Fixture.make(db)
        let users = try await TestUsers.make(db, f)
        let service = try makeServiceClient(url: url, config: testConfig(), logger: quiet)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await service.run() }
            try await body(db, Database(client: service, logger: quiet, vault: db.vault), f, users)
            group.cancelAll()
        }
    }
}

/// `count` events of `kind` for the user `to`, each with its own text (WeCom's duplicate check keys on it).
func notify(_ db: Database, count: Int, kind: String, urgent: Bool, to user: Int64) async throws {
    try await db.query(
        """
        SELECT gridcare_notify(NULL, \(kind), \(kind) || ':' || i, \(urgent), NULL, ARRAY[\(user)::bigint], '测试 ' || i, '第 ' || i || ' 条', NULL)
        FROM generate_series(1, \(count)) i
        """,
        logger: quiet
    )
}

func count(_ db: Database, _ sql: String) async throws -> Int {
    try await db.first(PostgresQuery(unsafeSQL: sql), as: Int.self, logger: quiet) ?? 0
}

/// Runs `copies` delivery workers until `done` holds, then stops them, as a service copy stops.
func deliver(
    _ service: Database,
    _ settings: NotificationSettings,
    copies: Int = 1,
    until done: @Sendable () async throws -> Bool
) async throws {
    let workers = (0..<copies).map { _ in Task { try await NotificationWorker(db: service, settings: settings, logger: quiet).run() } }
    try await waitFor(seconds: 120, done)
    for w in workers { w.cancel() }
    for w in workers { _ = await w.result }
}

/// Waits until `done` holds, for at most `seconds`: the check is the outcome, not how long it took.
func waitFor(seconds: Double = 60, _ done: @Sendable () async throws -> Bool) async throws {
    let until = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
    while try await !done() {
        guard ContinuousClock.now < until else {
            Issue.record("still not done after \(seconds) s")
            return
        }
        try await Task.sleep(for: .milliseconds(100))
    }
}

extension Calendar {
    static func chinaMinute(_ d: Date) -> Int {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "Asia/Shanghai")!
        let x = c.dateComponents([.hour, .minute], from: d)
        return x.hour! * 60 + x.minute!
    }
}
