import Foundation
import GridcareCore
import GridcareStore
import GridcareTestSupport
import Testing

@testable import GridcareServer

/// The dashboard's 3-hour mobilisation table: the indicator clock checks every district each round and
/// the dashboard shows that check while it is fresh, checking anew (and keeping it) once it is not.
@Suite struct MobilisationRollupTests {
    @Test func theDashboardShowsTheClocksCheckWhileFreshAndChecksAnewAfter() async throws {
        try await withTestDatabase { db, _ in
            let f = try await Fixture.make(db)
            let config = testConfig()
            let rule = config.mobilisationRules.rule(.notice)
            let rollup = MobilisationRollup()
            try await IndicatorClock(db: db, config: config, mobilisation: rollup, logger: quiet).tick()
            let kept = try #require(rollup.fresh(f.districtId, maxAge: .seconds(600)))
            #expect(kept.results == (try await MobilisationStore(db).check(districtId: f.districtId, rule: rule, logger: quiet)))
            #expect(!kept.results.isEmpty)

            // A household moves in after the clock ran: the check now differs from the kept one.
            _ = try await HouseholdStore(db).create(
                .init(microGridId: f.microGridIds[0], externalRef: "H-new", address: "新村1号", latitude: 30.662, longitude: 104.062),
                logger: quiet
            )
            let now = try await MobilisationStore(db).check(districtId: f.districtId, rule: rule, logger: quiet)
            #expect(now != kept.results)
            func dashboard() async throws -> ReportTable {
                let d = try await Dashboard.read(
                    db,
                    districtId: f.districtId,
                    focus: .area(f.districtId),
                    period: ReportPeriod.named("year", today: SimpleDate.todayInChina())!,
                    config: config,
                    heavyWork: Admission(limit: 1, retryAfterSeconds: 1),
                    liveCounts: Admission(limit: 1, retryAfterSeconds: 1),
                    mobilisation: rollup,
                    logger: quiet
                )
                return try #require(d.tables.first { $0.key == "mobilisation" })
            }
            // Fresh: the dashboard shows the clock's check, and says when it ran.
            let shown = try await dashboard()
            #expect(shown.note?.contains("检查了 \(kept.results.count) 个微网格") == true)
            #expect(shown.note?.contains(Views.time(kept.at)) == true)
            #expect(rollup.fresh(f.districtId, maxAge: .seconds(600))?.results == kept.results)
            // Older than two clock rounds: checked anew, kept for the next dashboard.
            rollup.keep(f.districtId, kept.results, at: Date().addingTimeInterval(-3 * 3600))
            _ = try await dashboard()
            #expect(rollup.fresh(f.districtId, maxAge: .seconds(600))?.results == now)
        }
    }
}
