/// A clinic session's status as stored: scheduled (open for booking), held, cancelled (a holiday with no
/// working day left in its week, or by hand) or moved (to another day of its week).
public enum SessionStatus: String, Sendable, CaseIterable, Codable {
    case scheduled, held, cancelled, moved

    /// Only a scheduled session takes bookings.
    public var takesBookings: Bool { self == .scheduled }
}
