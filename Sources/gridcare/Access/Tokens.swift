import ArgumentParser
import Foundation
import GridcareCore
import GridcareStore

/// Bearer tokens for scripts and integrations (administrators' tool).
struct Tokens: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Issue and revoke bearer tokens.",
        subcommands: [Issue.self, Revoke.self]
    )

    /// Issues a token for a user and prints it once; only its hash is stored.
    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue a token for a user; it is printed once.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Username.") var user: String
        @Option(help: "Lifetime in hours.") var ttlHours: Double = 12
        @Option(help: "What the token is for.") var label: String = "cli"
        @Flag(help: "Print only the token (for scripts).") var quiet = false

        func run() async throws {
            guard ttlHours > 0, ttlHours <= 24 * 366 else { throw CLIError.badInput("ttl-hours: must be between 0 and 8784") }
            let config = try await global.load()
            let issued = try await global.withStore(config) { db, info in
                guard let u = try await UserStore(db).find(username: user, logger: info.logger), u.active else {
                    throw CLIError.badInput("user: no active user \(user)")
                }
                return try await TokenStore(db).issue(userId: u.id, lifetime: .seconds(ttlHours * 3600), label: label, logger: info.logger)
            }
            if quiet {
                print(issued.token)
            } else {
                print("token \(issued.id) for \(user), expires \(ISO8601DateFormatter().string(from: issued.expiresAt)):")
                print(issued.token)
            }
        }
    }

    /// Revokes one token by id, or every token of a user.
    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token (--id) or all of a user's tokens (--user).")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Token id, as printed by `token issue`.") var id: Int64?
        @Option(help: "Revoke every live token of this user.") var user: String?

        func validate() throws {
            guard (id == nil) != (user == nil) else { throw ValidationError("Give exactly one of --id or --user.") }
        }

        func run() async throws {
            let config = try await global.load()
            let count = try await global.withStore(config) { db, info in
                if let id { return try await TokenStore(db).revoke(id: id, logger: info.logger) ? 1 : 0 }
                guard let u = try await UserStore(db).find(username: user!, logger: info.logger) else {
                    throw CLIError.badInput("user: no user \(user!)")
                }
                return try await TokenStore(db).revokeAll(userId: u.id, logger: info.logger)
            }
            if let id, count == 0 { throw CLIError.badInput("id: no live token \(id)") }
            print("revoked \(count) token(s)")
        }
    }
}
