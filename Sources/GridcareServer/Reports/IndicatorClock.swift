import Foundation
import GridcareCore
import GridcareStore
import Logging
import ServiceLifecycle

/// Every `rules.indicators.refreshMinutes` the dashboard's named periods (year, quarter and month to
/// date, each with the same days before) are counted again for every district and kept in
/// indicator_rollup, so a manager's dashboard reads rows per micro-grid, not a district's records.
/// A dashboard older than twice the interval is counted live instead (IndicatorStore.report). Each
/// round also runs every district's 3-hour mobilisation check for the dashboard (MobilisationRollup).
struct IndicatorClock: Service {
    let db: Database
    let config: AppConfig
    let mobilisation: MobilisationRollup
    let logger: Logger

    func run() async throws {
        await ServiceClock.run("indicator clock", every: .seconds(60 * config.indicatorRefreshMinutes), logger: logger) { try await tick() }
    }

    func tick() async throws {
        let today = SimpleDate.todayInChina()
        let periods = ["year", "quarter", "month"].compactMap { ReportPeriod.named($0, today: today) }.flatMap { [$0, $0.previous] }
        let districts = try await IndicatorStore(db).districts(logger: logger)
        let rules = IndicatorRules(visits: config.visitRules)
        for district in districts {
            let started = ContinuousClock.now
            try await IndicatorStore(db).compactCensus(districtId: district, logger: logger)
            if try await IndicatorStore(db).refresh(districtId: district, periods: periods, rules: rules, today: today, logger: logger) {
                logger.info("indicator clock", metadata: ["district": "\(district)", "took": "\(ContinuousClock.now - started)"])
            }
            let checked = try await MobilisationStore(db).check(districtId: district, rule: config.mobilisationRules.rule(.notice), logger: logger)
            mobilisation.keep(district, checked)
        }
    }
}
