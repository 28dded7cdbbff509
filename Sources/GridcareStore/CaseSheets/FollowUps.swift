import Foundation
import GridcareCore
import Logging
import PostgresNIO

/// The one place a doctor's follow-up is counted: it answers every open follow-up of the resident (a
/// reading's or a discharge's), and a referral slip waiting for that follow-up moves on. The case sheet,
/// a completed clinic visit and the slip's own follow-up action all come here.
enum FollowUps {
    /// Marks the resident's open follow-ups done by `service`; returns the referral slips it moved on.
    @discardableResult
    static func satisfy(residentId: Int64, service: Int64, db: Database, on conn: PostgresConnection, logger: Logger) async throws -> [Int64] {
        let referrals = try await conn.rows(
            """
            WITH done AS (
                UPDATE follow_up SET done_by_service = \(service) WHERE resident_id = \(residentId) AND done_by_service IS NULL
                RETURNING referral_id)
            SELECT referral_id FROM done WHERE referral_id IS NOT NULL
            """,
            as: Int64.self,
            logger: logger
        )
        for id in referrals {
            try await ReferralStore(db).followedUp(id, service: service, on: conn, logger: logger)
        }
        return referrals
    }
}
