/// A claim on an offer of the medicine-box board: reserved by a worker, picked up from the box,
/// delivered (confirmed by the recipient's grid worker) or cancelled, which returns the amount. This type
/// is the machine's only owner; the expiry job only ever takes its reserved → cancelled step.
public enum ClaimStatus: String, StateMachine, Codable {
    case reserved
    case pickedUp = "picked_up"
    case delivered, cancelled

    public enum Action: String, Sendable, CaseIterable, Codable {
        case pickUp = "pick_up"
        case deliver, cancel
    }

    /// Reserved or picked up: it holds stock and counts against its claimer's cap.
    public var isOpen: Bool { self == .reserved || self == .pickedUp }

    public static let noun = "claim"

    public var moves: [(action: Action, to: ClaimStatus)] {
        switch self {
        case .reserved: [(.pickUp, .pickedUp), (.cancel, .cancelled)]
        case .pickedUp: [(.deliver, .delivered), (.cancel, .cancelled)]
        case .delivered, .cancelled: []
        }
    }
}
