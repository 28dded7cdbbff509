import ArgumentParser
import Foundation
import GridcareCore
import GridcareStore

/// The shared medicine-box board: its clock, matching, and the report.
struct Board: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The shared medicine-box board.",
        subcommands: [Expire.self, Match.self, BoardReportCommand.self]
    )

    /// Expires offers past their date and returns reservations not picked up in time (the service also runs this).
    struct Expire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take expired offers off the board and return lapsed reservations.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let config = try await global.load()
            let done = try await global.withStore(config, operation: "cli board expire") { db, info in
                try await BoardReports(db).expire(today: SimpleDate.todayInChina(), logger: info.logger)
            }
            print("\(done.expiredOffers) offers expired, \(done.lapsedClaims) reservations returned.")
        }
    }

    /// Offers that could fill a request, nearest first.
    struct Match: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Offers that could fill a request, nearest first.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The request.") var request: Int64
        @Option(help: "table, json or csv.") var format: OutputFormat = .table

        func run() async throws {
            let config = try await global.load()
            let today = SimpleDate.todayInChina()
            let (req, matches) = try await global.withStore(config, operation: "cli board match") { db, info in
                try await BoardRequestStore(db, rules: config.boardRules).matches(request, today: today, logger: info.logger)
            }
            if format == .table {
                print(
                    "Request \(req.id) for \(req.residentName): \(req.quantity) × \(req.itemName ?? req.category.rawValue) (\(req.urgency.rawValue)), "
                        + "\(req.outstanding) outstanding."
                )
                if matches.isEmpty {
                    print("No offer matches.")
                    return
                }
            }
            print(
                TablePrinter(
                    header: ["offer", "item", "left", "unit", "expires", "box", "nearness"],
                    rows: matches.map { m in
                        [
                            String(m.offer.id), m.offer.itemName, String(m.offer.available), m.offer.unit,
                            m.offer.expiresOn.iso + (config.boardRules.expiresSoon(m.offer.expiresOn, today: today) ? " (soon)" : ""),
                            m.offer.boxName, m.proximity.rawValue,
                        ]
                    }
                ).render(format)
            )
        }
    }

    /// Share of requests fulfilled within 24 hours, per community.
    struct BoardReportCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "report", abstract: "Requests fulfilled within 24 hours, per community.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only this district.") var district: Int64?
        @Option(help: "table, json or csv.") var format: OutputFormat = .table

        func run() async throws {
            let config = try await global.load()
            let report = try await global.withStore(config, operation: "cli board report") { db, info in
                try await BoardReports(db).report(districtId: district, from: nil, to: nil, logger: info.logger)
            }
            print(
                TablePrinter(
                    header: ["community", "requests", "fulfilled", "within 24 h", "share", "offers", "units offered", "units delivered"],
                    rows: report.communities.map { c in
                        [
                            c.communityName, String(c.requests), String(c.fulfilled), String(c.fulfilledWithin24h),
                            c.shareWithin24h.map { String(format: "%.0f%%", $0 * 100) } ?? "", String(c.offers), String(c.unitsOffered),
                            String(c.unitsDelivered),
                        ]
                    }
                ).render(format)
            )
        }
    }
}
