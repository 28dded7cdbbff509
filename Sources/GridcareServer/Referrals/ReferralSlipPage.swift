import Foundation
import GridcareCore
import GridcareStore

/// The slip as a page a browser prints on one A4 sheet, laid out like the paper 双向转诊单 it replaces.
/// Every value from a record is escaped: names and notes are typed by people.
enum ReferralSlipPage {
    /// The page's one inline stylesheet: the Content-Security-Policy admits exactly it, by its hash.
    static let style = """

        @page { size: A4; margin: 18mm 16mm; }
        body { font-family: "Noto Serif CJK SC", "Songti SC", serif; font-size: 11pt; color: #000; }
        h1 { text-align: center; font-size: 18pt; margin: 0 0 4mm; }
        h2 { font-size: 12pt; border-bottom: 1px solid #000; margin: 5mm 0 2mm; }
        .meta { display: flex; justify-content: space-between; margin-bottom: 3mm; }
        table { width: 100%; border-collapse: collapse; }
        th, td { border: 1px solid #000; padding: 1.5mm 2mm; text-align: left; vertical-align: top; }
        th { width: 32%; font-weight: normal; background: #f2f2f2; }
        .vitals th { width: auto; }
        .sign { margin-top: 10mm; display: flex; justify-content: space-between; }

        """

    static func html(_ s: Referral) -> String {
        let urgency = ["routine": "常规 Routine", "urgent": "紧急 Urgent", "green_channel": "绿色通道 Green channel"][s.urgency.rawValue]!
        func row(_ label: String, _ value: String?) -> String {
            "<tr><th>\(label)</th><td>\(Markup.escape(value ?? "—"))</td></tr>"
        }
        func time(_ d: Date?) -> String? { d.map(chinaTime) }
        let vitals =
            s.vitals.isEmpty
            ? "<p>—</p>"
            : "<table class=\"vitals\"><tr><th>测量时间 Measured</th><th>血压 BP</th><th>空腹血糖 FPG</th>"
                + "<th>随机血糖 RPG</th><th>心率 HR</th><th>体温 T</th><th>SpO₂</th><th>体重 kg</th></tr>"
                + s.vitals.map { v in
                    let bp = v.systolic.map { "\($0)/\(v.diastolic ?? 0)" }
                    let cells = [
                        chinaTime(v.measuredAt), bp, v.glucoseFasting.map { "\($0)" }, v.glucoseRandom.map { "\($0)" },
                        v.heartRate.map(String.init), v.temperature.map { "\($0)" }, v.spo2.map(String.init), v.weight.map { "\($0)" },
                    ]
                    return "<tr>" + cells.map { "<td>\(Markup.escape($0 ?? "—"))</td>" }.joined() + "</tr>"
                }.joined() + "</table>"
        var plan = ""
        if let p = s.plan {
            plan =
                "<h2>回转 Discharged down</h2><table>" + row("出院时间 Discharged", time(s.dischargedAt)) + row("医嘱 Instructions", p.instructions)
                + row("用药 Medication", p.medication) + row("随访期限 Follow up by", p.followUpBy.iso) + "</table>"
        }
        return """
            <!DOCTYPE html>
            <html lang="zh-CN"><head><meta charset="utf-8"><title>双向转诊单 \(Markup.escape(s.number))</title>
            <style>\(style)</style></head><body>
            <h1>双向转诊单 Referral slip</h1>
            <div class="meta"><span>编号 No. <strong>\(Markup.escape(s.number))</strong></span><span>\(Markup.escape(urgency))</span><span>状态 \(Markup.escape(s.status.rawValue))</span></div>
            <h2>患者 Patient</h2><table>
            \(row("姓名 Name", s.patient.name))\(row("性别 Sex", s.patient.sex))\(row(s.patient.identity == nil ? "出生年份 Born" : "出生日期 Born", s.patient.identity?.birthDate.iso ?? String(s.patient.birthYear)))
            \(row("身份证号 ID number", s.patient.identity?.idNumber ?? s.patient.idNumberMasked))\(row("电话 Phone", s.patient.phone))\(row("住址 Address", s.patient.address))
            </table>
            <h2>转出 From</h2><table>
            \(row("转出机构 Centre", s.centreName))\(row("开单时间 Written", time(s.createdAt)))\(row("转出时间 Sent", time(s.sentAt)))
            </table>
            <h2>转入 To</h2><table>
            \(row("接收医院 Hospital", s.hospitalName))\(row("科室 Department", s.department))\(row("接收时间 Received", time(s.receivedAt)))
            </table>
            <h2>病情 Clinical</h2><table>
            \(row("初步诊断 Working diagnosis", s.diagnosis))\(row("转诊原因 Reason", s.reason))\(s.declineReason.map { row("拒收原因 Declined because", $0) } ?? "")
            </table>
            <h2>近期体征 Recent vitals</h2>\(vitals)
            \(plan)
            <div class="sign"><span>转诊医生签名 Referring doctor ____________</span><span>接诊医生签名 Receiving doctor ____________</span></div>
            </body></html>
            """
    }

    /// A time as people in China read it (UTC+8).
    static func chinaTime(_ d: Date) -> String {
        let local = d.addingTimeInterval(8 * 3600)
        let day = SimpleDate.todayInChina(now: d)
        let seconds = Int(local.timeIntervalSince1970.rounded(.down)) % 86_400
        let h = seconds / 3600
        let m = seconds % 3600 / 60
        return "\(day.iso) \(h < 10 ? "0" : "")\(h):\(m < 10 ? "0" : "")\(m)"
    }
}
