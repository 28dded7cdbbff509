/// A reporting period: whole days in China, `from` and `to` both included, and the period it is
/// compared with.
public struct ReportPeriod: Sendable, Equatable {
    public var from: SimpleDate
    public var to: SimpleDate
    var previousFrom: SimpleDate, previousTo: SimpleDate

    /// Any span of days, compared with the span of equal length that ends the day before it starts.
    public init?(from: SimpleDate, to: SimpleDate) {
        guard from <= to else { return nil }
        self.from = from
        self.to = to
        let days = to.dayNumber - from.dayNumber + 1
        previousFrom = from.adding(days: -days)
        previousTo = from.adding(days: -1)
    }

    init(from: SimpleDate, to: SimpleDate, previousFrom: SimpleDate, previousTo: SimpleDate) {
        self.from = from
        self.to = to
        self.previousFrom = previousFrom
        self.previousTo = previousTo
    }

    public var days: Int { to.dayNumber - from.dayNumber + 1 }

    /// The period compared with (its own comparison is the span of equal length before it).
    public var previous: ReportPeriod { ReportPeriod(from: previousFrom, to: previousTo)! }

    /// The year, quarter or month to date, as managers pick them, compared with the same days of the
    /// year, quarter or month before (1 January–4 December against 1 January–4 December last year).
    public static func named(_ name: String, today: SimpleDate) -> ReportPeriod? {
        func on(_ y: Int, _ m: Int, _ d: Int) -> SimpleDate {
            let (yy, mm) = m < 1 ? (y - 1, m + 12) : (y, m)
            return SimpleDate(year: yy, month: mm, day: min(d, SimpleDate.daysIn(month: mm, year: yy)))!
        }
        let (y, m, d) = (today.year, today.month, today.day)
        switch name {
        case "year":
            return ReportPeriod(from: on(y, 1, 1), to: today, previousFrom: on(y - 1, 1, 1), previousTo: on(y - 1, m, d))
        case "quarter":
            let first = (m - 1) / 3 * 3 + 1
            let start = on(y, first, 1)
            let before = on(y, first - 3, 1)
            let offset = today.dayNumber - start.dayNumber
            let end = SimpleDate(dayNumber: min(before.dayNumber + offset, start.dayNumber - 1))
            return ReportPeriod(from: start, to: today, previousFrom: before, previousTo: end)
        case "month":
            return ReportPeriod(from: on(y, m, 1), to: today, previousFrom: on(y, m - 1, 1), previousTo: on(y, m - 1, d))
        default:
            return nil
        }
    }
}

/// What the indicators count for one micro-grid over a period. Counts add up, so a grid's, a
/// community's or a team's figures are the sum of their micro-grids'; every rate is worked out from the
/// sums (never averaged), in `IndicatorFigures`.
public struct IndicatorCounts: Sendable, Equatable {
    public var households = 0, residents = 0, contracted = 0
    /// Residents aged 65 or more on the period's last day, and those of them with an annual check in it.
    public var aged65 = 0, checked65 = 0
    /// Registered hypertension patients; managed = at least one doctor follow-up in the period;
    /// standard = as many as the rules ask for the period's length; controlled = managed, and the last
    /// blood pressure in the period under the target.
    public var hypertension = 0, hypertensionManaged = 0, hypertensionStandard = 0, hypertensionControlled = 0
    /// The same for type-2 diabetes, with the last fasting glucose of the period.
    public var diabetes = 0, diabetesManaged = 0, diabetesStandard = 0, diabetesControlled = 0
    /// Residents with a confirmed 失能老人 flag, and those of them visited at home as often as the rules ask.
    public var disabledElderly = 0, disabledElderlyVisited = 0
    /// Residents under a chronic follow-up rule, and the follow-ups, checks, home and welfare visits done.
    public var chronic = 0, followUpsDone = 0, checksDone = 0, homeVisitsDone = 0, welfareVisitsDone = 0
    /// Residents with a confirmed flag, by their most urgent tier.
    public var flaggedRed = 0, flaggedYellow = 0, flaggedGreen = 0
    /// Follow-ups a reading or a discharge asked for by a day in the period, and those done.
    public var followUpsAsked = 0, followUpsAnswered = 0
    /// Visits due before today that are not done, whatever their rule (the due table, now).
    public var overdueNow = 0

    public init() {}

    static let fields: [any WritableKeyPath<IndicatorCounts, Int> & Sendable] = [
        \.households, \.residents, \.contracted, \.aged65, \.checked65, \.hypertension, \.hypertensionManaged,
        \.hypertensionStandard, \.hypertensionControlled, \.diabetes, \.diabetesManaged, \.diabetesStandard,
        \.diabetesControlled, \.disabledElderly, \.disabledElderlyVisited, \.chronic, \.followUpsDone, \.checksDone,
        \.homeVisitsDone, \.welfareVisitsDone, \.flaggedRed, \.flaggedYellow, \.flaggedGreen, \.followUpsAsked,
        \.followUpsAnswered, \.overdueNow,
    ]

    /// The counts in `fields`' order: how the rollup table stores them.
    public var values: [Int] { Self.fields.map { self[keyPath: $0] } }

    /// Counts from `values` (a missing trailing field reads 0, so a rollup written before a field was
    /// added still reads).
    public init(values: [Int]) {
        for (i, f) in Self.fields.enumerated() where i < values.count { self[keyPath: f] = values[i] }
    }

