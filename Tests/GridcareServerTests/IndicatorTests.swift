import Foundation
import GridcareAPI
import GridcareCore
import GridcareServer
import GridcareStore
import GridcareTestSupport
import PostgresNIO
import Testing

/// The district dashboard's indicators on a hand-built district whose answer is worked out here, from
/// the records, the way a public-health officer would count them on paper.
@Suite struct IndicatorTests {
    /// Seven residents in two micro-grids; the period is 2026-01-01 to 2026-06-30 (181 days, so "to the
    /// standard" means round(4 × 181 / 365) = 2 follow-ups), compared with 2025-07-04 to 2025-12-31.
    @Test func theIndicatorsOfAHandBuiltDistrictAreTheOnesWorkedOutByHand() async throws {
        try await withScopedAPI { client, f, users, db in
            let mg1Household = try await HouseholdStore(db).create(
                .init(microGridId: f.microGridIds[1], externalRef: "H9", address: "人民路9号", latitude: 30.661, longitude: 104.061),
                logger: quiet
            )
            func resident(_ n: Int, _ born: Int, _ conditions: [Condition], household: Int64? = nil) async throws -> Int64 {
                try await ResidentStore(db).create(
                    Fixture.residentDraft(
                        household: household ?? f.householdIds[0],
                        n: 900 + n,
                        name: "居民\(n)",
                        born: SimpleDate(year: born, month: 6, day: 1)!,
                        conditions: conditions
                    ),
                    logger: quiet
                ).id
            }
            let a = try await resident(1, 1950, [.hypertension])  // 76: controlled below 150/90
            let b = try await resident(2, 1980, [.hypertension])
            let c = try await resident(3, 1970, [.hypertension, .type2Diabetes])
            let d = try await resident(4, 1955, [.type2Diabetes])
            let e = try await resident(5, 1940, [])
            let fr = try await resident(6, 1990, [.hypertension], household: mg1Household.id)
            let g = try await resident(7, 1991, [.hypertension], household: mg1Household.id)

            // Times are China's (UTC+8): F's follow-up at 23:30 on 30 June is inside, G's at 00:10 on 1 July is not.
            func service(_ r: Int64, _ visit: String, _ at: String) async throws {
                try await db.query(
                    """
                    INSERT INTO service_entry (district_id, resident_id, micro_grid_id, kind, visit, performed_by, performed_at)
                    SELECT district_id, id, micro_grid_id, 'clinic_visit', \(visit)::visit_kind, \(users.ids[.admin]!), \(at)::timestamptz
                    FROM resident WHERE id = \(r)
                    """,
                    logger: quiet
                )
            }
            func reading(_ r: Int64, _ at: String, bp: (Int, Int)? = nil, glucose: Double? = nil) async throws {
                try await db.query(
                    """
                    INSERT INTO vital_reading (district_id, resident_id, micro_grid_id, measured_at, measured_by, systolic, diastolic, glucose_fasting)
                    SELECT district_id, id, micro_grid_id, \(at)::timestamptz, \(users.ids[.admin]!), \(bp?.0), \(bp?.1), \(glucose)::numeric
                    FROM resident WHERE id = \(r)
                    """,
                    logger: quiet
                )
            }
            func contract(_ r: Int64, _ starts: String, _ ends: String) async throws {
                try await db.query(
                    """
                    INSERT INTO contract (district_id, resident_id, micro_grid_id, team_id, starts_on, term_ends_on)
                    SELECT district_id, id, micro_grid_id, \(f.teamId), \(starts)::date, \(ends)::date FROM resident WHERE id = \(r)
                    """,
                    logger: quiet
                )
            }
            try await service(a, "doctor_follow_up", "2026-02-01 09:00+08")
            try await service(a, "doctor_follow_up", "2026-05-01 09:00+08")
            try await reading(a, "2026-05-01 09:00+08", bp: (145, 85))
            try await service(b, "doctor_follow_up", "2026-03-01 09:00+08")
            try await reading(b, "2026-01-10 09:00+08", bp: (120, 80))
            try await reading(b, "2026-03-01 09:00+08", bp: (138, 92))
            try await service(c, "doctor_follow_up", "2025-12-20 09:00+08")
            try await service(c, "doctor_follow_up", "2026-01-15 09:00+08")
            try await service(c, "doctor_follow_up", "2026-04-15 09:00+08")
            try await reading(c, "2026-01-15 09:00+08", bp: (150, 95), glucose: 8.0)
            try await reading(c, "2026-04-15 09:00+08", bp: (135, 85), glucose: 6.8)
            try await service(d, "doctor_follow_up", "2025-11-01 09:00+08")
            try await service(d, "annual_check", "2026-03-03 09:00+08")
            try await service(e, "annual_check", "2025-12-30 09:00+08")
            try await service(fr, "doctor_follow_up", "2026-06-30 23:30+08")
            try await reading(fr, "2026-06-30 23:30+08", bp: (150, 95))
            try await service(g, "doctor_follow_up", "2026-07-01 00:10+08")
            for r in [a, c, d] { try await contract(r, "2025-06-01", "2027-06-01") }
            try await contract(e, "2025-01-01", "2026-01-01")
            func flag(_ r: Int64, _ category: String, _ tier: String, decided: String?) async throws {
                try await db.query(
                    """
                    INSERT INTO risk_flag (district_id, resident_id, micro_grid_id, category, tier, population, status, raised_by, raised_at,
                                           decided_by, decided_at)
                    SELECT district_id, id, micro_grid_id, \(category)::flag_category, \(tier)::flag_tier, 'key',
                           CASE WHEN \(decided)::timestamptz IS NULL THEN 'raised' ELSE 'confirmed' END::flag_status, \(users.ids[.admin]!),
                           '2025-12-01 09:00+08', CASE WHEN \(decided)::timestamptz IS NULL THEN NULL ELSE \(users.ids[.admin]!) END, \(decided)::timestamptz
                    FROM resident WHERE id = \(r)
                    """,
                    logger: quiet
                )
            }
            // D is a confirmed disabled elder (red) visited at home twice and once for welfare; F is confirmed
            // living alone (green); B's flag was only raised and E's confirmed after the period: neither counts.
            try await flag(d, "disabled_elderly", "red", decided: "2026-01-05 09:00+08")
            try await service(d, "home_visit", "2026-02-10 09:00+08")
            try await service(d, "home_visit", "2026-05-10 09:00+08")
            try await service(d, "welfare_visit", "2026-03-10 09:00+08")
            try await flag(fr, "living_alone", "green", decided: "2026-03-01 09:00+08")
            try await service(fr, "welfare_visit", "2026-04-01 09:00+08")
            try await flag(b, "empty_nest", "yellow", decided: nil)
            try await flag(e, "disabled_elderly", "yellow", decided: "2026-07-02 09:00+08")

            let period = ReportPeriod(from: SimpleDate(year: 2026, month: 1, day: 1)!, to: SimpleDate(year: 2026, month: 6, day: 30)!)!
            #expect(
                period.previous == ReportPeriod(from: SimpleDate(year: 2025, month: 7, day: 4)!, to: SimpleDate(year: 2025, month: 12, day: 31)!)!
            )
            let rules = IndicatorRules(visits: VisitRules())
            let data = try await IndicatorStore(db).report(
                districtId: f.districtId,
                period: period,
                rules: rules,
                today: SimpleDate(year: 2026, month: 7, day: 1)!,
                logger: quiet
            )
            let now = IndicatorFigures(data.tree.counts(of: f.districtId, in: data.current), period: period)
            let before = IndicatorFigures(data.tree.counts(of: f.districtId, in: data.previous), period: period.previous)
            let n = now.counts
            #expect((n.residents, n.contracted, n.aged65, n.checked65) == (7, 3, 3, 1))
            #expect((n.hypertension, n.hypertensionManaged, n.hypertensionStandard, n.hypertensionControlled) == (5, 4, 2, 2))
            #expect((n.diabetes, n.diabetesManaged, n.diabetesStandard, n.diabetesControlled) == (2, 1, 1, 1))
            #expect((n.chronic, n.followUpsDone, n.checksDone) == (6, 6, 1))
            #expect(now.hypertensionManagement.value == 0.8 && now.hypertensionControl.value == 0.5)
            #expect((n.disabledElderly, n.disabledElderlyVisited, n.homeVisitsDone, n.welfareVisitsDone) == (1, 1, 2, 2))
            #expect((n.flaggedRed, n.flaggedYellow, n.flaggedGreen) == (1, 0, 1))
            // Last period: E's contract was still running on 31 December; C and D were followed up once each.
            let p = before.counts
            #expect((p.contracted, p.checked65, p.hypertensionManaged, p.hypertensionStandard, p.diabetesManaged) == (4, 1, 1, 0, 2))
            #expect((p.disabledElderly, p.homeVisitsDone, p.welfareVisitsDone, p.flaggedRed + p.flaggedYellow + p.flaggedGreen) == (0, 0, 0, 0))
            // Per micro-grid: the first holds A–E, the second F and G.
            let first = data.current[f.microGridIds[0]]!
            let second = data.current[f.microGridIds[1]]!
            #expect((first.residents, first.hypertensionManaged, second.residents, second.hypertensionManaged) == (5, 3, 2, 1))
            #expect(first.households == 2 && second.households == 1)
            // Counted live for a focus, only its micro-grids are counted, and each as the district's count has it.
            let narrowed = try await IndicatorStore(db).report(
                districtId: f.districtId,
                focus: .area(f.microGridIds[0]),
                period: period,
                rules: rules,
                today: SimpleDate(year: 2026, month: 7, day: 1)!,
                logger: quiet
            )
            #expect(Array(narrowed.current.keys) == [f.microGridIds[0]] && Array(narrowed.previous.keys) == [f.microGridIds[0]])
            #expect(narrowed.current[f.microGridIds[0]] == first && narrowed.previous[f.microGridIds[0]] == data.previous[f.microGridIds[0]])
            let ofTeam = try await IndicatorStore(db).report(
                districtId: f.districtId,
                focus: .team(f.teamId),
                period: period,
                rules: rules,
                today: SimpleDate(year: 2026, month: 7, day: 1)!,
                logger: quiet
            )
            let catchment = Set(try #require(ofTeam.tree.teams.first { $0.id == f.teamId }).microGrids)
            #expect(catchment.contains(f.microGridIds[0]) && Set(ofTeam.current.keys) == catchment)
            #expect(ofTeam.current == data.current.filter { catchment.contains($0.key) })
            #expect(ofTeam.previous == data.previous.filter { catchment.contains($0.key) })
            let visits = Dictionary(uniqueKeysWithValues: now.visits(rules.visits).map { ($0.rule, $0) })
            #expect(abs((visits["chronic_follow_up"]?.expected ?? 0) - 6.0 * 181 / 91) < 1e-9)

            // The API's tables, as the manager reads them: the district's rates, a group under five "too few".
            let (status, report) = try await client.call(
                .get,
                "/v1/reports/indicators?from=2026-01-01&to=2026-06-30",
                token: users[.districtManager],
                as: Components.Schemas.IndicatorReport.self
            )
            #expect(status == .ok)
            #expect((report.from, report.previousFrom, report.previousTo) == ("2026-01-01", "2025-07-04", "2025-12-31"))
            let summary = try #require(report.tables.first { $0.key == "summary" })
            func line(_ label: String) -> [String]? { summary.rows.first { $0.cells.first == label }?.cells }
            #expect(line("签约率") == ["签约率", "42.9%", "57.1%", "-14.3 个百分点", "3", "7"])
            // The five patients were there last period too; one of them was followed up.
            #expect(line("高血压患者健康管理率") == ["高血压患者健康管理率", "80.0%", "20.0%", "+60.0 个百分点", "4", "5"])
            #expect(line("高血压患者血压控制率")?[1] == "少于5人")  // of four managed
            #expect(line("2型糖尿病患者健康管理率")?[1] == "少于5人")
            let areas = try #require(report.tables.first { $0.key == "areas" })
            #expect(areas.rows.map { $0.cells[0] } == ["石桥街道"])
            #expect(areas.rows[0].values[2] == 7)

            // The first micro-grid's dashboard holds only its own five people; a team's, its catchment's seven.
            let (_, grid) = try await client.call(
                .get,
                "/v1/reports/indicators?from=2026-01-01&to=2026-06-30&areaId=\(f.microGridIds[0])",
                token: users[.districtManager],
                as: Components.Schemas.IndicatorReport.self
            )
            #expect(grid.tables.first { $0.key == "summary" }?.rows.first?.cells.suffix(2) == ["3", "5"])
            let (_, team) = try await client.call(
                .get,
                "/v1/reports/indicators?from=2026-01-01&to=2026-06-30&teamId=\(f.teamId)",
                token: users[.districtManager],
                as: Components.Schemas.IndicatorReport.self
            )
            #expect(team.tables.first { $0.key == "summary" }?.rows.first?.cells.suffix(2) == ["3", "7"])

            // Bad input is named; a grid worker, a doctor and a hospital clerk may not read the district's figures.
            let (backwards, problem, _) = try await client.call(
                .get,
                "/v1/reports/indicators?from=2026-06-30&to=2026-01-01",
                token: users[.districtManager]
            )
            #expect(backwards == .unprocessableContent && problem["field"] as? String == "to")
            #expect(try await client.call(.get, "/v1/reports/indicators?areaId=999999", token: users[.districtManager]).0 == .notFound)
            // Another district's area or team is the missing one's answer word for word; no sign-in, none.
            let other = try await Fixture.make(db, name: "另一区")
            for (foreign, missing) in [
                ("areaId=\(other.districtId)", "areaId=999999"), ("areaId=\(other.microGridIds[0])", "areaId=999998"),
                ("teamId=\(other.teamId)", "teamId=999999"),
            ] {
                let (status, problem, _) = try await client.call(.get, "/v1/reports/indicators?\(foreign)", token: users[.districtManager])
                let (missingStatus, missingProblem, _) = try await client.call(
                    .get,
                    "/v1/reports/indicators?\(missing)",
                    token: users[.districtManager]
                )
                #expect(status == .notFound && missingStatus == .notFound, "\(foreign)")
                #expect(problem["detail"] as? String == missingProblem["detail"] as? String, "\(foreign)")
            }
            #expect(try await client.call(.get, "/v1/reports/indicators", token: nil).0 == .unauthorized)
            for role in [Role.gridWorker, .centreStaff, .hospitalStaff] {
                #expect(try await client.call(.get, "/v1/reports/indicators", token: users[role]).0 == .forbidden)
            }
        }
    }

