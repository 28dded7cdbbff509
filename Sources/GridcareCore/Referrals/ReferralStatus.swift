/// Who moves a slip: the resident's doctor team or the designated hospital it is addressed to.
public enum ReferralParty: String, Sendable, Codable {
    case team, hospital
}

/// The referral slip's state machine (names after FHIR Task / IHE 360X). This type is its only owner:
/// the store asks it for the next state, the API for the allowed actions, the reports for what is open.
public enum ReferralStatus: String, Sendable, CaseIterable, Codable {
    case draft, sent, received, accepted, declined, admitted
    case dischargedDown = "discharged_down"
    case followUpDone = "follow_up_done"
    case closed, cancelled

    public enum Action: String, Sendable, CaseIterable, Codable {
        case send, receive, accept, decline, admit, discharge
        case followUp = "follow_up"
        case close, cancel

        /// The hospital receives, accepts, declines, admits and discharges; the team does the rest.
        public var party: ReferralParty {
            switch self {
            case .receive, .accept, .decline, .admit, .discharge: .hospital
            case .send, .followUp, .close, .cancel: .team
            }
        }
    }

    /// Every legal move; `cancel` is added from every open state.
    static let moves: [ReferralStatus: [(Action, ReferralStatus)]] = [
        .draft: [(.send, .sent)],
        .sent: [(.receive, .received)],
        .received: [(.accept, .accepted), (.decline, .declined)],
        .accepted: [(.admit, .admitted)],
        .declined: [(.close, .closed)],
        .admitted: [(.discharge, .dischargedDown)],
        .dischargedDown: [(.followUp, .followUpDone)],
        .followUpDone: [(.close, .closed)],
    ]

    /// Not yet closed or cancelled: still somebody's work.
    public var isOpen: Bool { self != .closed && self != .cancelled }

    /// The actions that may follow this state, in the order a slip usually takes them.
    public var allowedActions: [Action] {
        (Self.moves[self] ?? []).map(\.0) + (isOpen ? [.cancel] : [])
    }

    /// The state `action` leads to, or a refusal that names what may come next.
    public func after(_ action: Action) throws(ReferralTransitionError) -> ReferralStatus {
        if action == .cancel, isOpen { return .cancelled }
        guard let next = Self.moves[self]?.first(where: { $0.0 == action })?.1 else {
            throw ReferralTransitionError(from: self, action: action, allowed: allowedActions)
        }
        return next
    }
}

/// An action the slip's state does not allow (answered 409 with the allowed next actions).
public struct ReferralTransitionError: Error, Sendable, Equatable, CustomStringConvertible {
    public var from: ReferralStatus
    public var action: ReferralStatus.Action
    public var allowed: [ReferralStatus.Action]

    public init(from: ReferralStatus, action: ReferralStatus.Action, allowed: [ReferralStatus.Action]) {
        self.from = from; self.action = action; self.allowed = allowed
    }

    public var description: String {
        let next = allowed.isEmpty ? "nothing (the slip is \(from.rawValue))" : allowed.map(\.rawValue).joined(separator: ", ")
        return "a \(from.rawValue) slip cannot \(action.rawValue); it can next: \(next)"
    }
}
