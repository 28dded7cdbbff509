import ArgumentParser
import Foundation
import GridcareCore

/// Prints who may call what: the rules of AccessRules as a role × operation table.
struct Access: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Which roles may call each API operation.")

    @Option(help: "table, json or csv.") var format: OutputFormat = .table

    func run() async throws {
        let roles = Role.allCases
        var rows = AccessRules.anonymous.sorted().map { op in [op] + roles.map { _ in "anyone" } }
        rows += AccessRules.roles.keys.sorted().map { op in [op] + roles.map { AccessRules.allows($0, op) ? "yes" : "" } }
        print(TablePrinter(header: ["operation"] + roles.map(\.rawValue), rows: rows).render(format))
    }
}
