import ArgumentParser
import GridcareCore
import GridcareServer
import GridcareStore

/// Reports for district managers.
struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Reports.", subcommands: [Coverage.self, Indicators.self])

    /// The district dashboard's tables (辖区指标): what /app/district and /v1/reports/indicators show.
    struct Indicators: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The dashboard's indicators for a district, area or team and a period, against the one before."
        )

        @OptionGroup var global: GlobalOptions
        @Option(help: "The district.") var district: Int64
        @Option(help: "A street, community, grid or micro-grid of it (default: the district).") var area: Int64?
        @Option(help: "A care team instead of an area.") var team: Int64?
        @Option(help: "First day, YYYY-MM-DD (default: 1 January this year).") var from: String?
        @Option(help: "Last day, YYYY-MM-DD (default: today).") var to: String?
        @Option(help: "One table: summary, visits, areas, teams, coverage, referrals, board, mobilisation (default: all).") var table: String?
        @Option(help: "table, json or csv.") var format: OutputFormat = .table

        func run() async throws {
            let config = try await global.load()
            let today = SimpleDate.todayInChina()
            func day(_ raw: String?, _ name: String, _ fallback: SimpleDate) throws -> SimpleDate {
                guard let raw else { return fallback }
                guard let d = SimpleDate(iso: raw) else { throw ValidationError("--\(name) must be a date YYYY-MM-DD") }
                return d
            }
            let first = try day(from, "from", SimpleDate(year: today.year, month: 1, day: 1)!)
            let last = try day(to, "to", today)
            let tables = try await global.withStore(config) { db, info in
                try await IndicatorTables.read(
                    db,
                    config: config,
                    districtId: district,
                    areaId: area,
                    teamId: team,
                    from: first,
                    to: last,
                    logger: info.logger
                )
            }
            let chosen = tables.filter { table == nil || $0.key == table }
            if chosen.isEmpty { throw ValidationError("--table names no table: \(tables.map(\.key).joined(separator: ", "))") }
            for t in chosen {
                if format == .table { print("\n== \(t.title) (\(t.key))") }
                print(TablePrinter(header: t.columns, rows: t.rows).render(format))
                if format == .table, let note = t.note { print(note) }
            }
        }
    }

    /// Micro-grids nobody covers, teams that break 1+1+N, micro-grids outside 30–100 households.
    struct Coverage: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Who is covered: uncovered micro-grids, broken teams, odd sizes.")

        @OptionGroup var global: GlobalOptions
        @Option(help: "Only this district.") var district: Int64?
        @Option(help: "table, json or csv.") var format: OutputFormat = .table

        func run() async throws {
            let config = try await global.load()
            let report = try await global.withStore(config) { db, info in
                try await CoverageStore(db).report(
                    districtId: district,
                    rules: config.coverage,
                    logger: info.logger
                )
            }
            let range = config.coverage.householdsPerMicroGrid
            var rows: [[String]] = []
            for m in report.uncovered {
                rows.append(["uncovered", "micro-grid \(m.microGridId)", "\(m.gridName) \(m.name)", "no care team covers it"])
            }
            for t in report.brokenTeams { rows.append(["broken-team", "team \(t.teamId)", t.name, t.problems.joined(separator: "; ")]) }
            for m in report.outOfSize {
                rows.append([
                    "size", "micro-grid \(m.microGridId)", "\(m.gridName) \(m.name)",
                    "\(m.households) households (expected \(range.lowerBound)–\(range.upperBound))",
                ])
            }
            if format == .table {
                print(
                    "\(report.coveredMicroGrids) of \(report.microGrids) micro-grids covered; \(report.brokenTeams.count) team(s) break 1+1+N; \(report.outOfSize.count) micro-grid(s) outside \(range.lowerBound)–\(range.upperBound) households."
                )
                if rows.isEmpty { return }
                print("")
            }
            print(TablePrinter(header: ["finding", "what", "name", "detail"], rows: rows).render(format))
        }
    }
}
