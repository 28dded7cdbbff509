/// The figures that make visits due and readings alarming (defaults from PRODUCT.md: 国家基本公共卫生服务
/// 规范, 3rd ed.). Every figure is configurable under `rules.visits.*` and `rules.readings.*`; this type
/// is their one owner, and the due-visit query takes its numbers from here.
public struct VisitRules: Sendable, Equatable {
    public var chronicFollowUpsPerYear = 4
    public var chronicConditions: [Condition] = [.hypertension, .type2Diabetes, .severeMentalIllness]
    public var annualCheckAge = 65
    /// The annual check comes round again this many days after the last one.
    public var annualCheckIntervalDays = 365
    public var disabledElderlyHomeVisitsPerYear = 2
    public var welfareDays: [Tier: Int] = [.red: 7, .yellow: 14, .green: 30]
    /// After an uncontrolled or urgent reading, or an urgent referral.
    public var followUpWithinDays = 14

    public var urgentSystolic = 180, urgentDiastolic = 110
    public var urgentGlucoseHigh = 16.7, urgentGlucoseLow = 3.9
    public var uncontrolledSystolic = 140, uncontrolledDiastolic = 90
    public var uncontrolledFastingGlucose = 7.0

    public init() {}

    /// The zone whose calendar days the rules count in: the UTC+8 of `SimpleDate.todayInChina`, which the
    /// due-visit SQL is told (visit_rules.time_zone) so that both sides agree on what day a service fell on.
    public static let timeZone = "Asia/Shanghai"

    /// Days between visits of a rule that asks for `perYear` of them.
    public static func interval(perYear: Int) -> Int { 365 / max(1, perYear) }

    public var chronicIntervalDays: Int { Self.interval(perYear: chronicFollowUpsPerYear) }
    public var homeVisitIntervalDays: Int { Self.interval(perYear: disabledElderlyHomeVisitsPerYear) }

    /// Urgent beats uncontrolled; every reason is named so the alert says what was alarming, in the words
    /// the team and the grid worker read it in (血压, 空腹血糖, 随机血糖).
    public func classify(_ v: Vitals) -> ReadingClass {
        var urgent: [String] = []
        var uncontrolled: [String] = []
        if let s = v.systolic, let d = v.diastolic {
            if s >= urgentSystolic || d >= urgentDiastolic {
                urgent.append("血压 \(s)/\(d) mmHg")
            } else if s >= uncontrolledSystolic || d >= uncontrolledDiastolic {
                uncontrolled.append("血压 \(s)/\(d) mmHg")
            }
        }
        for (name, glucose) in [("空腹血糖", v.glucoseFasting), ("随机血糖", v.glucoseRandom)] {
            guard let g = glucose else { continue }
            if g >= urgentGlucoseHigh || g <= urgentGlucoseLow {
                urgent.append("\(name) \(g) mmol/L")
            } else if name == "空腹血糖" && g >= uncontrolledFastingGlucose {
                uncontrolled.append("\(name) \(g) mmol/L")
            }
        }
        if !urgent.isEmpty { return .urgent(reasons: urgent + uncontrolled) }
        if !uncontrolled.isEmpty { return .uncontrolled(reasons: uncontrolled) }
        return .normal
    }
}

/// Which rule made a visit due: the names the due list shows.
public enum DueRule: String, Sendable, CaseIterable, Codable {
    case chronicFollowUp = "chronic_follow_up"
    case followUpAfterReading = "follow_up_after_reading"
    case followUpAfterDischarge = "follow_up_after_discharge"
    case annualCheck = "annual_check"
    case disabledElderlyHomeVisit = "disabled_elderly_home_visit"
    case welfareVisit = "welfare_visit"
}
