import Foundation

/// How urgent an up-referral is; the green channel is the fast lane for the urgent (绿色通道).
public enum ReferralUrgency: String, Sendable, CaseIterable, Codable {
    case routine, urgent
    case greenChannel = "green_channel"
}

/// The timeliness figures of the referral loop (`rules.referrals.*`; defaults from PRODUCT.md, with
/// `urgent` chosen between the two the product names). This type is their one owner.
public struct ReferralRules: Sendable, Equatable {
    /// How long the hospital has to acknowledge (receive) a sent slip, by urgency.
    public var acknowledgeWithinHours: [ReferralUrgency: Int] = [.greenChannel: 2, .urgent: 8, .routine: 24]
    /// How many days after discharge the team's follow-up is due at the latest.
    public var followUpWithinDays = 14

    public init() {}

    public func acknowledgeWithin(_ urgency: ReferralUrgency) -> Duration {
        .seconds(3600 * (acknowledgeWithinHours[urgency] ?? 24))
    }

    /// The acknowledgement deadline of a slip sent at `sentAt`.
    public func acknowledgeBy(sentAt: Date, urgency: ReferralUrgency) -> Date {
        sentAt.addingTimeInterval(TimeInterval(acknowledgeWithin(urgency).components.seconds))
    }

    /// The follow-up date of a discharge on `day`: the plan's date when it gives one within the window,
    /// otherwise the end of the window. A plan date before the discharge or past the window is refused.
    public func followUpBy(dischargedOn day: SimpleDate, planned: SimpleDate?) throws(FieldError) -> SimpleDate {
        let latest = day.adding(days: followUpWithinDays)
        guard let planned else { return latest }
        guard planned >= day, planned <= latest else {
            throw FieldError("plan.followUpBy", "must be between the discharge day \(day.iso) and \(latest.iso) (\(followUpWithinDays) days)")
        }
        return planned
    }
}

extension ReferralRules {
    /// The slip's human-readable number: unique per centre and year, in the order slips were written
    /// (C12-2026-000123: centre 12's 123rd slip of 2026).
    public static func number(centre: Int64, year: Int, sequence: Int) -> String {
        let digits = String(sequence)
        return "C\(centre)-\(year)-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }
}
