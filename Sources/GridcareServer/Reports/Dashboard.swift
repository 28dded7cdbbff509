import Foundation
import GridcareCore
import GridcareRouting
import GridcareStore
import Logging

/// A district manager's dashboard of one area or team for one period, against the period before: the
/// indicator tables the page shows, the CSV and Excel downloads hold and the API returns. Aggregates
/// only, read by the stores that own each figure; no resident's record reaches it.
struct Dashboard: Sendable {
    typealias Focus = IndicatorTree.Focus

    var focus: Focus
    var title: String
    var path: [IndicatorTree.Node]
    var period: ReportPeriod
    var current: IndicatorFigures
    var previous: IndicatorFigures
    var tables: [ReportTable]
    /// The counts it was built from, per micro-grid, with the tree: for the charts.
    var data: IndicatorData
    var rules: IndicatorRules

    /// Reads and assembles the dashboard; an area or team outside the caller's district answers like a
    /// missing one. The 3-hour mobilisation check is heavy work: when no place is free, its table says so.
    static func read(
        _ db: Database,
        districtId: Int64,
        focus: Focus,
        period: ReportPeriod,
        config: AppConfig,
        heavyWork: Admission,
        liveCounts: Admission?,
        mobilisation: MobilisationRollup,
        logger: Logger
    ) async throws -> Dashboard {
        // Reports read on the replica when there is a usable one (their audit rows go to the primary).
        let db = db.reporting()
        let rules = IndicatorRules(visits: config.visitRules)
        let start = period.from.startInChina
        let end = period.to.adding(days: 1).startInChina
        let before = period.previous
        // The other reports, independent reads over the caller's own district, run at once, each on its
        // own connection, beside the indicator counts, so PostgreSQL can use both cores; when the focus
        // turns out not to be in sight they are cancelled unread.
        async let coverageRead = CoverageStore(db).report(districtId: districtId, rules: config.coverage, logger: logger)
        async let referralsRead = ReferralReports(db, rules: config.referralRules)
            .report(districtId: districtId, from: start, to: end, logger: logger)
        async let referralsBeforeRead = ReferralReports(db, rules: config.referralRules)
            .report(districtId: districtId, from: before.from.startInChina, to: start, logger: logger)
        async let boardRead = BoardReports(db).report(districtId: districtId, from: start, to: end, logger: logger)
        async let boardBeforeRead = BoardReports(db).report(
            districtId: districtId,
            from: before.from.startInChina,
            to: start,
            logger: logger
        )
        // The mobilisation check as the clock last ran it, else checked now as heavy work and kept.
        let maxAge = Duration.seconds(120 * max(config.indicatorRefreshMinutes, 1))
        async let mobilisationRead: (at: Date, results: [MicroGridMobilisation])? = {
            if let kept = mobilisation.fresh(districtId, maxAge: maxAge) { return kept }
            let checked = try await heavyWork.run {
                try await MobilisationStore(db).check(districtId: districtId, rule: config.mobilisationRules.rule(.notice), logger: logger)
            }
            guard let checked else { return nil }
            mobilisation.keep(districtId, checked)
            return (Date(), checked)
        }()
        // The clock's rollup is read while it is at most two rounds old; any other period is counted now,
        // in a place for live counts, or refused at once (429) when none is free.
        let data: IndicatorData
        do {
            data = try await IndicatorStore(db).report(
                districtId: districtId,
                focus: focus,
                period: period,
                rules: rules,
                today: SimpleDate.todayInChina(),
                maxAge: maxAge,
                liveCountTimeout: .seconds(config.indicatorLiveCountSeconds),
                places: liveCounts,
                logger: logger
            )
        } catch let refused as LiveCountRefused {
            // Only a count given places is refused; the CLI's (no places) never is.
            throw liveCounts?.refusal ?? refused
        }
        let tree = data.tree
        guard let grids = tree.microGrids(in: focus) else {
            if case .team = focus { throw StoreError.notFound("care team") } else { throw StoreError.notFound("area") }
        }
        let title: String
        let path: [IndicatorTree.Node]
        let anchor: Int64
        switch focus {
        case .area(let id):
            title = tree.nodes[id]?.name ?? ""
            path = tree.path(to: id)
            anchor = id
        case .team(let id):
            title = tree.teams.first { $0.id == id }?.name ?? ""
            path = tree.path(to: districtId)
            anchor = districtId
        }
        let inFocus = Set(grids)
        func sum(_ byGrid: [Int64: IndicatorCounts]) -> IndicatorCounts { IndicatorCounts.sum(grids.compactMap { byGrid[$0] }) }
        let current = IndicatorFigures(sum(data.current), period: period)
        let previous = IndicatorFigures(sum(data.previous), period: period.previous)

        let coverage = try await coverageRead
        let referrals = try await referralsRead
        let referralsBefore = try await referralsBeforeRead
        let board = try await boardRead
        let boardBefore = try await boardBeforeRead
        let checked = try await mobilisationRead

        // Communities the focus touches, for the board's figures (kept per community).
        let communities = Set(grids.compactMap { g in tree.path(to: g).first(where: { $0.level == .community })?.id })
        let tables = DashboardTables(tree: tree, rules: rules, data: data)
        var all: [ReportTable] = [
            tables.summary(current, previous),
            tables.visits(current, previous),
        ]
        if case .area(let id) = focus, let node = tree.nodes[id], node.level != .microGrid {
            all.append(tables.areas(under: id))
        }
        all.append(tables.teams(focus: focus, anchor: anchor))
        all.append(
            DashboardTables.coverage(
                coverage,
                inFocus: inFocus,
                teams: tree.teams.filter { t in t.microGrids.contains(where: inFocus.contains) }.map(\.id)
            )
        )
        all.append(DashboardTables.referrals(referrals, before: referralsBefore))
        all.append(
            DashboardTables.board(
                board.communities.filter { communities.contains($0.communityId) },
                before: boardBefore.communities.filter { communities.contains($0.communityId) }
            )
        )
        all.append(
            DashboardTables.mobilisation(checked.map { ($0.at, $0.results.filter { inFocus.contains($0.microGridId) }) })
        )
        return Dashboard(
            focus: focus,
            title: title,
            path: path,
            period: period,
            current: current,
            previous: previous,
            tables: all,
            data: data,
            rules: rules
        )
    }
}

