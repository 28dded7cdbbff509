import ArgumentParser
import GridcareCore
import GridcareStore

/// Reports for district managers.
struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Reports.", subcommands: [Coverage.self])

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
