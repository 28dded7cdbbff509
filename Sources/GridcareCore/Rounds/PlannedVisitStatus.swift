/// A planned visit's state machine: planned → done (a service on the case sheet) | missed (it returns to
/// the due list, since the due list is computed from services). This type is its only owner.
public enum PlannedVisitStatus: String, StateMachine, Codable {
    case planned, done, missed

    public enum Action: String, Sendable, CaseIterable, Codable {
        case done, missed
    }

    public static let noun = "planned visit"

    public var moves: [(action: Action, to: PlannedVisitStatus)] {
        self == .planned ? [(.done, .done), (.missed, .missed)] : []
    }
}
