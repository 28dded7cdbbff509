/// A claim on an offer of the medicine-box board: reserved by a worker, picked up from the box,
/// delivered (confirmed by the recipient's grid worker) or cancelled, which returns the amount. This type
/// is the machine's only owner; the expiry job only ever takes its reserved → cancelled step.
public enum ClaimStatus: String, Sendable, CaseIterable, Codable {
    case reserved
    case pickedUp = "picked_up"
    case delivered, cancelled

    public enum Action: String, Sendable, CaseIterable, Codable {
        case pickUp = "pick_up"
        case deliver, cancel
    }

    /// Reserved or picked up: it holds stock and counts against its claimer's cap.
    public var isOpen: Bool { self == .reserved || self == .pickedUp }

    public var allowedActions: [Action] {
        switch self {
        case .reserved: [.pickUp, .cancel]
        case .pickedUp: [.deliver, .cancel]
        case .delivered, .cancelled: []
        }
    }

    /// The state `action` leads to, or a refusal naming what may come next.
    public func after(_ action: Action) throws(FieldError) -> ClaimStatus {
        guard allowedActions.contains(action) else {
            let next = allowedActions.isEmpty ? "nothing (it is \(rawValue))" : allowedActions.map(\.rawValue).joined(separator: ", ")
            throw FieldError("action", "a \(rawValue) claim cannot \(action.rawValue); it can next: \(next)")
        }
        switch action {
        case .pickUp: return .pickedUp
        case .deliver: return .delivered
        case .cancel: return .cancelled
        }
    }
}
