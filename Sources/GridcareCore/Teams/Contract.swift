/// Why a contract stopped before or at the end of its term.
public enum ContractEndReason: String, Sendable, CaseIterable, Codable {
    case renewed, switched, terminated, moved, deceased
}

/// A resident's contract (签约) with one care team.
public struct Contract: Sendable, Equatable {
    public var id: Int64
    public var districtId: Int64
    public var residentId: Int64
    public var teamId: Int64
    public var startsOn: SimpleDate
    public var termEndsOn: SimpleDate
    public var endedOn: SimpleDate?
    public var endReason: ContractEndReason?
    public var previousId: Int64?
    public var version: Int

    public init(
        id: Int64,
        districtId: Int64,
        residentId: Int64,
        teamId: Int64,
        startsOn: SimpleDate,
        termEndsOn: SimpleDate,
        endedOn: SimpleDate?,
        endReason: ContractEndReason?,
        previousId: Int64?,
        version: Int
    ) {
        self.id = id
        self.districtId = districtId
        self.residentId = residentId
        self.teamId = teamId
        self.startsOn = startsOn
        self.termEndsOn = termEndsOn
        self.endedOn = endedOn
        self.endReason = endReason
        self.previousId = previousId
        self.version = version
    }

    /// The day after the last covered day.
    public var endsOn: SimpleDate { endedOn ?? termEndsOn }

    public func isActive(on day: SimpleDate) -> Bool { startsOn <= day && day < endsOn }
}

/// Contract terms: at least a year; renewal continues the day the term ends; a switch ends the current
/// contract on the switch day and starts the new one the same day.
public enum ContractTerms {
    public static let minimumYears = 1

    /// The term end for a contract starting `start` that runs `years` years.
    public static func termEnd(start: SimpleDate, years: Int) throws(FieldError) -> SimpleDate {
        guard years >= minimumYears else { throw FieldError("years", "a contract runs at least \(minimumYears) year") }
        guard years <= 5 else { throw FieldError("years", "a contract runs at most 5 years") }
        return start.adding(years: years)
    }

    /// The start and term end of the renewal of `current`.
    public static func renewal(of current: Contract, years: Int) throws(FieldError) -> (SimpleDate, SimpleDate) {
        guard current.endedOn == nil else { throw FieldError("id", "an ended contract cannot be renewed") }
        let start = current.termEndsOn
        return (start, try termEnd(start: start, years: years))
    }

    /// Checks that `current` can be switched or ended on `day`.
    public static func checkEnd(of current: Contract, on day: SimpleDate) throws(FieldError) {
        guard current.endedOn == nil else { throw FieldError("id", "the contract has already ended") }
        guard day > current.startsOn, day <= current.termEndsOn else {
            throw FieldError("on", "must fall after \(current.startsOn) and no later than \(current.termEndsOn)")
        }
    }
}
