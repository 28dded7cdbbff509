/// A planned visit's state machine: planned → done (a service on the case sheet) | missed (it returns to
/// the due list, since the due list is computed from services). This type is its only owner.
public enum PlannedVisitStatus: String, Sendable, CaseIterable, Codable {
    case planned, done, missed

    public enum Action: String, Sendable, CaseIterable, Codable {
        case done, missed
    }

    public func after(_ action: Action) throws(FieldError) -> PlannedVisitStatus {
        guard self == .planned else { throw FieldError("action", "the visit is already \(rawValue)") }
        return action == .done ? .done : .missed
    }
}
