/// A booking's state machine: booked → checked in → completed | no-show, or cancelled before the
/// visit. This type is its only owner.
public enum BookingStatus: String, StateMachine, Codable {
    case booked
    case checkedIn = "checked_in"
    case completed
    case noShow = "no_show"
    case cancelled

    public enum Action: String, Sendable, CaseIterable, Codable {
        case checkIn = "check_in", complete, noShow = "no_show", cancel
    }

    public static let noun = "booking"

    public var moves: [(action: Action, to: BookingStatus)] {
        switch self {
        case .booked: [(.checkIn, .checkedIn), (.noShow, .noShow), (.cancel, .cancelled)]
        case .checkedIn: [(.complete, .completed), (.cancel, .cancelled)]
        case .completed, .noShow, .cancelled: []
        }
    }

    public func hint(_ action: Action) -> String? {
        self == .booked && action == .complete ? "check the resident in before completing the visit" : nil
    }

    /// Whether the booking still holds its place in the slot.
    public var holdsPlace: Bool { self == .booked || self == .checkedIn || self == .completed }
}
