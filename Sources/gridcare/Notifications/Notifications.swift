import ArgumentParser
import Foundation
import GridcareStore

/// The notifications' delivery: how it went, the dead letters, and sending them again.
struct Notifications: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Notification delivery: status, dead letters, retry.",
        subcommands: [Status.self, Dead.self, Retry.self]
    )

    /// Delivered within 1 minute and within 10 minutes of the event, pending and dead, per channel and event kind.
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Deliveries per channel and event kind: within 1 and 10 minutes, pending, dead.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Events of the last this many hours.") var hours: Int = 24
        @Option(help: "table, json or csv.") var format: OutputFormat = .table

        func run() async throws {
            let config = try await global.load()
            let since = Date().addingTimeInterval(-Double(hours) * 3600)
            let rows = try await global.withStore(config, operation: "cli notifications status") { db, info in
                try await Outbox(db).report(since: since, logger: info.logger)
            }
            if rows.isEmpty && format == .table {
                print("No deliveries in the last \(hours) hours.")
                return
            }
            print(
                TablePrinter(
                    header: ["channel", "event", "deliveries", "within 1 min", "within 10 min", "pending", "dead"],
                    rows: rows.map { r in
                        [r.channel, r.kind, String(r.total), String(r.withinMinute), String(r.withinTenMinutes), String(r.pending), String(r.dead)]
                    }
                ).render(format)
            )
        }
    }

    /// The deliveries given up, with their last error.
    struct Dead: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Deliveries given up, with their last error.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "At most this many.") var limit: Int = 100
        @Option(help: "table, json or csv.") var format: OutputFormat = .table

        func run() async throws {
            let config = try await global.load()
            let dead = try await global.withStore(config, operation: "cli notifications dead") { db, info in
                try await Outbox(db).dead(limit: limit, logger: info.logger)
            }
            if dead.isEmpty && format == .table {
                print("No dead letters.")
                return
            }
            print(
                TablePrinter(
                    header: ["delivery", "channel", "event", "attempts", "since", "last error"],
                    rows: dead.map { d in
                        [String(d.id), d.channel, d.kind, String(d.attempts), ISO8601DateFormatter().string(from: d.createdAt), d.lastError ?? ""]
                    }
                ).render(format)
            )
        }
    }

    /// Sends dead letters again (the ones named, or all).
    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send dead letters again: the deliveries named, or --all.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Deliveries to send again.") var deliveries: [Int64] = []
        @Flag(help: "Every dead letter.") var all = false

        func validate() throws {
            guard all != !deliveries.isEmpty else { throw ValidationError("Name the deliveries to send again, or pass --all.") }
        }

        func run() async throws {
            let config = try await global.load()
            let ids = all ? nil : deliveries
            let n = try await global.withStore(config, operation: "cli notifications retry") { db, info in
                try await Outbox(db).retry(ids, logger: info.logger)
            }
            print("\(n) deliveries will be sent again.")
        }
    }
}
