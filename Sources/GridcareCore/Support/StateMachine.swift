/// A record's state machine: its states, its actions and the table of allowed moves. Each machine is one
/// enum conforming to this; `after(_:)` and `allowedActions` come from the table, so the store asks the
/// machine for the next state and the API tells the client what may come next.
public protocol StateMachine: RawRepresentable, CaseIterable, Hashable, Sendable where RawValue == String {
    associatedtype Action: RawRepresentable, CaseIterable, Hashable, Sendable where Action.RawValue == String
    /// What the record is called in a refusal ("slip", "booking").
    static var noun: String { get }
    /// The moves from this state, in the order a record usually takes them.
    var moves: [(action: Action, to: Self)] { get }
    /// A refusal's explanation where the allowed actions alone do not say enough (default none).
    func hint(_ action: Action) -> String?
}

extension StateMachine {
    public func hint(_ action: Action) -> String? { nil }

    /// The actions that may follow this state.
    public var allowedActions: [Action] { moves.map(\.action) }

    /// The state `action` leads to, or a refusal naming what may come next.
    public func after(_ action: Action) throws(TransitionError) -> Self {
        guard let next = moves.first(where: { $0.action == action })?.to else {
            throw TransitionError(
                noun: Self.noun,
                from: rawValue,
                action: action.rawValue,
                allowed: allowedActions.map(\.rawValue),
                hint: hint(action)
            )
        }
        return next
    }
}

/// An action the record's state does not allow. Every machine refuses with this one error, answered
/// 409 with the allowed next actions (GridcareServer's Problem mapping is its one translation).
public struct TransitionError: Error, Sendable, Equatable, CustomStringConvertible {
    public var noun: String
    public var from: String
    public var action: String
    public var allowed: [String]
    public var hint: String?

    public init(noun: String, from: String, action: String, allowed: [String], hint: String? = nil) {
        self.noun = noun
        self.from = from
        self.action = action
        self.allowed = allowed
        self.hint = hint
    }

    public var description: String {
        let next = allowed.isEmpty ? "nothing (the \(noun) is \(from))" : allowed.joined(separator: ", ")
        return (hint.map { $0 + "; " } ?? "") + "a \(from) \(noun) cannot \(action); it can next: \(next)"
    }
}
