import Foundation
import GridcareCore
import GridcareStore
import Hummingbird

/// 转诊收件箱 for a designated hospital's staff (and a slip's page for both parties): the slips addressed
/// to the hospital, green channel first with their acknowledgement countdown, the slips per stage and by
/// number, and the slip's next steps as buttons. What a caller sees is row-level security's answer.
extension Console {
    func registerReferralPages(on router: Router<GridcareRequestContext>) {
        router.get("/app/hospital", use: page("listReferrals") { r in try await hospitalInbox(r) })
        router.get("/app/referrals/:id", use: page("getReferral") { r in try await slipPage(r) })
        router.get("/app/referrals/:id/print", use: page("referralSlip") { r in try await printSlip(r) })
        router.post("/app/referrals/:id", use: page("actOnReferral") { r in try await actOnSlip(r) })
    }

    /// The inbox: open slips, most urgent first (green channel, urgent, routine; then the earliest
    /// deadline); `stage` lists one stage instead, closed ones included, and `q` finds a slip by number.
    func hospitalInbox(_ r: ConsoleRequest) async throws -> Response {
        let stage = r.query["stage"].flatMap(ReferralStatus.init(rawValue:))
        let q = r.query["q"]?.trimmed
        let number = (q?.isEmpty ?? true) ? nil : q
        let slips = try await ReferralStore(r.db).list(
            .init(status: stage, openOnly: stage == nil && number == nil, number: number),
            page: PageRequest(firstOf: 500),
            logger: r.logger
        ).items
        let now = Date()
        let rules = config.referralRules
        let ordered = slips.map { (ReferralInbox.rank($0, rules: rules), $0) }.sorted { $0.0 < $1.0 }.map(\.1)
        let stages: [ReferralStatus] = [.sent, .received, .accepted, .admitted, .dischargedDown, .declined, .closed]
        var values: [String: Any] = [
            "slips": ordered.map { ReferralInbox.row($0, rules: rules, now: now) }, "hasSlips": !ordered.isEmpty,
            "q": q ?? "",
            "stages": stages.map { s in ["value": s.rawValue, "label": Labels.referral(s), "current": s == stage] as [String: Any] },
            "allCurrent": stage == nil && number == nil,
            "heading": number.map { "编号 \($0)" } ?? stage.map(Labels.referral) ?? "待处理",
        ]
        if let done = r.query["done"], let action = ReferralStatus.Action(rawValue: done) { values["done"] = ReferralInbox.done(action) }
        return render("hospital", title: "转诊收件箱", caller: r.caller, values)
    }

    /// One slip: the patient as the caller may see them, the reason, readings, history, and the steps
    /// the caller's party may take now.
    func slipPage(_ r: ConsoleRequest) async throws -> Response {
        let (slip, history) = try await ReferralStore(r.db).get(try r.id(), reveal: false, logger: r.logger)
        let role = r.caller.role
        let actions = slip.allowedActions.filter { AccessRules.mayActOnReferral($0, as: role) }
        let simple = actions.filter { $0 != .decline && $0 != .discharge && $0 != .cancel }
        var values: [String: Any] = [
            "id": slip.id, "number": slip.number, "version": slip.version,
            "urgency": Labels.urgency(slip.urgency), "urgencyClass": slip.urgency == .routine ? "" : "red",
            "status": Labels.referral(slip.status),
            "name": slip.patient.name, "sex": slip.patient.sex == "male" ? "男" : "女", "born": slip.patient.birthYear,
            "idMasked": slip.patient.idNumberMasked, "phone": slip.patient.phone ?? "", "address": slip.patient.address ?? "",
            "centre": slip.centreName, "hospital": slip.hospitalName, "department": slip.department ?? "",
            "reason": slip.reason, "diagnosis": slip.diagnosis, "declineReason": slip.declineReason ?? "",
            "deadline": ReferralInbox.deadline(slip, rules: config.referralRules, now: Date()) ?? "",
            "vitals": slip.vitals.map { v in
                [
                    "at": Views.time(v.measuredAt), "bp": v.systolic.map { "\($0)/\(v.diastolic ?? 0)" } ?? "",
                    "glucose": (v.glucoseFasting ?? v.glucoseRandom).map { "\($0)" } ?? "",
                ]
            },
            "history": history.map { e in ["at": Views.time(e.at), "who": e.username, "what": Labels.referral(e.to), "note": e.note ?? ""] },
            "hasVitals": !slip.vitals.isEmpty, "hasSimple": !simple.isEmpty,
            "simple": simple.map { ["action": $0.rawValue, "label": ReferralInbox.button($0)] },
            "mayDecline": actions.contains(.decline), "mayDischarge": actions.contains(.discharge), "mayCancel": actions.contains(.cancel),
            "followUpBy": SimpleDate.todayInChina().adding(days: config.referralRules.followUpWithinDays).iso,
            "back": role == .hospitalStaff ? "/app/hospital" : "/app/r/\(slip.residentId)",
            "residentId": slip.residentId, "isHospital": role == .hospitalStaff,
        ]
        if let p = slip.plan {
            values["plan"] = ["instructions": p.instructions, "medication": p.medication ?? "", "followUpBy": p.followUpBy.iso]
        }
        if let done = r.query["done"], let action = ReferralStatus.Action(rawValue: done) { values["done"] = ReferralInbox.done(action) }
        return render("referral", title: "转诊单 \(slip.number)", caller: r.caller, values)
    }

