/// What a grid worker flags a resident for (特殊群体台账).
public enum FlagCategory: String, Sendable, CaseIterable, Codable {
    case disabledElderly = "disabled_elderly"
    case emptyNest = "empty_nest"
    case livingAlone = "living_alone"
    case extremelyPoor = "extremely_poor"
    case leftBehindChild = "left_behind_child"
    case disabled, hypertension
    case type2Diabetes = "type2_diabetes"
    case severeMentalIllness = "severe_mental_illness"
    case pregnant, other
}

/// 三色: how urgently a flagged resident needs attention.
public enum Tier: String, Sendable, CaseIterable, Codable {
    case red, yellow, green

    /// Most urgent first: red 0, yellow 1, green 2 (no tier sorts after them all).
    public var urgencyRank: Int {
        switch self {
        case .red: 0
        case .yellow: 1
        case .green: 2
        }
    }
}

/// 重点人群 / 次重点人群.
public enum Population: String, Sendable, CaseIterable, Codable {
    case key, secondary
}

/// The risk flag's state machine: raised by a grid worker, confirmed or dismissed by a doctor of the
/// resident's team, then closed. This type is its only owner.
public enum FlagStatus: String, StateMachine, Codable {
    case raised, confirmed, dismissed, closed

    public enum Action: String, Sendable, CaseIterable, Codable {
        case confirm, dismiss, close
    }

    public static let noun = "flag"

    public var moves: [(action: Action, to: FlagStatus)] {
        switch self {
        case .raised: [(.confirm, .confirmed), (.dismiss, .dismissed)]
        case .confirmed, .dismissed: [(.close, .closed)]
        case .closed: []
        }
    }

    public func hint(_ action: Action) -> String? {
        self == .raised && action == .close ? "a raised flag is confirmed or dismissed before it is closed" : nil
    }
}
