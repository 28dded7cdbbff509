import ArgumentParser
import GridcareStore

/// Manages the embedded PostgreSQL cluster (for scripts, psql and benchmarks).
struct DB: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Start (and print the address of) or stop the embedded database.",
        subcommands: [Start.self, Stop.self]
    )

    /// Starts the embedded cluster (creating and migrating it on first use), prints its URL, leaves it running.
    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start the embedded cluster and leave it running.")
        @OptionGroup var global: GlobalOptions
        func run() async throws {
            let config = try await global.load()
            let boot = try await DatabaseBootstrap.open(
                configuredURL: config.databaseURL,
                embeddedDataDirectory: config.embeddedDataDirectory,
                embeddedBinDirectory: config.embeddedBinDirectory,
                migrationsDirectory: config.migrationsDirectory,
                visitRules: config.visitRules,
                vault: try config.identityVault(),
                serviceRole: config.serviceURL == nil ? config.serviceRole : nil,
                archivesWAL: config.embeddedArchivesWAL,
                logger: global.logger(config)
            )
            print(boot.url.connectionString)
        }
    }

    /// Stops the embedded cluster.
    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the embedded cluster.")
        @OptionGroup var global: GlobalOptions
        func run() async throws {
            let config = try await global.load()
            try EmbeddedPostgres(
                dataDirectory: config.embeddedDataDirectory,
                binDirectory: config.embeddedBinDirectory,
                logger: global.logger(config)
            ).stop()
        }
    }
}
