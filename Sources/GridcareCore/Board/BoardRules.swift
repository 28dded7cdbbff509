import Foundation

/// What a neighbour can put in the shared medicine box.
public enum BoardCategory: String, Sendable, CaseIterable, Codable {
    case otcMedicine = "otc_medicine"
    case prescriptionMedicine = "prescription_medicine"
    case testKit = "test_kit"
    case protectiveSupply = "protective_supply"
    case device

    /// Prescription medicine is matched only when a doctor approved both the offer and the request.
    public var needsDoctor: Bool { self == .prescriptionMedicine }
}

public enum BoardUrgency: String, Sendable, CaseIterable, Codable {
    case routine, urgent
}

/// How near an offer's box is to the resident who asked: matching lists nearer ones first.
public enum Proximity: String, Sendable, CaseIterable, Codable, Comparable {
    case sameMicroGrid = "same_micro_grid"
    case sameGrid = "same_grid"
    case sameCommunity = "same_community"
    case district

    var rank: Int { Self.allCases.firstIndex(of: self)! }
    public static func < (a: Proximity, b: Proximity) -> Bool { a.rank < b.rank }
}

/// The board's figures (`rules.board.*`); this type is their one owner.
public struct BoardRules: Sendable, Equatable {
    /// A reservation not picked up within this many hours returns its amount.
    public var holdHours = 12
    /// Open (reserved or picked-up) claims one worker may hold at once.
    public var maxOpenClaimsPerWorker = 5
    /// Offers expiring within this many days are marked on the board.
    public var expiringWithinDays = 30
    /// How often the service runs the expiry job.
    public var expiryJobMinutes = 5

    public init() {}

    public func holdUntil(reservedAt: Date) -> Date { reservedAt.addingTimeInterval(TimeInterval(holdHours * 3600)) }

    /// Whether an offer expiring on `expiresOn` is marked as expiring soon on `today`.
    public func expiresSoon(_ expiresOn: SimpleDate, today: SimpleDate) -> Bool {
        expiresOn >= today && expiresOn <= today.adding(days: expiringWithinDays)
    }
}