    public static func + (a: IndicatorCounts, b: IndicatorCounts) -> IndicatorCounts {
        var s = a
        for f in fields { s[keyPath: f] += b[keyPath: f] }
        return s
    }

    public static func sum<S: Sequence>(_ all: S) -> IndicatorCounts where S.Element == IndicatorCounts {
        all.reduce(IndicatorCounts(), +)
    }
}

/// The targets and minimums the indicators judge by: the visit rules' figures, and the 基本公共卫生服务
/// control targets (blood pressure under 140/90 mmHg, under 150/90 from 65; fasting glucose under 7.0).
public struct IndicatorRules: Sendable, Equatable {
    public var visits: VisitRules
    public var controlledSystolic = 140, controlledSystolicFrom65 = 150, controlledDiastolic = 90
    public var controlledFastingGlucose = 7.0
    /// A health indicator of fewer people than this is not shown per area: one or two people's control
    /// status would otherwise be readable from a grid's line.
    public var smallestShownGroup = 5

    public init(visits: VisitRules) { self.visits = visits }

    /// How many of a rule's visits a person needs in a period of `days` to count as managed to the
    /// standard: the year's number scaled to the period, at least one.
    public func required(perYear: Int, days: Int) -> Int {
        max(1, Int((Double(perYear) * Double(days) / 365).rounded()))
    }

    /// Visits one person is due in `days` under a rule that asks for one every `interval` days.
    public static func expected(days: Int, interval: Int) -> Double { Double(days) / Double(max(1, interval)) }
}

/// A rate of some people among others, and whether it is too small a group to show.
public struct Rate: Sendable, Equatable {
    public var part: Int, whole: Int

    public init(_ part: Int, of whole: Int) {
        self.part = part
        self.whole = whole
    }

    public var value: Double? { whole == 0 ? nil : Double(part) / Double(whole) }
}

/// One line of visits done against what a rule made due in the period.
public struct RuleVisits: Sendable, Equatable {
    public var rule: String, label: String
    public var population: Int, expected: Double, done: Int
    public var share: Double? { expected <= 0 ? nil : Double(done) / expected }
}

/// The figures of one area (or team) for one period, worked out from its counts.
public struct IndicatorFigures: Sendable, Equatable {
    public var counts: IndicatorCounts
    public var period: ReportPeriod

    public init(_ counts: IndicatorCounts, period: ReportPeriod) {
        self.counts = counts
        self.period = period
    }

    public var contractRate: Rate { Rate(counts.contracted, of: counts.residents) }
    public var hypertensionManagement: Rate { Rate(counts.hypertensionManaged, of: counts.hypertension) }
    public var hypertensionStandard: Rate { Rate(counts.hypertensionStandard, of: counts.hypertensionManaged) }
    public var hypertensionControl: Rate { Rate(counts.hypertensionControlled, of: counts.hypertensionManaged) }
    public var diabetesManagement: Rate { Rate(counts.diabetesManaged, of: counts.diabetes) }
    public var diabetesStandard: Rate { Rate(counts.diabetesStandard, of: counts.diabetesManaged) }
    public var diabetesControl: Rate { Rate(counts.diabetesControlled, of: counts.diabetesManaged) }
    public var elderlyChecks: Rate { Rate(counts.checked65, of: counts.aged65) }
    public var disabledElderlyVisits: Rate { Rate(counts.disabledElderlyVisited, of: counts.disabledElderly) }

    /// Visits done against due, per rule: a rule's population times the visits it asks of one person in
    /// a period this long (follow-ups asked by a reading or a discharge are counted one by one).
    public func visits(_ rules: VisitRules) -> [RuleVisits] {
        let d = period.days
        let welfare =
            Double(counts.flaggedRed) * IndicatorRules.expected(days: d, interval: rules.welfareDays[.red] ?? 7)
            + Double(counts.flaggedYellow) * IndicatorRules.expected(days: d, interval: rules.welfareDays[.yellow] ?? 14)
            + Double(counts.flaggedGreen) * IndicatorRules.expected(days: d, interval: rules.welfareDays[.green] ?? 30)
        return [
            RuleVisits(
                rule: "chronic_follow_up",
                label: "慢病随访",
                population: counts.chronic,
                expected: Double(counts.chronic) * IndicatorRules.expected(days: d, interval: rules.chronicIntervalDays),
                done: counts.followUpsDone
            ),
            RuleVisits(
                rule: "annual_check",
                label: "65岁以上年度体检",
                population: counts.aged65,
                expected: Double(counts.aged65) * IndicatorRules.expected(days: d, interval: rules.annualCheckIntervalDays),
                done: counts.checksDone
            ),
            RuleVisits(
                rule: "disabled_elderly_home_visit",
                label: "失能老人上门随访",
                population: counts.disabledElderly,
                expected: Double(counts.disabledElderly) * IndicatorRules.expected(days: d, interval: rules.homeVisitIntervalDays),
                done: counts.homeVisitsDone
            ),
            RuleVisits(
                rule: "welfare_visit",
                label: "网格员走访",
                population: counts.flaggedRed + counts.flaggedYellow + counts.flaggedGreen,
                expected: welfare,
                done: counts.welfareVisitsDone
            ),
            RuleVisits(
                rule: "follow_up",
                label: "读数或出院后复诊",
                population: counts.followUpsAsked,
                expected: Double(counts.followUpsAsked),
                done: counts.followUpsAnswered
            ),
        ]
    }
}
