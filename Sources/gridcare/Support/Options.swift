import ArgumentParser
import Configuration
import Foundation
import GridcareServer
import GridcareStore
import Logging

/// Options every command shares: where the configuration and the database are.
struct GlobalOptions: ParsableArguments {
    @Option(help: "Configuration file (YAML).")
    var config: String = "Config/gridcare.yaml"

    @Option(name: .customLong("database-url"), help: "PostgreSQL URL; without one, the embedded cluster is used.")
    var databaseURL: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String?

    func load(extra: [String: ConfigValue] = [:]) async throws -> AppConfig {
        var overrides = extra
        if let databaseURL { overrides["database.url"] = .init(.string(databaseURL), isSecret: true) }
        if let logLevel { overrides["log.level"] = .init(.string(logLevel), isSecret: false) }
        return try await AppConfig.load(file: config, overrides: overrides)
    }

    func logger(_ config: AppConfig) -> Logger {
        var logger = Logger(label: "gridcare")
        logger.logLevel = Logger.Level(rawValue: config.logLevel) ?? .info
        return logger
    }

    /// Opens (and migrates) the configured database, runs `body`, and stops an embedded cluster it started.
    func withDatabase<T: Sendable>(
        _ config: AppConfig,
        migrate: Bool = true,
        _ body: @Sendable (PostgresConnectionInfo) async throws -> T
    ) async throws -> T {
        let logger = logger(config)
        let boot = try await DatabaseBootstrap.open(
            configuredURL: config.databaseURL,
            embeddedDataDirectory: config.embeddedDataDirectory,
            embeddedBinDirectory: config.embeddedBinDirectory,
            migrationsDirectory: config.migrationsDirectory,
            migrate: migrate,
            visitRules: config.visitRules,
            vault: try config.identityVault(),
            serviceRole: config.serviceURL == nil ? config.serviceRole : nil,
            archivesWAL: config.embeddedArchivesWAL,
            logger: logger
        )
        do {
            let result = try await body(PostgresConnectionInfo(url: boot.url, logger: logger, config: config))
            boot.close()
            return result
        } catch {
            boot.close()
            throw error
        }
    }
}

extension GlobalOptions {
    /// `withDatabase` with one connection wrapped as the owner's `Database`: what every store-backed
    /// command needs. `operation` names the command in the audit trail.
    func withStore<T: Sendable>(
        _ config: AppConfig,
        operation: String = "cli",
        _ body: @Sendable (Database, PostgresConnectionInfo) async throws -> T
    ) async throws -> T {
        try await withDatabase(config) { info in
            try await withClient(info.url, poolSize: 1) { client in
                try await body(Database(client: client, logger: info.logger, vault: try config.identityVault(), operation: operation), info)
            }
        }
    }
}

/// What a command needs to reach the database.
struct PostgresConnectionInfo: Sendable {
    var url: DatabaseURL
    var logger: Logger
    var config: AppConfig
}

/// Output formats: tables for people, JSON and CSV for machines.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, csv
}

/// Exit codes scripts can rely on: 0 done, 1 failed, 2 bad input (nothing was changed).
enum ExitCodes {
    static let badInput = ExitCode(2)
}

/// A refusal the operator can fix: printed without a stack of wrappers, exit code 2.
enum CLIError: Error {
    case badInput(String)
}
