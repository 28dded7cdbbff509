import Foundation
import GridcareCore
import GridcareStore
import Hummingbird

/// A resident's page (个案表): who they are, open alerts and flags first, what is due, the services and
/// readings with their chart, and the actions the caller's role has: raise a flag, record a welfare
/// visit, acknowledge an alert (网格员); confirm or dismiss a flag, record a service or a reading, write
/// a referral slip (家庭医生团队).
extension Console {
    func registerResidentPages(on router: Router<GridcareRequestContext>) {
        router.get("/app/r/:id", use: page("getCaseSheet") { r in try await residentPage(r) })
        router.post("/app/r/:id/flags", use: page("raiseFlag") { r in try await raiseFlag(r) })
        router.post("/app/r/:id/services", use: page("recordService") { r in try await recordService(r) })
        router.post("/app/r/:id/readings", use: page("recordReading") { r in try await recordReading(r) })
        router.post("/app/r/:id/referrals", use: page("createReferral") { r in try await writeReferral(r) })
        router.post("/app/flags/:id/decision", use: page("decideFlag") { r in try await decideFlag(r) })
        router.post("/app/alerts/:id/acknowledge", use: page("acknowledgeAlert") { r in try await acknowledgeAlert(r) })
    }

    static let done: [String: String] = [
        "flag": "已上报风险标记，等待家庭医生确认。", "visit": "已记录走访。", "service": "已记录服务。", "reading": "已记录读数。",
        "acknowledged": "已记录联系情况。", "confirm": "已确认标记。", "dismiss": "已排除标记。", "referral": "已开具转诊单。",
    ]

    func residentPage(_ r: ConsoleRequest) async throws -> Response {
        let id = try r.id()
        let sheet = try await CaseSheetStore(r.db).caseSheet(id, logger: r.logger)
        let p = sheet.resident
        let role = r.caller.role
        let today = SimpleDate.todayInChina()
        let (due, _) = try await DueVisitStore(r.db).due(
            .init(residentIds: [id], today: today, until: today.adding(days: 60), limit: 50),
            logger: r.logger
        )
        var values: [String: Any] = [
            "id": id, "name": p.name, "sex": Labels.sex(p.sex), "born": p.birthYear, "idMasked": p.idNumberMasked,
            "phone": p.phone ?? "", "conditions": p.conditions.map(Labels.condition).joined(separator: "、"),
            "circumstances": p.circumstances.map(Labels.circumstance).joined(separator: "、"),
            "alerts": sheet.alerts.map(Views.alert), "hasAlerts": !sheet.alerts.isEmpty,
            "flags": sheet.flags.map(Views.flag), "hasFlags": !sheet.flags.isEmpty,
            "due": due.map {
                [
                    "visit": Labels.visit($0.visit), "why": Labels.rule($0.rule), "on": $0.dueOn.iso, "overdue": $0.overdueDays,
                    "isOverdue": $0.overdueDays > 0,
                ]
            },
            "hasDue": !due.isEmpty,
            "services": sheet.services.prefix(20).map(Views.service), "hasServices": !sheet.services.isEmpty,
            "readings": sheet.readings.prefix(20).map(Views.reading), "hasReadings": !sheet.readings.isEmpty,
            "chart": ReadingChart.svg(sheet.readings), "hasChart": sheet.readings.count >= 1,
            "followUps": sheet.followUps.map { ["reason": $0.reason, "by": $0.dueBy.iso] }, "hasFollowUps": !sheet.followUps.isEmpty,
            "mayRaise": AccessRules.allows(role, "raiseFlag"), "mayDecide": AccessRules.allows(role, "decideFlag"),
            "mayRead": AccessRules.allows(role, "recordReading"), "mayRefer": AccessRules.allows(role, "createReferral"),
            "mayWelfare": role == .gridWorker, "mayService": role == .centreStaff || role == .admin,
            "mayAskBoard": AccessRules.allows(role, "postBoardRequest"), "boardCategories": Views.options(Labels.boardCategory) as [[String: String]],
            "categories": Views.options(Labels.category) as [[String: String]], "tiers": Views.options(Labels.tier) as [[String: String]],
            "populations": Views.options(Labels.population) as [[String: String]],
            "visits": [VisitKind.doctorFollowUp, .homeVisit, .annualCheck].map { ["value": $0.rawValue, "label": Labels.visit($0)] },
            "back": "/app/r/\(id)",
        ]
        if let done = r.query["done"].flatMap({ Self.done[$0] }) { values["done"] = done }
        if values["mayRefer"] as? Bool == true {
            let hospitals = try await FacilityStore(r.db).list(
                kind: .hospital,
                districtId: p.districtId,
                centreId: nil,
                page: try PageRequest(cursor: nil, limit: 50),
                logger: r.logger
            )
            values["hospitals"] = hospitals.items.map { ["id": $0.id, "name": $0.name] }
        }
        return render("resident", title: p.name, caller: r.caller, values)
    }

