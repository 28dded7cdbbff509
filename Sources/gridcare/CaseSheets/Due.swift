import ArgumentParser
import Foundation
import GridcareCore
import GridcareStore

/// Who is due a visit: for a team, or a whole district.
struct Due: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Visits the rules make due, for a team or a district.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "Care team.") var team: Int64?
    @Option(help: "District (every team in it).") var district: Int64?
    @Option(help: "Due on or before this day, YYYY-MM-DD (default: today + 14 days).") var until: String?
    @Option(help: "At most this many rows.") var limit: Int = 1000
    @Flag(help: "Print only the count and the time it took (for whole districts).") var count = false
    @Flag(help: "First recompute every resident's due visits from their records (the database keeps them current; this times the whole computation).")
    var recompute = false
    @Option(help: "table, json or csv.") var format: OutputFormat = .table

    func validate() throws {
        guard (team == nil) != (district == nil) else { throw ValidationError("Give exactly one of --team or --district.") }
        guard (1...10_000_000).contains(limit) else { throw ValidationError("--limit must be 1–10000000.") }
        if let until, SimpleDate(iso: until) == nil { throw ValidationError("--until must be a date YYYY-MM-DD.") }
    }

    func run() async throws {
        let config = try await global.load()
        let today = SimpleDate.todayInChina()
        let untilDay = until.flatMap(SimpleDate.init(iso:)) ?? today.adding(days: 14)
        let clock = ContinuousClock()
        let (items, total, elapsed) = try await global.withStore(config, operation: "cli due") { db, info in
            if recompute {
                let started = clock.now
                let rows = try await db.client.withConnection { try await DueVisitStore.rebuild(on: $0, logger: info.logger) }
                let took = (clock.now - started).formatted(.units(allowed: [.seconds, .milliseconds], width: .narrow))
                print("recomputed \(rows) due-visit rows for every resident in \(took)")
            }
            let started = clock.now
            let (items, total) = try await DueVisitStore(db)
                .due(.init(teamId: team, districtId: district, today: today, until: untilDay, limit: count ? 1 : limit), logger: info.logger)
            return (items, total, clock.now - started)
        }
        if count {
            print("\(total) visits due by \(untilDay) (listed in \(elapsed.formatted(.units(allowed: [.seconds, .milliseconds], width: .narrow))))")
            return
        }
        let rows = items.map { d in
            [
                String(d.residentId), d.residentName, String(d.microGridId), d.visit.rawValue, d.rule.rawValue, d.dueOn.iso,
                d.overdueDays > 0 ? "\(d.overdueDays) d" : "", d.lastDone?.iso ?? "", d.tier?.rawValue ?? "", d.openAlert ? "ALERT" : "",
            ]
        }
        if format == .table { print("\(total) visits due by \(untilDay)\(total > items.count ? "; the first \(items.count)" : ""):") }
        print(
            TablePrinter(
                header: ["resident", "name", "micro-grid", "visit", "rule", "due", "overdue", "last done", "tier", "alert"],
                rows: rows
            ).render(format)
        )
    }
}
