/// One set of vitals taken together, in the units the case sheet uses.
public struct Vitals: Sendable, Equatable {
    public var systolic: Int?  // mmHg
    public var diastolic: Int?  // mmHg
    public var glucoseFasting: Double?  // mmol/L
    public var glucoseRandom: Double?  // mmol/L
    public var heartRate: Int?  // beats/min
    public var temperature: Double?  // °C
    public var spo2: Int?  // %
    public var weight: Double?  // kg

    public init(
        systolic: Int? = nil,
        diastolic: Int? = nil,
        glucoseFasting: Double? = nil,
        glucoseRandom: Double? = nil,
        heartRate: Int? = nil,
        temperature: Double? = nil,
        spo2: Int? = nil,
        weight: Double? = nil
    ) {
        self.systolic = systolic
        self.diastolic = diastolic
        self.glucoseFasting = glucoseFasting
        self.glucoseRandom = glucoseRandom
        self.heartRate = heartRate
        self.temperature = temperature
        self.spo2 = spo2
        self.weight = weight
    }

    /// Values a living person can show; outside them a reading is a typing error (the same bounds are
    /// CHECK constraints in 0005_care.sql).
    public static let plausible: [String: ClosedRange<Double>] = [
        "systolic": 50...300, "diastolic": 20...200, "glucoseFasting": 0.5...60, "glucoseRandom": 0.5...60,
        "heartRate": 20...250, "temperature": 30...44, "spo2": 50...100, "weight": 0.5...350,
    ]

    var fields: [(String, Double?)] {
        [
            ("systolic", systolic.map(Double.init)), ("diastolic", diastolic.map(Double.init)), ("glucoseFasting", glucoseFasting),
            ("glucoseRandom", glucoseRandom), ("heartRate", heartRate.map(Double.init)), ("temperature", temperature),
            ("spo2", spo2.map(Double.init)), ("weight", weight),
        ]
    }

    /// Every implausible field, named.
    public func validate() throws(ValidationFailure) {
        var c = FieldChecker()
        for (name, value) in fields {
            guard let value else { continue }
            let range = Self.plausible[name]!
            c.require(
                value.isFinite && range.contains(value),
                name,
                "must be between \(Self.format(range.lowerBound)) and \(Self.format(range.upperBound))"
            )
        }
        c.require(
            (systolic == nil) == (diastolic == nil),
            systolic == nil ? "systolic" : "diastolic",
            "blood pressure needs both systolic and diastolic"
        )
        if let s = systolic, let d = diastolic { c.require(s > d, "diastolic", "must be below systolic") }
        c.require(fields.contains { $0.1 != nil }, "body", "give at least one measurement")
        try c.finish()
    }

    static func format(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(v) }
}

/// What a reading means for the resident, by the thresholds in VisitRules.
public enum ReadingClass: Sendable, Equatable {
    case normal
    /// Out of control: follow up within the rule's days.
    case uncontrolled(reasons: [String])
    /// Alarming: alert the team and the micro-grid worker, suggest a green-channel referral, follow up.
    case urgent(reasons: [String])
}
