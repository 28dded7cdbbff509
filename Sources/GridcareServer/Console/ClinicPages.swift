import Foundation
import GridcareCore
import GridcareStore
import Hummingbird

/// 门诊: the timetable of the caller's sessions (holiday moves shown), a session's bookings with check-in,
/// completion and no-show, booking a resident into it, and generating a clinic's sessions.
extension Console {
    func registerClinicPages(on router: Router<GridcareRequestContext>) {
        router.get("/app/clinics", use: page("listSessions") { r in try await timetable(r) })
        router.post("/app/clinics/:id/generate", use: page("generateClinicSessions") { r in try await generateSessions(r) })
        router.get("/app/sessions/:id", use: page("listBookings") { r in try await sessionPage(r) })
        router.post("/app/sessions/:id/bookings", use: page("bookSession") { r in try await book(r) })
        router.post("/app/bookings/:id/status", use: page("changeBooking") { r in try await changeBooking(r) })
    }

    /// The teams whose work the caller does: their own team for a clinician, every team they see otherwise.
    func myTeams(_ r: ConsoleRequest) async throws -> [CareTeam] {
        let teams = try await everyPage(cap: 200) { page in
            try await TeamStore(r.db).list(districtId: nil, centreId: nil, page: page, logger: r.logger)
        }
        guard let worker = r.caller.caller.workerId else { return teams }
        let own = teams.filter { $0.members.contains { $0.workerId == worker } }
        return own.isEmpty ? teams : own
    }

    func timetable(_ r: ConsoleRequest) async throws -> Response {
        let today = SimpleDate.todayInChina()
        let teams = try await myTeams(r)
        var sessions: [ClinicSession] = []
        var clinics: [Clinic] = []
        for team in teams.prefix(10) {
            sessions += try await ClinicStore(r.db).sessions(
                from: today,
                through: today.adding(days: 27),
                stationId: nil,
                teamId: team.id,
                logger: r.logger
            )
            clinics += try await ClinicStore(r.db).list(stationId: nil, teamId: team.id, logger: r.logger)
        }
        sessions.sort { ($0.day, $0.startMinute, $0.id) < ($1.day, $1.startMinute, $1.id) }
        var values: [String: Any] = [
            "sessions": sessions.map(Views.session), "hasSessions": !sessions.isEmpty,
            "clinics": clinics.map { c in
                [
                    "id": c.id, "station": c.stationName, "weekday": Labels.weekday(c.rule.weekday),
                    "time": "\(ClinicStore.time(c.rule.startMinute))–\(ClinicStore.time(c.rule.endMinute))",
                ]
            },
            "mayGenerate": AccessRules.allows(r.caller.role, "generateClinicSessions"),
            "stations": Dictionary(clinics.map { ($0.stationId, $0.stationName) }, uniquingKeysWith: { a, _ in a })
                .sorted { $0.key < $1.key }.map { ["id": $0.key, "name": $0.value] as [String: Any] },
        ]
        if let done = r.query["generated"] { values["done"] = "已生成门诊排班：新增 \(done) 场。" }
        return render("clinics", title: "门诊", caller: r.caller, values)
    }

    func generateSessions(_ r: ConsoleRequest) async throws -> Response {
        let today = SimpleDate.todayInChina()
        let summary = try await ClinicStore(r.db).generate(
            from: today,
            through: today.adding(days: config.clinicWeeksAhead * 7 - 1),
            clinicId: try r.id(),
            calendar: try HolidayCalendar.load(directory: config.holidaysDirectory),
            onHoliday: config.onHoliday,
            keepSessions: true,
            logger: r.logger
        )
        return .redirect(to: "/app/clinics?generated=\(summary.sessions.filter { $0.outcome == .created }.count)")
    }

    /// A session: its bookings, each with the steps its state allows, and booking a resident found by name.
    func sessionPage(_ r: ConsoleRequest) async throws -> Response {
        let id = try r.id()
        let session = try await ClinicStore(r.db).session(id, logger: r.logger)
        let bookings = try await BookingStore(r.db).forSession(id, logger: r.logger)
        var values: [String: Any] = [
            "session": Views.session(session), "id": id,
            "bookings": bookings.map { b in
                let moves = b.status.moves.map(\.action)
                return [
                    "id": b.id, "residentId": b.residentId, "name": b.residentName, "slot": b.slot.map { "第\($0)号" } ?? "现场",
                    "status": Labels.booking(b.status), "mayCheckIn": moves.contains(.checkIn), "mayComplete": moves.contains(.complete),
                    "mayNoShow": moves.contains(.noShow), "mayCancel": moves.contains(.cancel),
                ] as [String: Any]
            },
            "hasBookings": !bookings.isEmpty, "q": r.query["q"] ?? "", "back": "/app/sessions/\(id)", "sessionId": id,
            "visits": [VisitKind.doctorFollowUp, .annualCheck].map { ["value": $0.rawValue, "label": Labels.visit($0)] },
            "mayBook": session.status == .scheduled && session.free > 0,
        ]
        if let q = r.query["q"] {
            let found = try await ResidentStore(r.db).briefs(
                .init(namePrefix: String(q.prefix(50))),
                today: SimpleDate.todayInChina(),
                page: try PageRequest(cursor: nil, limit: 20),
                logger: r.logger
            )
            values["found"] = found.items.map { ["id": $0.id, "name": $0.name, "about": Views.about($0)] as [String: Any] }
            values["searched"] = true
            values["none"] = found.items.isEmpty
        }
        if let done = r.query["done"] { values["done"] = ["booked": "已预约。", "changed": "已更新预约。"][done] ?? "" }
        return render("session", title: "门诊 \(session.day.iso)", caller: r.caller, values)
    }

    func book(_ r: ConsoleRequest) async throws -> Response {
        let id = try r.id()
        guard let resident = r.form["residentId"].flatMap(Int64.init) else { throw FieldError("residentId", "请选择居民") }
        _ = try await BookingStore(r.db).book(sessionId: id, residentId: resident, walkIn: r.form["walkIn"] == "true", logger: r.logger)
        return .redirect(to: "/app/sessions/\(id)?done=booked")
    }

    func changeBooking(_ r: ConsoleRequest) async throws -> Response {
        guard let action = r.form["action"].flatMap(BookingStatus.Action.init(rawValue:)) else { throw FieldError("action", "请选择操作") }
        let visit = action == .complete ? r.form["visit"].flatMap(VisitKind.init(rawValue:)) : nil
        let booking = try await BookingStore(r.db).act(try r.id(), action, visit: visit, logger: r.logger)
        return .redirect(to: "/app/sessions/\(booking.sessionId)?done=changed")
    }
}

extension Views {
    static func session(_ s: ClinicSession) -> [String: Any] {
        [
            "id": s.id, "day": s.day.iso, "weekday": Labels.weekday(s.day.isoWeekday), "station": s.stationName,
            "time": "\(ClinicStore.time(s.startMinute))–\(ClinicStore.time(s.endMinute))", "status": Labels.session(s.status),
            "reason": s.reason ?? "", "booked": s.places - s.free, "places": s.places, "free": s.free,
            "changed": s.status == .cancelled || s.status == .moved,
        ]
    }
}

extension Labels {
    static func weekday(_ d: Int) -> String { ["", "周一", "周二", "周三", "周四", "周五", "周六", "周日"][min(max(d, 0), 7)] }

    static func booking(_ s: BookingStatus) -> String {
        switch s {
        case .booked: "已预约"
        case .checkedIn: "已签到"
        case .completed: "已就诊"
        case .noShow: "未到"
        case .cancelled: "已取消"
        }
    }
}
