/// An alert's state machine: opened by an alarming reading, acknowledged (someone is on it), closed
/// (the family was reached, the resident seen). This type is its only owner.
public enum AlertStatus: String, StateMachine, Codable {
    case open, acknowledged, closed

    public enum Action: String, Sendable, CaseIterable, Codable {
        case acknowledge, close
    }

    public static let noun = "alert"

    public var moves: [(action: Action, to: AlertStatus)] {
        switch self {
        case .open: [(.acknowledge, .acknowledged), (.close, .closed)]
        case .acknowledged: [(.close, .closed)]
        case .closed: []
        }
    }
}
