import ArgumentParser
import Foundation
import GridcareCore
import GridcareRouting
import GridcareStore

/// Home-visit rounds: plan a team's week, export it as VRPLIB, solve any VRPLIB instance.
struct Rounds: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Home-visit rounds: plan a team's week; VRPLIB export and solve.",
        subcommands: [Plan.self, Export.self, Solve.self]
    )

    static func week(_ text: String) throws -> ISOWeek {
        guard let week = ISOWeek(text) else { throw CLIError.badInput("--week: must be an ISO week like 2026-W49") }
        return week
    }

    /// Reads the team's week and plans it (today onwards when the week has begun).
    static func planned(_ global: GlobalOptions, team: Int64, week: ISOWeek, seconds: Double?) async throws -> (RoundsInput, RoundsPlan, String) {
        let config = try await global.load()
        var configured = config.roundsRules
        if let seconds { configured.solverSeconds = seconds }
        let rules = configured
        let calendar = try HolidayCalendar.load(directory: config.holidaysDirectory)
        let today = SimpleDate.todayInChina()
        let (input, plan) = try await global.withStore(config, operation: "cli rounds plan") { db, info in
            try await RoundsStore(db, rules: rules, calendar: calendar)
                .plan(teamId: team, week: week, from: max(today, week.monday), logger: info.logger)
        }
        return (input, plan, "team \(team) \(week)")
    }

    /// Plans a team's week of home visits: routes per member and day, arrival times, what did not fit and why.
    struct Plan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Plan a team's (or every team of a district's) home-visit rounds for a week.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Care team.") var team: Int64?
        @Option(help: "Every team of this district (prints a summary).") var district: Int64?
        @Option(help: "ISO week, e.g. 2026-W49.") var week: String
        @Option(help: "Solver seconds per team for the whole week (default rules.rounds.solverSeconds).") var seconds: Double?
        @Option(help: "table, csv, json or ics.") var format: String = "table"

        func validate() throws {
            guard (team == nil) != (district == nil) else { throw ValidationError("Give exactly one of --team or --district.") }
        }

        func run() async throws {
            guard ["table", "csv", "json", "ics"].contains(format) else { throw CLIError.badInput("--format: table, csv, json or ics") }
            if let district { return try await Rounds.planDistrict(global, district: district, week: try Rounds.week(week), seconds: seconds) }
            guard let team else { return }
            let (input, plan, name) = try await Rounds.planned(global, team: team, week: try Rounds.week(week), seconds: seconds)
            let rows = RoundsRow.rows(plan)
            if format == "ics" {
                print(RoundsCalendar.ics(rows, name: "Rounds \(name)"), terminator: "")
                return
            }
            if format == "table" {
                print(
                    "Rounds for \(name): \(rows.count) of \(input.visits.count) due home visits planned, \(input.members.count) members, "
                        + "\(input.days.count) working days."
                )
            }
            let table = TablePrinter(
                header: ["day", "member", "route", "#", "arrive", "leave", "resident", "address", "visit", "rule"],
                rows: rows.map { r in
                    [r.day.iso, r.member, r.routeText, String(r.seq), clock(r.arrive), clock(r.leave), r.resident, r.address, r.visit, r.rule]
                }
            )
            print(table.render(OutputFormat(rawValue: format) ?? .table))
            if format == "table", !plan.unplanned.isEmpty {
                print("\nNot planned (\(plan.unplanned.count)):")
                print(
                    TablePrinter(
                        header: ["resident", "visit", "due", "why"],
                        rows: plan.unplanned.map { u in
                            [u.visit.residentName, u.visit.visit.rawValue, u.visit.dueOn.iso, u.reason]
                        }
                    ).render(.table)
                )
            }
        }
    }

    /// Plans every team of a district at once, the teams spread over the machine's cores; prints the totals.
    static func planDistrict(_ global: GlobalOptions, district: Int64, week: ISOWeek, seconds: Double?) async throws {
        let config = try await global.load()
        var configured = config.roundsRules
        if let seconds { configured.solverSeconds = seconds }
        let rules = configured
        let calendar = try HolidayCalendar.load(directory: config.holidaysDirectory)
        let clock = ContinuousClock()
        let started = clock.now
        let inputs = try await global.withStore(config, operation: "cli rounds plan") { db, info in
            try await RoundsStore(db, rules: rules, calendar: calendar).inputs(
                teamId: nil,
                districtId: district,
                week: week,
                from: max(SimpleDate.todayInChina(), week.monday),
                logger: info.logger
            )
        }
        let read = clock.now - started
        let lanes = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let plans = await RoundsStore.plan(inputs, rules: rules)
        let total = clock.now - started
        let planned = plans.reduce(0) { $0 + $1.routes.reduce(0) { $0 + $1.stops.count } }
        let unplanned = plans.reduce(0) { $0 + $1.unplanned.count }
        let routes = plans.reduce(0) { $0 + $1.routes.count }
        let format: Duration.UnitsFormatStyle = .units(allowed: [.seconds], fractionalPart: .show(length: 1))
        print(
            "District \(district) \(week): \(inputs.count) teams, \(planned + unplanned) due home visits, \(planned) planned in \(routes) member-day routes, "
                + "\(unplanned) not planned. Read in \(read.formatted(format)), planned in \((total - read).formatted(format)) on \(lanes) cores, "
                + "total \(total.formatted(format))."
        )
    }

    /// Writes a team's week as VRPLIB PCVRPTW instances, the planner's own: one per day and free block
    /// (the members free in it are its vehicles), each with the week's visits that fit that block, their
    /// windows the start times at which they fit it.
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a team's week as VRPLIB PCVRPTW instances, one per day and free block.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Care team.") var team: Int64
        @Option(help: "ISO week, e.g. 2026-W49.") var week: String
        @Option(help: "Write F-<day>-<HHMM>.vrp files for --out F.vrp instead of standard output (there, one after another).") var out: String?

        func run() async throws {
            let config = try await global.load()
            let w = try Rounds.week(week)
            let (input, _, _) = try await Rounds.planned(global, team: team, week: w, seconds: 0.05)
            let planner = RoundsPlanner(rules: config.roundsRules, centre: input.centre)
            let instances = planner.instances(input.visits, members: input.members, days: input.days, name: "gridcare-team\(team)-\(w)")
            let stem = out.map { $0.hasSuffix(".vrp") ? String($0.dropLast(4)) : $0 }
            for (day, block, inst) in instances {
                let text = VRPLIBWriter.text(inst)
                guard let stem else {
                    print(text, terminator: "")
                    continue
                }
                let path = "\(stem)-\(day.iso)-\(clock(block.lowerBound).replacingOccurrences(of: ":", with: "")).vrp"
                try text.write(toFile: path, atomically: true, encoding: .utf8)
                print(
                    "Wrote \(path): \(inst.clients.count) visits fit \(clock(block.lowerBound))–\(clock(block.upperBound)), \(inst.vehicleCount) members."
                )
            }
            if instances.isEmpty {
                FileHandle.standardError.write(Data("No member of team \(team) has rounds hours in \(w): nothing to export.\n".utf8))
            }
        }
    }

    /// Solves any VRPLIB VRPTW or PCVRPTW instance with the planner's solver and writes a VRPLIB .sol.
    struct Solve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Solve a VRPLIB VRPTW/PCVRPTW instance; write a .sol.")
        @Argument(help: "The .vrp file.") var file: String
        @Option(help: "Time limit in seconds.") var seconds: Double = 10
        @Option(help: "Random seed.") var seed: UInt64 = 1
        @Option(help: "Write the .sol here (default: standard output).") var out: String?

        func run() async throws {
            guard seconds > 0, seconds <= 3600 else { throw CLIError.badInput("--seconds: must be 0–3600") }
            let inst: Instance
            do { inst = try VRPLIBReader.read(path: file) } catch { throw CLIError.badInput("\(file): \(error)") }
            let solution = Solver(instance: inst, options: SolverOptions(timeLimit: .milliseconds(Int64(seconds * 1000)), seed: seed)).solve()
            let evaluation = Evaluator.evaluate(inst, routes: solution.routes)
            let text = SolutionFile.format(routes: solution.routes, cost: evaluation.cost, instance: inst)
            if let out { try text.write(toFile: out, atomically: true, encoding: .utf8) } else { print(text, terminator: "") }
            let routes = solution.routes.filter { !$0.isEmpty }.count
            FileHandle.standardError.write(
                Data(
                    ("\(inst.name): cost \(inst.formatCost(evaluation.cost)), \(routes) routes, "
                        + "\(solution.skipped.count) skipped, feasible \(evaluation.isFeasible)\n").utf8
                )
            )
        }
    }
}
