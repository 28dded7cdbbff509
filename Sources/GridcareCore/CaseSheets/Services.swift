/// How a service was given (the case sheet's service types).
public enum ServiceKind: String, Sendable, CaseIterable, Codable {
    case homeVisit = "home_visit"
    case round
    case clinicVisit = "clinic_visit"
    case phoneConsultation = "phone_consultation"
    case recordFiling = "record_filing"
    case referral

    /// Whether a service of this kind counts as a visit of `visit`: chronic follow-ups, annual checks and
    /// disabled-elderly home visits are face to face; a welfare visit may be a call.
    public func canSatisfy(_ visit: VisitKind) -> Bool {
        switch self {
        case .recordFiling, .referral: false
        case .phoneConsultation: visit == .welfareVisit
        case .homeVisit: true
        case .round, .clinicVisit: visit != .homeVisit
        }
    }
}

/// The visits the rules make due.
public enum VisitKind: String, Sendable, CaseIterable, Codable {
    case doctorFollowUp = "doctor_follow_up"
    case homeVisit = "home_visit"
    case welfareVisit = "welfare_visit"
    case annualCheck = "annual_check"

    /// Grid workers make welfare visits; the rest is the doctor team's.
    public var isClinical: Bool { self != .welfareVisit }
}
