import ArgumentParser
import Foundation
import GridcareCore
import GridcareStore

/// Two-way referral slips: what is late, and how the loop is doing.
struct Referrals: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Two-way referral slips: overdue list and loop report.",
        subcommands: [Overdue.self, LoopReport.self]
    )

    /// Slips the hospital has not acknowledged in time, or the team has not followed up after discharge.
    struct Overdue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List slips that are late now, longest overdue first.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only this district.") var district: Int64?
        @Option(help: "At most this many rows.") var limit: Int = 1000
        @Option(help: "table, json or csv.") var format: OutputFormat = .table

        func validate() throws {
            guard (1...1_000_000).contains(limit) else { throw ValidationError("--limit must be 1–1000000.") }
        }

        func run() async throws {
            let config = try await global.load()
            let items = try await global.withStore(config, operation: "cli referrals overdue") { db, info in
                try await ReferralReports(db, rules: config.referralRules).overdue(districtId: district, limit: limit, logger: info.logger)
            }
            if format == .table { print(items.isEmpty ? "No slip is late." : "\(items.count) slips are late:") }
            guard !items.isEmpty || format != .table else { return }
            print(
                TablePrinter(
                    header: ["slip", "patient", "urgency", "status", "hospital", "centre", "late for", "was due", "late by"],
                    rows: items.map { o in
                        [
                            o.number, o.patientName, o.urgency.rawValue, o.status.rawValue, o.hospitalName, o.centreName,
                            o.stage == .acknowledge ? "hospital: acknowledge" : "team: follow-up",
                            o.dueAt.formatted(.iso8601), Self.span(minutes: o.lateMinutes),
                        ]
                    }
                ).render(format)
            )
        }

        /// "2 d 3 h", "3 h 20 min", "12 min".
        static func span(minutes: Int) -> String {
            let d = minutes / 1440
            let h = minutes % 1440 / 60
            let m = minutes % 60
            if d > 0 { return "\(d) d \(h) h" }
            if h > 0 { return "\(h) h \(m) min" }
            return "\(m) min"
        }
    }

    /// Loop closure and median time per stage, per hospital and per centre.
    struct LoopReport: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "report", abstract: "Loop-closure rate and median hours per stage.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only this district.") var district: Int64?
        @Option(help: "Slips sent on or after this day, YYYY-MM-DD.") var from: String?
        @Option(help: "Slips sent before this day, YYYY-MM-DD.") var to: String?
        @Option(help: "table, json or csv.") var format: OutputFormat = .table

        func validate() throws {
            for (name, value) in [("from", from), ("to", to)] where value != nil && SimpleDate(iso: value!) == nil {
                throw ValidationError("--\(name) must be a date YYYY-MM-DD.")
            }
        }

        func run() async throws {
            let config = try await global.load()
            let report = try await global.withStore(config, operation: "cli referrals report") { db, info in
                try await ReferralReports(db, rules: config.referralRules)
                    .report(
                        districtId: district,
                        from: from.flatMap(SimpleDate.init(iso:))?.startInChina,
                        to: to.flatMap(SimpleDate.init(iso:))?.startInChina,
                        logger: info.logger
                    )
            }
            let stages = ["acknowledge", "decide", "admit", "stay", "follow_up", "close"]
            func rows(_ kind: String, _ figures: [ReferralLoopFigures]) -> [[String]] {
                figures.map { f in
                    [
                        kind, f.facilityName, String(f.sent), String(f.declined), String(f.cancelled), String(f.dischargedDown),
                        String(f.closedLoops),
                        f.loopClosureRate.map { String(format: "%.0f%%", $0 * 100) } ?? "", String(f.acknowledgedLate), String(f.openNow),
                    ]
                        + stages.map { f.medianHours[$0].map { String(format: "%.1f", $0) } ?? "" }
                }
            }
            print(
                TablePrinter(
                    header: ["by", "name", "sent", "declined", "cancelled", "discharged", "loops closed", "closure", "ack late", "open"]
                        + stages.map { "h " + $0 },
                    rows: rows("hospital", report.byHospital) + rows("centre", report.byCentre)
                ).render(format)
            )
        }
    }
}
