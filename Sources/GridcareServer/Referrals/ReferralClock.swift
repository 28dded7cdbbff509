import Foundation
import GridcareCore
import GridcareStore
import Logging
import ServiceLifecycle

/// Every `rules.referrals.lateCheckMinutes` (default 5) tells the centre of each slip gone late: not
/// acknowledged by the hospital in its window, or not followed up after discharge by the plan's day.
/// Each slip and stage is told once (the notification's event key), so several copies may run it.
struct ReferralClock: Service {
    let reports: ReferralReports
    let interval: Duration
    let logger: Logger

    init(db: Database, config: AppConfig, logger: Logger) {
        reports = ReferralReports(db.scoped(.serviceJob, operation: "referral clock"), rules: config.referralRules)
        interval = .seconds(60 * max(1, config.referralLateCheckMinutes))
        self.logger = logger
    }

    func run() async throws {
        await ServiceClock.run("referral clock", every: interval, logger: logger) {
            let told = try await reports.notifyLate(logger: logger)
            if told > 0 { logger.info("late slips told to their centres", metadata: ["notifications": "\(told)"]) }
        }
    }
}
