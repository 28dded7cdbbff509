import ArgumentParser
import GridcareStore

/// Applies pending migrations from db/migrations and the configured visit rules (or lists them with --dry-run).
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations.")

    @OptionGroup var global: GlobalOptions
    @Flag(help: "List pending migrations without applying them.") var dryRun = false

    func run() async throws {
        let config = try await global.load()
        let outcomes = try await global.withDatabase(config, migrate: false) { info in
            let migrator = try Migrator(directory: Migrator.defaultDirectory(configured: config.migrationsDirectory))
            return try await withClient(info.url, poolSize: 1) { client in
                let outcomes = try await migrator.migrate(client, dryRun: dryRun, vault: try config.identityVault(), logger: info.logger)
                if !dryRun { try await client.withConnection { try await DueVisitStore.adopt(config.visitRules, on: $0, logger: info.logger) } }
                return outcomes
            }
        }
        if outcomes.isEmpty { print("Database is up to date.") }
        for outcome in outcomes {
            switch outcome {
            case .applied(let name): print("applied  \(name)")
            case .pending(let name): print("pending  \(name)")
            }
        }
    }
}
