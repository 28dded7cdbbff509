import Foundation
import GridcareCore
import GridcareStore

/// The values a template shows, built from the stores' records. Templates escape every value; what a
/// resident's line shows is their name, sex, birth year and the masked number at most, never the whole one.
enum Views {
    static func time(_ d: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Shanghai")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: d)
        return String(format: "%04d-%02d-%02d %02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!)
    }

    static func tierClass(_ t: Tier?) -> String { t.map { "tier-\($0.rawValue)" } ?? "" }

    /// Residents as list lines (`<li>`, put in with `{{{…}}}`), each with what they need when `needs` has
    /// them: name, sex, birth year and conditions, never an identity number.
    static func residentLines(_ residents: [ResidentBrief], needs: [Int64: MyResidents.Entry] = [:]) -> String {
        var m = Markup(capacity: residents.count * 200)
        for r in residents {
            let need = needs[r.id]
            m.raw("<li class=\"\(tierClass(need?.tier))\"><a class=\"row\" href=\"/app/r/\(r.id)\"><span class=\"name\">")
            m.text(r.name)
            m.raw("</span><span class=\"sub\">" + about(r) + "</span>")
            if let need {
                if need.openAlerts > 0 { m.raw("<span class=\"badge alert\">联系家属</span>") }
                if need.flags.contains(where: { $0.status == .raised }) { m.raw("<span class=\"badge\">待确认</span>") }
                if let tier = need.tier { m.raw("<span class=\"badge \(tierClass(tier))\">\(Labels.tier(tier))</span>") }
                if !need.due.isEmpty { m.raw("<span class=\"sub\">待办：" + need.due.map { Labels.visit($0.visit) }.joined(separator: "、") + "</span>") }
            }
            m.raw("</a></li>")
        }
        return m.html
    }

    /// A resident's "sex · birth year · conditions", for a line a template writes itself.
    static func about(_ r: ResidentBrief) -> String {
        var about = "\(Labels.sex(r.sex)) · \(r.birthYear)年生"
        if !r.conditions.isEmpty { about += " · " + r.conditions.map(Labels.condition).joined(separator: "、") }
        return about
    }

    /// A resident who needs something, for the top of 我的微网格.
    static func attention(_ e: MyResidents.Entry) -> [String: Any] {
        [
            "id": e.residentId, "name": e.name, "tier": e.tier.map(Labels.tier) ?? "", "tierClass": tierClass(e.tier),
            "alerts": e.openAlerts, "hasAlerts": e.openAlerts > 0,
            "due": e.due.map { d in Labels.visit(d.visit) + (d.overdueDays > 0 ? "（逾期\(d.overdueDays)天）" : "（\(d.dueOn.iso)前）") }
                .joined(separator: "、"),
            "flags": e.flags.map { Labels.category($0.category) + "·" + Labels.flagStatus($0.status) }.joined(separator: "、"),
        ]
    }

    static func flag(_ f: RiskFlag) -> [String: Any] {
        [
            "id": f.id, "category": Labels.category(f.category), "tier": Labels.tier(f.tier), "tierClass": tierClass(f.tier),
            "population": Labels.population(f.population), "status": Labels.flagStatus(f.status), "note": f.note ?? "",
            "raisedAt": time(f.raisedAt), "isRaised": f.status == .raised, "isOpen": f.status == .raised || f.status == .confirmed,
            "residentId": f.residentId, "residentName": f.residentName,
        ]
    }

    static func alert(_ a: Alert) -> [String: Any] {
        [
            "id": a.id, "reason": a.reason, "status": Labels.alertStatus(a.status), "openedAt": time(a.openedAt),
            "isOpen": a.status == .open, "greenChannel": a.suggestsGreenChannel && a.status == .open, "note": a.acknowledgeNote ?? "",
            "residentId": a.residentId, "residentName": a.residentName,
        ]
    }

    static func service(_ s: ServiceEntry) -> [String: Any] {
        [
            "at": time(s.performedAt), "kind": Labels.service(s.kind), "visit": s.visit.map(Labels.visit) ?? "",
            "by": s.performedByName, "notes": s.notes ?? "",
        ]
    }

    static func reading(_ v: VitalReading) -> [String: Any] {
        let x = v.vitals
        return [
            "at": time(v.measuredAt),
            "bp": x.systolic.map { "\($0)/\(x.diastolic.map(String.init) ?? "—")" } ?? "",
            "glucose": [x.glucoseFasting.map { "空腹 \($0)" }, x.glucoseRandom.map { "随机 \($0)" }].compactMap { $0 }.joined(separator: " "),
            "heartRate": x.heartRate.map(String.init) ?? "", "temperature": x.temperature.map { "\($0)" } ?? "",
            "spo2": x.spo2.map(String.init) ?? "",
        ]
    }

    /// The choices of an enum for a <select>, in the console's words.
    static func options<T: RawRepresentable & CaseIterable>(_ label: (T) -> String) -> [[String: String]] where T.RawValue == String {
        T.allCases.map { ["value": $0.rawValue, "label": label($0)] }
    }
}