extension Dashboard {
    /// A period a manager asked for, checked: in order, at most two years, within this century (the
    /// records cannot be older, and the 65-year age line must stay a date).
    static func period(from: SimpleDate, to: SimpleDate) throws -> ReportPeriod {
        guard let p = ReportPeriod(from: from, to: to) else { throw FieldError("to", "不能早于开始日期（must not be before from）") }
        guard p.days <= 731 else { throw FieldError("to", "统计期最长两年（a period is at most two years）") }
        guard from.year >= 2000, to.year <= 2100 else { throw FieldError("from", "应在 2000–2100 年之间（must lie within 2000–2100）") }
        // The year, quarter or month to date, however it was asked for, is that named period: compared
        // with the same days before, and read from the clock's rollup.
        let today = SimpleDate.todayInChina()
        return ["year", "quarter", "month"].lazy.compactMap { ReportPeriod.named($0, today: today) }
            .first { $0.from == from && $0.to == to } ?? p
    }

    /// The rates a chart can compare, by the key in its address.
    static let chartRates: [(key: String, label: String, rate: @Sendable (IndicatorFigures) -> Rate, health: Bool)] = [
        ("contract", "签约率", { $0.contractRate }, false),
        ("htn-standard", "高血压规范管理率", { $0.hypertensionStandard }, true),
        ("htn-control", "血压控制率", { $0.hypertensionControl }, true),
        ("dm-standard", "糖尿病规范管理率", { $0.diabetesStandard }, true),
        ("dm-control", "血糖控制率", { $0.diabetesControl }, true),
        ("checks", "65岁以上体检率", { $0.elderlyChecks }, true),
    ]

    /// One rate for each area one level down (or each team, for a micro-grid or a team), now and before;
    /// a health rate of too few people is left out like in the tables.
    func bars(_ key: String) -> (label: String, bars: [BarChart.Bar]) {
        let chosen = Self.chartRates.first { $0.key == key } ?? Self.chartRates[0]
        let tree = data.tree
        func value(_ n: IndicatorCounts, _ p: ReportPeriod) -> Double? {
            let r = chosen.rate(IndicatorFigures(n, period: p))
            if chosen.health && r.whole > 0 && r.whole < rules.smallestShownGroup { return nil }
            return r.value
        }
        var groups: [(String, IndicatorCounts, IndicatorCounts)] = []
        if case .area(let id) = focus, tree.nodes[id]?.level != .microGrid {
            groups = tree.children(of: id).filter { $0.level != .dedicatedGrid }.map {
                ($0.name, tree.counts(of: $0.id, in: data.current), tree.counts(of: $0.id, in: data.previous))
            }
        } else {
            let within: Int64? = if case .area(let id) = focus { id } else { nil }
            let teams = within.map { tree.teams(within: $0) } ?? tree.teams.filter { if case .team(let id) = focus { $0.id == id } else { false } }
            groups = teams.map {
                ($0.name, tree.counts(of: $0, within: within, in: data.current), tree.counts(of: $0, within: within, in: data.previous))
            }
        }
        return (
            chosen.label,
            groups.map { BarChart.Bar(label: $0.0, now: value($0.1, period), before: value($0.2, period.previous)) }
        )
    }
}

/// The dashboard's tables as text, for the CLI (`gridcare report indicators`): the same builder as the
/// page and the API, so the three never disagree.
public enum IndicatorTables {
    /// One table: its key, title, columns and rows as shown.
    public struct Table: Sendable {
        public var key: String, title: String, columns: [String], rows: [[String]], note: String?
    }

    public static func read(
        _ db: Database,
        config: AppConfig,
        districtId: Int64,
        areaId: Int64?,
        teamId: Int64?,
        from: SimpleDate,
        to: SimpleDate,
        logger: Logger
    ) async throws -> [Table] {
        let focus: Dashboard.Focus = teamId.map { .team($0) } ?? .area(areaId ?? districtId)
        let period = try Dashboard.period(from: from, to: to)
        let d = try await Dashboard.read(
            db,
            districtId: districtId,
            focus: focus,
            period: period,
            config: config,
            heavyWork: Admission(limit: config.maxConcurrentHeavyWork, retryAfterSeconds: config.heavyWorkRetryAfterSeconds),
            liveCounts: nil,
            mobilisation: MobilisationRollup(),
            logger: logger
        )
        return d.tables.map { Table(key: $0.key, title: $0.title, columns: $0.columns, rows: $0.rows.map { $0.cells.map(\.shown) }, note: $0.note) }
    }
}
