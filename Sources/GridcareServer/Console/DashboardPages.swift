import Foundation
import GridcareCore
import GridcareStore
import Hummingbird

/// 辖区指标 for district managers: the dashboard of the district, a street, community, grid, micro-grid
/// or team for a chosen period against the one before, its charts, and every table as CSV and Excel.
extension Console {
    func registerDashboardPages(on router: Router<GridcareRequestContext>) {
        router.get("/app/district", use: page("indicatorReport") { r in try await dashboardPage(r) })
        router.get("/app/district/export", use: page("indicatorReport") { r in try await dashboardExport(r) })
    }

    /// What the address asks for: the focus (area or team, the caller's district by default) and the period.
    func dashboardQuery(_ r: ConsoleRequest) throws -> (district: Int64, focus: Dashboard.Focus, period: ReportPeriod, name: String) {
        guard let district = r.caller.scope.districtId ?? r.query["district"].flatMap(Int64.init) else {
            throw FieldError("district", "请选择辖区")
        }
        let focus: Dashboard.Focus =
            if let t = r.query["team"].flatMap(Int64.init) { .team(t) } else { .area(r.query["area"].flatMap(Int64.init) ?? district) }
        let today = SimpleDate.todayInChina()
        let name = r.query["period"] ?? "year"
        let period: ReportPeriod
        if name == "custom" {
            guard let from = r.query["from"].flatMap(SimpleDate.init(iso:)) else { throw FieldError("from", "日期格式应为 YYYY-MM-DD") }
            guard let to = r.query["to"].flatMap(SimpleDate.init(iso:)) else { throw FieldError("to", "日期格式应为 YYYY-MM-DD") }
            period = try Dashboard.period(from: from, to: to)
        } else {
            guard let p = ReportPeriod.named(name, today: today) else { throw FieldError("period", "请选择统计期") }
            period = p
        }
        return (district, focus, period, name)
    }

    /// The dashboard the address asks for, read.
    func dashboard(
        _ r: ConsoleRequest
    ) async throws
        -> ((district: Int64, focus: Dashboard.Focus, period: ReportPeriod, name: String), Dashboard)
    {
        let q = try dashboardQuery(r)
        let d = try await Dashboard.read(
            r.db,
            districtId: q.district,
            focus: q.focus,
            period: q.period,
            config: config,
            heavyWork: heavyWork,
            liveCounts: liveCounts,
            mobilisation: mobilisation,
            logger: r.logger
        )
        return (q, d)
    }

    func dashboardPage(_ r: ConsoleRequest) async throws -> Response {
        let (q, d): ((district: Int64, focus: Dashboard.Focus, period: ReportPeriod, name: String), Dashboard)
        do {
            (q, d) = try await dashboard(r)
        } catch let busy as Problem where busy.status == 429 {
            // Only a period counted from the records waits for a place; the rolled-up ones open at once.
            return refusal(r.caller, status: .tooManyRequests, "系统繁忙：正在计算的自定义时段已达上限，请稍后重试。本年、本季度、本月的指标可直接查看。")
        }
        // Every link keeps the period; an area's or team's link replaces the focus.
        var keep = "period=\(q.name)"
        if q.name == "custom" { keep += "&from=\(q.period.from.iso)&to=\(q.period.to.iso)" }
        let focusQuery: String =
            switch q.focus {
            case .area(let id): "area=\(id)"
            case .team(let id): "team=\(id)"
            }
        let here = "\(focusQuery)&\(keep)"
        let chartKey = r.query["chart"] ?? "contract"
        let chart = d.bars(chartKey)
        let tiles = d.tables[0].rows.prefix(9).map { row -> [String: Any] in
            ["label": row.cells[0].shown, "now": row.cells[1].shown, "before": row.cells[2].shown, "change": row.cells[3].shown]
        }
        let values: [String: Any] = [
            "heading": d.title,
            "path": d.path.map { ["name": $0.name, "href": "/app/district?area=\($0.id)&\(keep)"] },
            "isTeam": { if case .team = q.focus { true } else { false } }(),
            "from": q.period.from.iso, "to": q.period.to.iso, "previousFrom": q.period.previous.from.iso,
            "previousTo": q.period.previous.to.iso,
            "periods": [("year", "本年"), ("quarter", "本季度"), ("month", "本月"), ("custom", "自定义")].map {
                ["value": $0.0, "label": $0.1, "current": $0.0 == q.name] as [String: Any]
            },
            "area": { if case .area(let id) = q.focus { String(id) } else { "" } }(),
            "team": { if case .team(let id) = q.focus { String(id) } else { "" } }(),
            "tiles": tiles,
            "chartLabel": chart.label, "chart": BarChart.svg(title: chart.label, chart.bars), "hasChart": !chart.bars.isEmpty,
            "charts": Dashboard.chartRates.map {
                ["href": "/app/district?\(here)&chart=\($0.key)#chart", "label": $0.label, "current": $0.key == chartKey] as [String: Any]
            },
            "tables": d.tables.map { t -> [String: Any] in
                // A row's link is its focus; the table's own downloads keep this page's focus and period.
                var t = t
                t.rows = t.rows.map { row in
                    var row = row
                    row.link = row.link.map { "/app/district?\($0)&\(keep)" }
                    return row
                }
                return [
                    "key": t.key, "title": t.title, "columns": t.columns, "rows": t.htmlRows, "empty": t.rows.isEmpty, "note": t.note ?? "",
                    "csv": "/app/district/export?format=csv&table=\(t.key)&\(here)",
                ]
            },
            "xlsx": "/app/district/export?format=xlsx&\(here)",
        ]
        return render("district", title: "辖区指标 · \(d.title)", caller: r.caller, values)
    }

    /// One table as CSV, or every table of the page as one workbook; aggregates only, like the page.
    func dashboardExport(_ r: ConsoleRequest) async throws -> Response {
        let (q, d) = try await dashboard(r)
        let stem = "gridcare-indicators-\(q.period.from.yyyymmdd)-\(q.period.to.yyyymmdd)"
        var headers = HTTPFields()
        headers[.cacheControl] = "no-store"
        switch r.query["format"] {
        case "xlsx":
            headers[.contentType] = Workbook.contentType
            headers[.contentDisposition] = "attachment; filename=\"\(stem).xlsx\""
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try Workbook.xlsx(d.tables))))
        case "csv":
            guard let table = d.tables.first(where: { $0.key == r.query["table"] }) else { throw FieldError("table", "没有这张表") }
            headers[.contentType] = "text/csv; charset=utf-8"
            headers[.contentDisposition] = "attachment; filename=\"\(stem)-\(table.key).csv\""
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: table.csv)))
        default:
            throw FieldError("format", "应为 csv 或 xlsx")
        }
    }
}