    /// The clock's rollup holds what counting the records gives, is what a named period reads while it
    /// is fresh, and is replaced by the next round.
    @Test func theRollupIsTheRecordsCountedAndTheDashboardReadsItWhileFresh() async throws {
        try await withScopedAPI { _, f, users, db in
            let today = SimpleDate.todayInChina()
            let r = try await ResidentStore(db).create(
                Fixture.residentDraft(household: f.householdIds[0], n: 950, conditions: [.hypertension]),
                logger: quiet
            )
            func followUp() async throws {
                try await db.query(
                    """
                    INSERT INTO service_entry (district_id, resident_id, micro_grid_id, kind, visit, performed_by, performed_at)
                    SELECT district_id, id, micro_grid_id, 'clinic_visit', 'doctor_follow_up', \(users.ids[.admin]!), \(today.startInChina)
                    FROM resident WHERE id = \(r.id)
                    """,
                    logger: quiet
                )
            }
            try await followUp()
            let rules = IndicatorRules(visits: VisitRules())
            let year = ReportPeriod.named("year", today: today)!
            let store = IndicatorStore(db)
            #expect(try await store.refresh(districtId: f.districtId, periods: [year, year.previous], rules: rules, today: today, logger: quiet))
            func read(maxAge: Duration) async throws -> IndicatorCounts {
                let data = try await store.report(districtId: f.districtId, period: year, rules: rules, today: today, maxAge: maxAge, logger: quiet)
                return data.tree.counts(of: f.districtId, in: data.current)
            }
            let live = try await read(maxAge: .zero)
            #expect(try await read(maxAge: .seconds(3600)) == live)
            #expect(live.hypertensionManaged == 1 && live.followUpsDone == 1)
            // A follow-up recorded since: counted live at once, in the rollup at the next round.
            try await followUp()
            #expect(try await read(maxAge: .zero).followUpsDone == 2)
            #expect(try await read(maxAge: .seconds(3600)).followUpsDone == 1)
            #expect(try await store.refresh(districtId: f.districtId, periods: [year], rules: rules, today: today, logger: quiet))
            let fresh = try await read(maxAge: .seconds(3600))
            #expect(fresh == (try await read(maxAge: .zero)))
            let rows = try await db.first(
                "SELECT count(*)::int FROM indicator_rollup WHERE district_id = \(f.districtId) AND period_from = \(year.from.iso)::date",
                as: Int.self,
                logger: quiet
            )
            #expect(rows == f.microGridIds.count)
        }
    }

    /// Named periods compare with the same days a year, quarter or month earlier.
    @Test func aNamedPeriodIsComparedWithTheSameDaysBefore() {
        let today = SimpleDate(year: 2026, month: 5, day: 31)!
        let year = ReportPeriod.named("year", today: today)!
        #expect((year.from.iso, year.previous.from.iso, year.previous.to.iso) == ("2026-01-01", "2025-01-01", "2025-05-31"))
        let quarter = ReportPeriod.named("quarter", today: today)!
        #expect((quarter.from.iso, quarter.previous.from.iso, quarter.previous.to.iso) == ("2026-04-01", "2026-01-01", "2026-03-02"))
        let month = ReportPeriod.named("month", today: today)!
        #expect((month.from.iso, month.previous.from.iso, month.previous.to.iso) == ("2026-05-01", "2026-04-01", "2026-04-30"))
        #expect(ReportPeriod.named("week", today: today) == nil)
    }
}
