/// A booking's state machine: booked → checked in → completed | no-show, or cancelled before the
/// visit. This type is its only owner.
public enum BookingStatus: String, Sendable, CaseIterable, Codable {
    case booked
    case checkedIn = "checked_in"
    case completed
    case noShow = "no_show"
    case cancelled

    public enum Action: String, Sendable, CaseIterable, Codable {
        case checkIn = "check_in", complete, noShow = "no_show", cancel
    }

    public func after(_ action: Action) throws(FieldError) -> BookingStatus {
        switch (self, action) {
        case (.booked, .checkIn): return .checkedIn
        case (.booked, .noShow): return .noShow
        case (.booked, .cancel), (.checkedIn, .cancel): return .cancelled
        case (.checkedIn, .complete): return .completed
        case (.booked, .complete): throw FieldError("action", "check the resident in before completing the visit")
        default: throw FieldError("action", "a \(rawValue) booking cannot be \(action.rawValue)")
        }
    }

    /// Whether the booking still holds its place in the slot.
    public var holdsPlace: Bool { self == .booked || self == .checkedIn || self == .completed }
}
