import ArgumentParser
import Foundation
import GridcareCore
import GridcareStore

/// Who read or changed a resident's data, newest first.
struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The audit trail of a resident (or a user), newest first.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "Resident id.") var resident: Int64?
    @Option(help: "User id.") var user: Int64?
    @Option(help: "At most this many rows.") var limit: Int = 200
    @Option(help: "table, json or csv.") var format: OutputFormat = .table

    func validate() throws {
        guard resident != nil || user != nil else { throw ValidationError("Give --resident or --user.") }
        guard (1...100_000).contains(limit) else { throw ValidationError("--limit must be 1–100000.") }
    }

    func run() async throws {
        let config = try await global.load()
        let events = try await global.withStore(config) { db, info in
            let log = AuditLog(db)
            var out: [AuditEvent] = []
            var cursor: String?
            repeat {
                let page = try await log.list(
                    .init(residentId: resident, userId: user),
                    page: try PageRequest(cursor: cursor, limit: min(200, limit - out.count)),
                    logger: info.logger
                )
                out += page.items
                cursor = page.nextCursor
            } while cursor != nil && out.count < limit
            return out
        }
        let time = ISO8601DateFormatter()
        let rows = events.map { e in
            [
                time.string(from: e.at), e.userId.map(String.init) ?? "", e.role ?? "", e.operation, e.action.rawValue,
                e.residentId.map(String.init) ?? "", e.outcome.rawValue, e.detail ?? "",
            ]
        }
        print(TablePrinter(header: ["at", "user", "role", "operation", "action", "resident", "outcome", "detail"], rows: rows).render(format))
    }
}
