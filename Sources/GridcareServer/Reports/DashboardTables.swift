import Foundation
import GridcareCore
import GridcareRouting
import GridcareStore

/// The dashboard's tables, one builder each: the one owner of their columns, wording and suppression.
struct DashboardTables {
    let tree: IndicatorTree
    let rules: IndicatorRules
    let data: IndicatorData

    /// A health rate of a group smaller than the rules show per area reads "too few".
    func health(_ r: Rate) -> ReportTable.Cell {
        r.whole > 0 && r.whole < rules.smallestShownGroup ? .tooFew : .rate(r.value)
    }

    /// The change of a rate in percentage points, current against previous.
    static func points(_ now: Rate, _ before: Rate) -> ReportTable.Cell {
        guard let a = now.value, let b = before.value else { return .text("—") }
        return .text(String(format: "%+.1f 个百分点", (a - b) * 100))
    }

    /// The indicators of the focus, this period against the last.
    func summary(_ now: IndicatorFigures, _ before: IndicatorFigures) -> ReportTable {
        let lines: [(String, (IndicatorFigures) -> Rate, Bool)] = [
            ("签约率", { $0.contractRate }, false),
            ("高血压患者健康管理率", { $0.hypertensionManagement }, true),
            ("高血压患者规范管理率", { $0.hypertensionStandard }, true),
            ("高血压患者血压控制率", { $0.hypertensionControl }, true),
            ("2型糖尿病患者健康管理率", { $0.diabetesManagement }, true),
            ("2型糖尿病患者规范管理率", { $0.diabetesStandard }, true),
            ("2型糖尿病患者血糖控制率", { $0.diabetesControl }, true),
            ("65岁及以上老年人年度体检率", { $0.elderlyChecks }, true),
            ("失能老人上门随访达标率", { $0.disabledElderlyVisits }, true),
        ]
        let rows = lines.map { (label, rate, isHealth) -> ReportTable.Row in
            let a = rate(now)
            let b = rate(before)
            let shown: (Rate) -> ReportTable.Cell = { isHealth ? health($0) : .rate($0.value) }
            let tooFew = shown(a) == .tooFew || shown(b) == .tooFew
            return .init(
                cells: [
                    .text(label), shown(a), shown(b), tooFew ? .text("—") : Self.points(a, b),
                    tooFew ? .tooFew : .count(a.part), tooFew ? .tooFew : .count(a.whole),
                ],
                link: nil
            )
        }
        return ReportTable(
            key: "summary",
            title: "主要指标",
            columns: ["指标", "本期", "上期", "变化", "分子（本期）", "分母（本期）"],
            rows: rows,
            note: "本期 \(now.period.from.iso) 至 \(now.period.to.iso)，上期 \(before.period.from.iso) 至 \(before.period.to.iso)。计算口径见 README。"
        )
    }

    /// Visits done against due, per rule, with last period's share.
    func visits(_ now: IndicatorFigures, _ before: IndicatorFigures) -> ReportTable {
        let b = Dictionary(before.visits(rules.visits).map { ($0.rule, $0) }, uniquingKeysWith: { a, _ in a })
        let rows = now.visits(rules.visits).map { v -> ReportTable.Row in
            .init(
                cells: [
                    .text(v.label), .count(v.population), .figure(v.expected), .count(v.done), .rate(v.share),
                    .rate(b[v.rule]?.share),
                ],
                link: nil
            )
        }
        return ReportTable(
            key: "visits",
            title: "随访完成情况（按规则）",
            columns: ["规则", "对象人数", "应随访（次）", "已随访（次）", "完成率", "上期完成率"],
            rows: rows + [
                .init(cells: [.text("当前逾期未随访（次）"), .count(now.counts.overdueNow), .text(""), .text(""), .text(""), .text("")], link: nil)
            ],
            note: "应随访 = 对象人数 × 本期天数 ÷ 规则间隔天数；读数或出院后复诊按本期到期的复诊单计。"
        )
    }

