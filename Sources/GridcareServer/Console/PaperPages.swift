import Foundation
import GridcareCore
import GridcareStore
import Hummingbird

/// The paper village clinics still run on, as A4 pages (the stylesheet's print rules): a micro-grid's
/// household codes to stick on doors (码上办), a station's clinic poster for the month with the holiday
/// moves, and a resident's case sheet (个案表). Each reads what its screen reads, under the same rule.
extension Console {
    func registerPaperPages(on router: Router<GridcareRequestContext>) {
        router.get("/app/grids/:id/codes", use: page("listHouseholds") { r in try await codeSheet(r) })
        router.get("/app/stations/:id/poster", use: page("listSessions") { r in try await clinicPoster(r) })
        router.get("/app/r/:id/print", use: page("getCaseSheet") { r in try await caseSheetPaper(r) })
    }

    /// Where a printed code points: the configured public address, else the one the sheet was printed from.
    func publicBase(_ r: ConsoleRequest) -> String {
        if let configured = config.consolePublicURL { return configured }
        let host = r.request.head.authority ?? "\(config.host):\(config.port)"
        return (config.consoleSecureCookies ? "https://" : "http://") + host
    }

    /// One code per household of the micro-grid, with its address: a printed code opens the household's
    /// page after sign-in, and holds nothing but the household's random token.
    func codeSheet(_ r: ConsoleRequest) async throws -> Response {
        let (area, households) = try await microGridHouseholds(r, try r.id())
        let base = publicBase(r)
        let cards = households.map { h -> [String: Any] in
            ["code": QRCode.svg(base + "/app/h/" + h.codeToken, label: h.address) ?? "", "address": h.address]
        }
        return render(
            "paper-codes",
            title: "\(area.name) 户码",
            caller: r.caller,
            ["name": area.name, "cards": cards, "count": cards.count, "printed": SimpleDate.todayInChina().iso]
        )
    }

    /// A station's clinics for a month as a calendar to pin up: every session, those a holiday cancelled
    /// or moved marked with the reason, holidays and make-up workdays named.
    func clinicPoster(_ r: ConsoleRequest) async throws -> Response {
        let stationId = try r.id()
        let today = SimpleDate.todayInChina()
        let month: SimpleDate
        if let raw = r.query["month"] {
            guard let m = SimpleDate(iso: raw + "-01") else { throw FieldError("month", "格式应为 YYYY-MM") }
            month = m
        } else {
            month = SimpleDate(year: today.year, month: today.month, day: 1)!
        }
        let last = SimpleDate(year: month.year, month: month.month, day: SimpleDate.daysIn(month: month.month, year: month.year))!
        let station = try await FacilityStore(r.db).get(stationId, logger: r.logger)
        guard station.kind == .station else { throw StoreError.notFound("station") }
        let sessions = try await ClinicStore(r.db).sessions(from: month, through: last, stationId: stationId, teamId: nil, logger: r.logger)
        let calendar = try HolidayCalendar.load(directory: config.holidaysDirectory)
        let byDay = Dictionary(grouping: sessions, by: \.day)
        // Monday-first weeks covering the month; days of the months around it are blank.
        let first = month.adding(days: -(month.isoWeekday - 1))
        var weeks: [[String: Any]] = []
        var day = first
        while day <= last {
            var cells: [[String: Any]] = []
            for _ in 0..<7 {
                let inMonth = day.month == month.month && day.year == month.year
                let holiday = calendar.periods.first { $0.off.contains(day) }?.name
                let workday = calendar.periods.first { $0.work.contains(day) }.map { "\($0.name)调休上班" }
                cells.append([
                    "day": inMonth ? String(day.day) : "", "holiday": inMonth ? holiday ?? workday ?? "" : "",
                    "sessions": inMonth
                        ? (byDay[day] ?? []).sorted { $0.startMinute < $1.startMinute }.map { s -> [String: Any] in
                            [
                                "time": "\(ClinicStore.time(s.startMinute))–\(ClinicStore.time(s.endMinute))",
                                "changed": s.status == .cancelled || s.status == .moved,
                                "status": s.status == .scheduled || s.status == .held ? "" : Labels.session(s.status), "reason": s.reason ?? "",
                            ]
                        } : [],
                ])
                day = day.adding(days: 1)
            }
            weeks.append(["days": cells])
        }
        let changed = sessions.filter { $0.status == .cancelled || $0.status == .moved }
        return render(
            "paper-poster",
            title: "\(station.name) \(month.year)年\(month.month)月门诊",
            caller: r.caller,
            [
                "station": station.name, "year": month.year, "month": month.month, "weeks": weeks, "address": station.address ?? "",
                "changes": changed.map {
                    ["day": $0.day.iso, "weekday": Labels.weekday($0.day.isoWeekday), "status": Labels.session($0.status), "reason": $0.reason ?? ""]
                },
                "hasChanges": !changed.isEmpty, "weekdays": ["周一", "周二", "周三", "周四", "周五", "周六", "周日"],
            ]
        )
    }

    /// 个案表 as the team carries it: the resident as every screen shows them (masked number, birth year),
    /// flags, what is due, the readings with their chart, the last services.
    func caseSheetPaper(_ r: ConsoleRequest) async throws -> Response {
        let id = try r.id()
        let sheet = try await CaseSheetStore(r.db).caseSheet(id, logger: r.logger)
        let p = sheet.resident
        let today = SimpleDate.todayInChina()
        let (due, _) = try await DueVisitStore(r.db).due(
            .init(residentIds: [id], today: today, until: today.adding(days: 60), limit: 50),
            logger: r.logger
        )
        return render(
            "paper-case",
            title: "个案表 \(p.name)",
            caller: r.caller,
            [
                "name": p.name, "sex": Labels.sex(p.sex), "born": p.birthYear, "idMasked": p.idNumberMasked, "phone": p.phone ?? "",
                "conditions": p.conditions.map(Labels.condition).joined(separator: "、"),
                "circumstances": p.circumstances.map(Labels.circumstance).joined(separator: "、"),
                "flags": sheet.flags.map(Views.flag), "hasFlags": !sheet.flags.isEmpty,
                "due": due.map { ["visit": Labels.visit($0.visit), "why": Labels.rule($0.rule), "on": $0.dueOn.iso] }, "hasDue": !due.isEmpty,
                "readings": sheet.readings.prefix(12).map(Views.reading), "hasReadings": !sheet.readings.isEmpty,
                "chart": ReadingChart.svg(sheet.readings),
                "services": sheet.services.prefix(15).map(Views.service), "hasServices": !sheet.services.isEmpty,
                "printed": today.iso, "printedBy": r.caller.username,
            ]
        )
    }
}
