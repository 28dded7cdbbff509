import ArgumentParser
import Foundation
import GridcareCore
import GridcareStore

/// Weekly fixed-day village clinics: define them, generate their sessions, print timetables and call lists.
struct Clinics: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Weekly fixed-day village clinics.",
        subcommands: [Add.self, Generate.self, Timetable.self, Calls.self]
    )

    static func minute(_ s: String, _ option: String) throws -> Int {
        guard let m = ClinicStore.parseTime(s) else { throw CLIError.badInput("\(option): must be a time HH:MM") }
        return m
    }

    static func day(_ s: String?, _ option: String) throws -> SimpleDate? {
        guard let s else { return nil }
        guard let d = SimpleDate(iso: s) else { throw CLIError.badInput("\(option): must be a date YYYY-MM-DD") }
        return d
    }

    /// Defines a clinic: a team at one of its centre's stations on a weekday.
    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Define a weekly clinic (e.g. Wednesdays 09:00–11:30).")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Station (village station of the team's centre).") var station: Int64
        @Option(help: "Care team.") var team: Int64
        @Option(help: "ISO weekday: 1 Monday … 7 Sunday.") var weekday: Int
        @Option(help: "Start, HH:MM station time.") var starts: String
        @Option(help: "End, HH:MM station time.") var ends: String
        @Option(help: "Slot length in minutes.") var slotMinutes: Int = 15
        @Option(help: "Places per slot.") var capacity: Int = 2
        @Option(help: "First day, YYYY-MM-DD (default today).") var from: String?
        @Option(help: "Last day, YYYY-MM-DD (default open-ended).") var until: String?

        func run() async throws {
            let rule = ClinicRule(
                weekday: weekday,
                startMinute: try minute(starts, "starts"),
                endMinute: try minute(ends, "ends"),
                slotMinutes: slotMinutes,
                capacityPerSlot: capacity,
                validFrom: try day(from, "from") ?? SimpleDate.todayInChina(),
                validUntil: try day(until, "until")
            )
            let config = try await global.load()
            let clinic = try await global.withStore(config) { db, info in
                try await ClinicStore(db).create(stationId: station, teamId: team, rule: rule, logger: info.logger)
            }
            print(
                "clinic \(clinic.id): team \(clinic.teamId) at \(clinic.stationName), weekday \(weekday) \(starts)–\(ends), \(rule.slots) slots × \(capacity)"
            )
        }
    }

    /// Materializes sessions for the coming weeks; idempotent, and applies the holiday calendar.
    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Generate sessions for the coming weeks (running it twice changes nothing).")
        @OptionGroup var global: GlobalOptions
        @Option(help: "How many weeks ahead (default rules.clinics.generateWeeksAhead, 8).") var weeks: Int?
        @Option(help: "First day, YYYY-MM-DD (default today).") var from: String?
        @Option(help: "Only this clinic.") var clinic: Int64?

        func validate() throws {
            if let weeks, !(1...104).contains(weeks) { throw ValidationError("--weeks must be 1–104.") }
        }

        func run() async throws {
            let config = try await global.load()
            let calendar = try HolidayCalendar.load(directory: config.holidaysDirectory)
            let start = try day(from, "from") ?? SimpleDate.todayInChina()
            let end = start.adding(days: (weeks ?? config.clinicWeeksAhead) * 7 - 1)
            let clock = ContinuousClock()
            let started = clock.now
            let summary = try await global.withStore(config) { db, info in
                try await ClinicStore(db).generate(
                    from: start,
                    through: end,
                    clinicId: clinic,
                    calendar: calendar,
                    onHoliday: config.onHoliday,
                    logger: info.logger
                )
            }
            if summary.uncoveredDays > 0 {
                FileHandle.standardError.write(
                    Data(
                        "Warning: \(summary.uncoveredDays) day(s) fall in a year the holiday calendar (\(config.holidaysDirectory)) does not know; add that year's file when it is announced, then generate again.\n"
                            .utf8
                    )
                )
            }
            print(
                "sessions \(start)–\(end): \(summary.created) created, \(summary.moved) moved, \(summary.cancelled) cancelled, \(summary.unchanged) unchanged (\((clock.now - started).formatted(.units(allowed: [.seconds, .milliseconds], width: .narrow))))"
            )
        }
    }

    /// A week's timetable of one station, to pin on a wall.
    struct Timetable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a station's weekly timetable with free places.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Station.") var station: Int64
        @Option(help: "Any day of the week, YYYY-MM-DD (default this week).") var week: String?
        @Option(help: "table, json or csv.") var format: OutputFormat = .table

        func run() async throws {
            let any = try day(week, "week") ?? SimpleDate.todayInChina()
            let monday = any.adding(days: 1 - any.isoWeekday)
            let config = try await global.load()
            let sessions = try await global.withStore(config) { db, info in
                try await ClinicStore(db).sessions(
                    from: monday,
                    through: monday.adding(days: 6),
                    stationId: station,
                    teamId: nil,
                    logger: info.logger
                )
            }
            let names = ["", "星期一 Mon", "星期二 Tue", "星期三 Wed", "星期四 Thu", "星期五 Fri", "星期六 Sat", "星期日 Sun"]
            if format == .table {
                print("\(sessions.first?.stationName ?? "station \(station)") — week of \(monday)")
                if sessions.isEmpty {
                    print("(no sessions; run `gridcare clinics generate`)")
                    return
                }
            }
            let rows = sessions.map { s in
                [
                    s.day.iso, names[s.day.isoWeekday], "\(ClinicStore.time(s.startMinute))–\(ClinicStore.time(s.endMinute))", "team \(s.teamId)",
                    s.status.takesBookings ? "\(s.free) of \(s.places) free" : s.status.rawValue.uppercased(), s.reason ?? "",
                ]
            }
            print(TablePrinter(header: ["date", "day", "hours", "team", "places", "note"], rows: rows).render(format))
        }
    }

    /// Residents booked on sessions that were cancelled or moved: who to call.
    struct Calls: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Residents to call because their session was cancelled or moved.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "From this day, YYYY-MM-DD (default today).") var since: String?
        @Option(help: "table, json or csv.") var format: OutputFormat = .table

        func run() async throws {
            let config = try await global.load()
            let start = try day(since, "since") ?? SimpleDate.todayInChina()
            let list = try await global.withStore(config, operation: "cli clinics calls") { db, info in
                try await BookingStore(db).callList(since: start, logger: info.logger)
            }
            print(
                TablePrinter(
                    header: ["date", "station", "resident", "name", "phone", "session", "why"],
                    rows: list.map {
                        [$0.day.iso, $0.stationName, String($0.residentId), $0.residentName, $0.phone ?? "", $0.status.rawValue, $0.reason ?? ""]
                    }
                ).render(format)
            )
        }
    }
}