    static let areaColumns = [
        "名称", "户数", "居民", "签约率", "高血压患者", "高血压健康管理率", "高血压规范管理率", "血压控制率", "糖尿病患者", "糖尿病健康管理率",
        "糖尿病规范管理率", "血糖控制率",
        "65岁以上", "体检率", "失能老人", "上门随访达标率", "当前逾期",
    ]

    func line(_ name: String, _ n: IndicatorCounts, link: String?) -> ReportTable.Row {
        let f = IndicatorFigures(n, period: data.period)
        return .init(
            cells: [
                .text(name), .count(n.households), .count(n.residents), .rate(f.contractRate.value),
                .count(n.hypertension), health(f.hypertensionManagement), health(f.hypertensionStandard), health(f.hypertensionControl),
                .count(n.diabetes), health(f.diabetesManagement), health(f.diabetesStandard), health(f.diabetesControl),
                .count(n.aged65), health(f.elderlyChecks), .count(n.disabledElderly), health(f.disabledElderlyVisits), .count(n.overdueNow),
            ],
            link: link
        )
    }

    static let levelNames: [AreaLevel: String] = [.street: "街道", .community: "社区", .grid: "网格", .microGrid: "微网格"]

    /// The areas one level down, each a link to its own dashboard.
    func areas(under id: Int64) -> ReportTable {
        let children = tree.children(of: id).filter { $0.level != .dedicatedGrid }
        let level = children.first.map { Self.levelNames[$0.level] ?? "区域" } ?? "下级区域"
        return ReportTable(
            key: "areas",
            title: "各\(level)",
            columns: Self.areaColumns,
            rows: children.map { line($0.name, tree.counts(of: $0.id, in: data.current), link: "area=\($0.id)") },
            note: "少于5人的健康指标不单列（防止从一个小区域的数字认出个人）。"
        )
    }

    /// The teams serving the focus, each with the part of its catchment inside it.
    func teams(focus: Dashboard.Focus, anchor: Int64) -> ReportTable {
        let teams: [IndicatorTree.Team]
        var within: Int64?
        switch focus {
        case .area(let id):
            teams = tree.teams(within: id)
            within = id
        case .team(let id): teams = tree.teams.filter { $0.id == id }
        }
        return ReportTable(
            key: "teams",
            title: "家庭医生团队",
            columns: Self.areaColumns,
            rows: teams.map { line($0.name, tree.counts(of: $0, within: within, in: data.current), link: "team=\($0.id)") },
            note: "团队的数字只含其签约范围内、属于所选区域的微网格。"
        )
    }

    /// 1+1+N coverage of the focus's micro-grids.
    static func coverage(_ c: CoverageReport, inFocus: Set<Int64>, teams: [Int64]) -> ReportTable {
        let uncovered = c.uncovered.filter { inFocus.contains($0.microGridId) }
        let outOfSize = c.outOfSize.filter { inFocus.contains($0.microGridId) }
        let broken = c.brokenTeams.filter { teams.contains($0.teamId) }
        let total = inFocus.count
        let rows: [ReportTable.Row] = [
            .init(cells: [.text("微网格"), .count(total), .text("")], link: nil),
            .init(
                cells: [
                    .text("有团队覆盖的微网格"), .count(total - uncovered.count), .rate(total == 0 ? nil : Double(total - uncovered.count) / Double(total)),
                ],
                link: nil
            ),
            .init(
                cells: [.text("户数不在 30–100 的微网格"), .count(outOfSize.count), .text(outOfSize.prefix(10).map(\.name).joined(separator: "、"))],
                link: nil
            ),
            .init(cells: [.text("服务团队"), .count(teams.count), .text("")], link: nil),
            .init(
                cells: [
                    .text("1+1+N 不完整的团队"), .count(broken.count),
                    .text(broken.prefix(10).map { "\($0.name)（\($0.problems.joined(separator: "，"))）" }.joined(separator: "；")),
                ],
                link: nil
            ),
        ]
        return ReportTable(key: "coverage", title: "覆盖与 1+1+N", columns: ["项目", "数量", "比例或名单"], rows: rows, note: "名单最多列 10 个。")
    }

