import ArgumentParser
import Foundation
import GridcareCore
import GridcareRouting
import GridcareStore

/// 微网实格's 3-hour rule: can each micro-grid's workers reach every household in time?
struct MobilisationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mobilisation",
        abstract: "The 3-hour mobilisation check.",
        subcommands: [Check.self]
    )

    /// Checks every micro-grid of a district and lists those that fail, with the fewest workers that would do.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check every micro-grid of a district against the 3-hour rule.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "District.") var district: Int64
        @Option(help: "notice (a notice at the door) or door-to-door (a check of who is at home).") var kind: MobilisationKind = .notice
        @Option(help: "Minutes at each household (default: the kind's, rules.mobilisation.noticeMinutes / doorToDoorMinutes).")
        var minutesPerHousehold: Double?
        @Option(help: "Walking speed, km/h (default rules.mobilisation.walkingKmh).") var walkingKmh: Double?
        @Option(help: "The limit in minutes (default rules.mobilisation.limitMinutes).") var limitMinutes: Double?
        @Flag(help: "List every micro-grid, not only those that fail.") var all = false
        @Option(help: "table, json or csv.") var format: OutputFormat = .table

        func run() async throws {
            let config = try await global.load()
            var rule = config.mobilisationRules.rule(kind)
            if let minutesPerHousehold { rule.minutesPerHousehold = minutesPerHousehold }
            if let walkingKmh { rule.walkingKmPerHour = walkingKmh }
            if let limitMinutes { rule.limitMinutes = limitMinutes }
            guard rule.minutesPerHousehold >= 0, rule.walkingKmPerHour > 0, rule.limitMinutes > 0 else {
                throw CLIError.badInput("--minutes-per-household must be ≥ 0, --walking-kmh and --limit-minutes > 0")
            }
            let checkRule = rule
            let clock = ContinuousClock()
            let started = clock.now
            let results = try await global.withStore(config, operation: "cli mobilisation check") { db, info in
                try await MobilisationStore(db).check(districtId: district, rule: checkRule, logger: info.logger)
            }
            let elapsed = clock.now - started
            let failing = results.filter { !$0.result.meets }
            if format == .table {
                let needed = failing.compactMap(\.result.shortfall).reduce(0, +)
                print(
                    "\(results.count) micro-grids checked in \(elapsed.formatted(.units(allowed: [.seconds, .milliseconds], width: .narrow))): "
                        + "\(failing.count) cannot reach every household within \(Int(rule.limitMinutes)) minutes and need \(needed) more people "
                        + "(\(kind.rawValue), \(rule.minutesPerHousehold) min a household, walking \(rule.walkingKmPerHour) km/h)."
                )
            }
            let shown = all ? results : failing
            guard !shown.isEmpty || format != .table else { return }
            print(
                TablePrinter(
                    header: [
                        "micro-grid", "name", "grid", "households", "workers", "party members", "building leaders", "volunteers",
                        "minutes", "fewest people", "needs", "meets",
                    ],
                    rows: shown.map { m in
                        [
                            String(m.microGridId), m.name, m.gridName, String(m.result.households), String(m.forces.workers),
                            String(m.forces[.partyMember]), String(m.forces[.buildingLeader]), String(m.forces[.volunteer]),
                            m.result.minutesWithWorkers.isFinite ? String(Int(m.result.minutesWithWorkers.rounded(.up))) : "—",
                            m.result.fewestWorkers == MobilisationResult.impossible ? "impossible" : String(m.result.fewestWorkers),
                            m.result.shortfall.map { $0 == 0 ? "" : "+\($0)" } ?? "—", m.result.meets ? "yes" : "NO",
                        ]
                    }
                ).render(format)
            )
        }
    }
}

extension MobilisationKind: ExpressibleByArgument {
    /// `door-to-door` as the CLI spells it, `door_to_door` as the API does.
    public init?(argument: String) { self.init(rawValue: argument.replacingOccurrences(of: "-", with: "_")) }
    public static var allValueStrings: [String] { ["notice", "door-to-door"] }
}
