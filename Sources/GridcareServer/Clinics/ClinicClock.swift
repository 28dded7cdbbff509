import Foundation
import GridcareCore
import GridcareStore
import Logging
import ServiceLifecycle

/// The service's own `gridcare clinics generate`: every `rules.clinics.generateJobMinutes` it makes the
/// sessions of every clinic from today through `rules.clinics.generateWeeksAhead` weeks ahead, with the
/// holiday calendar as `rules.clinics.holidaysDirectory` holds it then (so a year's file added meanwhile
/// moves or cancels the sessions it falls on). The same store function as the CLI and the API; many
/// service copies may run it at once (ClinicStore.generate serializes per clinic and makes each session once).
struct ClinicClock: Service {
    /// Unscoped; the clock runs in `Scope.serviceJob` (every district), since row-level security shows an
    /// unscoped service login nothing.
    let db: Database
    let weeksAhead: Int
    let interval: Duration
    let holidaysDirectory: String
    let onHoliday: HolidayRule
    let logger: Logger

    init(db: Database, config: AppConfig, logger: Logger) {
        self.db = db.scoped(.serviceJob, operation: "clinic clock")
        weeksAhead = config.clinicWeeksAhead
        interval = .seconds(60 * max(1, config.clinicJobMinutes))
        holidaysDirectory = config.holidaysDirectory
        onHoliday = config.onHoliday
        self.logger = logger
    }

    func run() async throws {
        await ServiceClock.run("clinic clock", every: interval, logger: logger) { _ = try await tick() }
    }

    /// One round: today through the horizon, for every clinic valid in it.
    func tick(today: SimpleDate = SimpleDate.todayInChina()) async throws -> GenerationSummary {
        let calendar = try HolidayCalendar.load(directory: holidaysDirectory)
        let through = today.adding(days: weeksAhead * 7 - 1)
        let summary = try await ClinicStore(db).generate(from: today, through: through, calendar: calendar, onHoliday: onHoliday, logger: logger)
        if summary.created + summary.moved + summary.cancelled > 0 {
            logger.info(
                "clinic clock",
                metadata: [
                    "created": "\(summary.created)", "moved": "\(summary.moved)",
                    "cancelled": "\(summary.cancelled)", "through": "\(through)",
                ]
            )
        }
        if summary.uncoveredDays > 0 {
            logger.warning(
                "clinic clock: days past the last year the holiday calendar knows; add that year's file when it is announced",
                metadata: ["days": "\(summary.uncoveredDays)", "directory": "\(holidaysDirectory)"]
            )
        }
        return summary
    }
}