    static let stages: [(key: String, label: String)] = [
        ("acknowledge", "接收"), ("decide", "决定"), ("admit", "入院"), ("stay", "住院"), ("follow_up", "下转到随访"), ("close", "关闭"),
    ]

    /// The referral loop per health centre of the district, this period and last.
    static func referrals(_ now: ReferralReport, before: ReferralReport) -> ReportTable {
        let b = Dictionary(before.byCentre.map { ($0.facilityId, $0) }, uniquingKeysWith: { a, _ in a })
        let rows = now.byCentre.map { f -> ReportTable.Row in
            .init(
                cells: [
                    .text(f.facilityName), .count(f.sent), .count(f.declined), .count(f.dischargedDown), .count(f.closedLoops),
                    .rate(f.loopClosureRate), .rate(b[f.facilityId]?.loopClosureRate), .count(f.acknowledgedLate),
                ] + stages.map { f.medianHours[$0.key].map { .figure($0) } ?? .text("—") },
                link: nil
            )
        }
        return ReportTable(
            key: "referrals",
            title: "双向转诊闭环（按卫生服务中心）",
            columns: ["卫生服务中心", "转出", "被拒", "下转", "闭环", "闭环率", "上期闭环率", "超时接收"] + stages.map(\.label),
            rows: rows,
            note: "全区各中心；闭环率 = 下转后已随访并关闭的 ÷ 下转的；各阶段为中位小时数。"
        )
    }

    /// Medicine-board requests fulfilled within 24 hours, per community of the focus.
    static func board(_ now: [BoardCommunityFigures], before: [BoardCommunityFigures]) -> ReportTable {
        let b = Dictionary(before.map { ($0.communityId, $0) }, uniquingKeysWith: { a, _ in a })
        let rows = now.map { c -> ReportTable.Row in
            .init(
                cells: [
                    .text(c.communityName), .count(c.requests), .count(c.fulfilled), .count(c.fulfilledWithin24h), .rate(c.shareWithin24h),
                    .rate(b[c.communityId]?.shareWithin24h), .count(c.offers), .count(c.unitsDelivered),
                ],
                link: nil
            )
        }
        return ReportTable(
            key: "board",
            title: "共享药箱（按社区）",
            columns: ["社区", "求助", "已满足", "24小时内满足", "24小时满足率", "上期", "供给", "送达件数"],
            rows: rows,
            note: nil
        )
    }

    /// Micro-grids whose workers cannot reach every household within the limit (now, not per period).
    static func mobilisation(_ checked: (at: Date, results: [MicroGridMobilisation])?) -> ReportTable {
        guard let (at, results) = checked else {
            return ReportTable(
                key: "mobilisation",
                title: "3小时动员",
                columns: ["微网格", "所属网格", "户数", "网格员", "最少需要", "缺口"],
                rows: [],
                note: "系统繁忙，本次未计算动员检查，请稍后刷新。"
            )
        }
        let failing = results.filter { !$0.result.meets }
        let rows = failing.map { m -> ReportTable.Row in
            .init(
                cells: [
                    .text(m.name), .text(m.gridName), .count(m.result.households), .count(m.result.workers),
                    m.result.fewestWorkers == MobilisationResult.impossible ? .text("无法达到") : .count(m.result.fewestWorkers),
                    m.result.shortfall.map { .count($0) } ?? .text("—"),
                ],
                link: nil
            )
        }
        return ReportTable(
            key: "mobilisation",
            title: "3小时动员未达标的微网格",
            columns: ["微网格", "所属网格", "户数", "网格员", "最少需要", "缺口"],
            rows: rows,
            note: "检查了 \(results.count) 个微网格，\(failing.count) 个未达标（按 \(Views.time(at)) 检查时的力量，非按期统计）。"
        )
    }
}
