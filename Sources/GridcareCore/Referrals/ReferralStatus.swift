/// Who moves a slip: the resident's doctor team or the designated hospital it is addressed to.
public enum ReferralParty: String, Sendable, Codable {
    case team, hospital
}

/// The referral slip's state machine (names after FHIR Task / IHE 360X). This type is its only owner:
/// the store asks it for the next state, the API for the allowed actions, the reports for what is open.
public enum ReferralStatus: String, StateMachine, Codable {
    public static let noun = "slip"

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
    static let table: [ReferralStatus: [(Action, ReferralStatus)]] = [
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

    /// The table's moves, and `cancel` from every open state.
    public var moves: [(action: Action, to: ReferralStatus)] {
        (Self.table[self] ?? []).map { (action: $0.0, to: $0.1) } + (isOpen ? [(action: .cancel, to: .cancelled)] : [])
    }
}
