/// An alert's state machine: opened by an alarming reading, acknowledged (someone is on it), closed
/// (the family was reached, the resident seen). This type is its only owner.
public enum AlertStatus: String, Sendable, CaseIterable, Codable {
    case open, acknowledged, closed

    public enum Action: String, Sendable, CaseIterable, Codable {
        case acknowledge, close
    }

    public func after(_ action: Action) throws(FieldError) -> AlertStatus {
        switch (self, action) {
        case (.open, .acknowledge): return .acknowledged
        case (.open, .close), (.acknowledged, .close): return .closed
        case (.acknowledged, .acknowledge): throw FieldError("action", "the alert is already acknowledged")
        case (.closed, _): throw FieldError("action", "the alert is closed")
        }
    }
}