    /// The paper slip, as the API's `/v1/referrals/{id}/slip` prints it (the same reveal rule and audit).
    func printSlip(_ r: ConsoleRequest) async throws -> Response {
        let (slip, _) = try await ReferralStore(r.db).get(try r.id(), logger: r.logger)
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: ReferralSlipPage.html(slip))))
    }

    /// A button of the slip's page: one step of the referral machine, on the version the page showed.
    func actOnSlip(_ r: ConsoleRequest) async throws -> Response {
        let id = try r.id()
        guard let action = r.form["action"].flatMap(ReferralStatus.Action.init(rawValue:)) else { throw FieldError("action", "请选择操作") }
        var plan: (instructions: String, medication: String?, followUpBy: SimpleDate?)?
        if action == .discharge {
            let by = try r.form["followUpBy"].flatMap { $0.isEmpty ? nil : $0 }.map { raw throws(FieldError) in
                guard let d = SimpleDate(iso: raw) else { throw FieldError("plan.followUpBy", "日期格式应为 YYYY-MM-DD") }
                return d
            }
            plan = (instructions: r.form["instructions"] ?? "", medication: r.form["medication"].flatMap { $0.isEmpty ? nil : $0 }, followUpBy: by)
        }
        let note = r.form["note"].flatMap { $0.trimmed.isEmpty ? nil : $0 }
        let version = r.form["version"].flatMap(Int.init)
        let slip = try await ReferralStore(r.db).act(id, .init(action: action, note: note, plan: plan), ifVersion: version, logger: r.logger)
        // Back to the inbox for the hospital's steps that finish its part; otherwise to the slip itself.
        if r.caller.role == .hospitalStaff && [.decline, .discharge].contains(action) {
            return .redirect(to: "/app/hospital?done=\(action.rawValue)")
        }
        return .redirect(to: "/app/referrals/\(slip.id)?done=\(action.rawValue)")
    }
}

/// How the inbox words and orders slips: its one owner of the urgency order and the countdown.
enum ReferralInbox {
    /// Green channel, urgent, routine; within each, what must be acknowledged first, then the oldest.
    static func rank(_ s: Referral, rules: ReferralRules) -> (Int, Int, Double, Int64) {
        let urgency = [ReferralUrgency.greenChannel: 0, .urgent: 1, .routine: 2][s.urgency] ?? 3
        let waiting = s.status == .sent ? 0 : 1
        let deadline = s.sentAt.map { rules.acknowledgeBy(sentAt: $0, urgency: s.urgency).timeIntervalSince1970 } ?? .infinity
        return (s.status.isOpen ? 0 : 1, urgency * 2 + waiting, deadline, s.id)
    }

    static func row(_ s: Referral, rules: ReferralRules, now: Date) -> [String: Any] {
        let countdown = deadline(s, rules: rules, now: now)
        return [
            "id": s.id, "number": s.number, "name": s.patient.name, "urgency": Labels.urgency(s.urgency),
            "urgencyClass": s.urgency == .routine ? "" : "red", "status": Labels.referral(s.status), "centre": s.centreName,
            "sent": s.sentAt.map(Views.time) ?? "", "countdown": countdown ?? "",
            "late": s.status == .sent && s.sentAt.map { rules.acknowledgeBy(sentAt: $0, urgency: s.urgency) < now } == true,
        ]
    }

    /// "还剩 1 小时 20 分" until a sent slip must be received, "已超时 35 分" past it; nil once received.
    static func deadline(_ s: Referral, rules: ReferralRules, now: Date) -> String? {
        guard s.status == .sent, let sent = s.sentAt else { return nil }
        let seconds = Int(rules.acknowledgeBy(sentAt: sent, urgency: s.urgency).timeIntervalSince(now))
        let minutes = abs(seconds) / 60
        let span = minutes >= 60 ? "\(minutes / 60) 小时 \(minutes % 60) 分" : "\(minutes) 分"
        return seconds >= 0 ? "接收期限还剩 \(span)" : "接收已超时 \(span)"
    }

    static func button(_ a: ReferralStatus.Action) -> String {
        switch a {
        case .send: "转出"
        case .receive: "接收"
        case .accept: "接诊"
        case .decline: "拒收"
        case .admit: "入院"
        case .discharge: "出院回转"
        case .followUp: "已随访"
        case .close: "闭环"
        case .cancel: "取消转诊"
        }
    }

    static func done(_ a: ReferralStatus.Action) -> String {
        switch a {
        case .send: "转诊单已转出。"
        case .receive: "已接收转诊单。"
        case .accept: "已接诊。"
        case .decline: "已拒收，社区团队会收到通知。"
        case .admit: "已登记入院。"
        case .discharge: "已出院回转，社区团队会按随访计划随访。"
        case .followUp: "已记录随访。"
        case .close: "转诊已闭环。"
        case .cancel: "转诊已取消。"
        }
    }
}