    func raiseFlag(_ r: ConsoleRequest) async throws -> Response {
        let id = try r.id()
        guard let category = r.form["category"].flatMap(FlagCategory.init(rawValue:)) else { throw FieldError("category", "请选择") }
        guard let tier = r.form["tier"].flatMap(Tier.init(rawValue:)) else { throw FieldError("tier", "请选择") }
        let population = r.form["population"].flatMap(Population.init(rawValue:)) ?? .key
        _ = try await FlagStore(r.db).raise(
            residentId: id,
            category: category,
            tier: tier,
            population: population,
            note: r.form["note"],
            logger: r.logger
        )
        return .redirect(to: "/app/r/\(id)?done=flag")
    }

    /// A grid worker's welfare visit (关爱走访), or a clinician's service of the kind chosen.
    func recordService(_ r: ConsoleRequest) async throws -> Response {
        let id = try r.id()
        let welfare = r.caller.role == .gridWorker
        let visit = welfare ? VisitKind.welfareVisit : r.form["visit"].flatMap(VisitKind.init(rawValue:))
        let kind: ServiceKind = welfare ? .homeVisit : (r.form["kind"].flatMap(ServiceKind.init(rawValue:)) ?? .homeVisit)
        _ = try await CaseSheetStore(r.db).addService(
            residentId: id,
            kind: kind,
            visit: visit,
            performedAt: Date(),
            notes: r.form["notes"],
            logger: r.logger
        )
        return .redirect(to: "/app/r/\(id)?done=\(welfare ? "visit" : "service")")
    }

    /// Records a reading; an urgent value answers with the alert it raised and the green-channel slip it
    /// suggests, on the same page.
    func recordReading(_ r: ConsoleRequest) async throws -> Response {
        let id = try r.id()
        let f = r.form
        let vitals = Vitals(
            systolic: try f.int("systolic"),
            diastolic: try f.int("diastolic"),
            glucoseFasting: try f.double("glucoseFasting"),
            glucoseRandom: try f.double("glucoseRandom"),
            heartRate: try f.int("heartRate"),
            temperature: try f.double("temperature"),
            spo2: try f.int("spo2"),
            weight: try f.double("weight")
        )
        let outcome = try await CaseSheetStore(r.db).addReading(residentId: id, vitals: vitals, measuredAt: Date(), serviceId: nil, logger: r.logger)
        guard let alert = outcome.alert else { return .redirect(to: "/app/r/\(id)?done=reading") }
        return render(
            "urgent",
            title: "危急值",
            caller: r.caller,
            status: .created,
            [
                "id": id, "alert": Views.alert(alert), "reading": Views.reading(outcome.reading),
                "mayRefer": AccessRules.allows(r.caller.role, "createReferral"),
            ]
        )
    }

    func writeReferral(_ r: ConsoleRequest) async throws -> Response {
        let id = try r.id()
        guard let hospital = r.form["hospitalId"].flatMap(Int64.init) else { throw FieldError("hospitalId", "请选择医院") }
        let urgency = r.form["urgency"].flatMap(ReferralUrgency.init(rawValue:)) ?? .routine
        let slip = try await ReferralStore(r.db).create(
            .init(
                residentId: id,
                hospitalId: hospital,
                department: r.form["department"],
                urgency: urgency,
                reason: r.form["reason"] ?? "",
                diagnosis: r.form["diagnosis"] ?? "",
                send: true
            ),
            logger: r.logger
        )
        return .redirect(to: "/app/referrals/\(slip.id)?done=send")
    }

    func decideFlag(_ r: ConsoleRequest) async throws -> Response {
        let id = try r.id()
        guard let action = r.form["action"].flatMap(FlagStatus.Action.init(rawValue:)), action != .close else {
            throw FieldError("action", "请选择确认或排除")
        }
        let flag = try await FlagStore(r.db).act(id, action, note: r.form["note"], ifVersion: nil, logger: r.logger)
        return .redirect(to: back(r, default: "/app/r/\(flag.residentId)") + "?done=\(action.rawValue)")
    }

    func acknowledgeAlert(_ r: ConsoleRequest) async throws -> Response {
        let id = try r.id()
        let alert = try await AlertStore(r.db).act(id, .acknowledge, note: r.form["note"], ifVersion: nil, logger: r.logger)
        return .redirect(to: back(r, default: "/app/r/\(alert.residentId)") + "?done=acknowledged")
    }

    /// The page a form came from, when it is one of the console's.
    func back(_ r: ConsoleRequest, default fallback: String) -> String {
        guard let back = r.form["back"], back.hasPrefix("/app/"), !back.contains("?"), !back.hasPrefix("//") else { return fallback }
        return back
    }
}
