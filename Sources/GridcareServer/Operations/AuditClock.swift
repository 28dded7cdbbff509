import Foundation
import GridcareStore
import Logging
import ServiceLifecycle

/// Every `audit.jobMinutes` (default 60) keeps the audit trail's months made `audit.monthsAhead` ahead
/// and archives the months past `audit.retentionMonths` (at least 6) into `audit.archiveDirectory`
/// before they are dropped. Several copies may run it: the database serialises the partition changes
/// and each month's export is one copy's.
struct AuditClock: Service {
    let archive: AuditArchive
    let settings: AuditSettings
    let logger: Logger

    init(db: Database, settings: AuditSettings, logger: Logger) {
        archive = AuditArchive(db)
        self.settings = settings
        self.logger = logger
    }

    func run() async throws {
        await ServiceClock.run("audit clock", every: .seconds(60 * max(1, settings.jobMinutes)), logger: logger) {
            let made = try await archive.prepare(monthsAhead: settings.monthsAhead, logger: logger)
            if !made.isEmpty { logger.info("audit months made", metadata: ["partitions": "\(made.joined(separator: ", "))"]) }
            let archived = try await archive.archive(keepMonths: settings.retentionMonths, directory: settings.archiveDirectory, logger: logger)
            for month in archived {
                logger.notice("audit month archived and dropped", metadata: ["partition": "\(month.partition)", "file": "\(month.file)"])
            }
        }
    }
}

/// `audit.*`: how the trail's months are kept.
public struct AuditSettings: Sendable {
    /// `audit.jobMinutes`: how often the clock runs (0: never; `gridcare audit archive` does it by hand).
    public var jobMinutes: Int
    /// `audit.monthsAhead`: months made ahead of time (default 3).
    public var monthsAhead: Int
    /// `audit.retentionMonths`: whole months kept before the current one (default and least 6, 等保 2.0).
    public var retentionMonths: Int
    /// `audit.archiveDirectory`: where a month's CSV goes before it is dropped (default .gridcare/audit-archive).
    public var archiveDirectory: String
}
