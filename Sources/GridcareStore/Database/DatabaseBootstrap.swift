import Foundation
import GridcareCore
import Logging
import PostgresNIO

/// Finds the database the configuration names (or starts the embedded one), creates it if missing, and
/// applies pending migrations and the configured visit rules: what `serve`, `migrate`, `demo` and
/// `import` all need first.
public struct DatabaseBootstrap: Sendable {
    public var url: DatabaseURL
    /// The embedded cluster, when this process started it (and so must stop it).
    public var startedCluster: EmbeddedPostgres?

    public static func open(
        configuredURL: String?,
        embeddedDataDirectory: String,
        embeddedBinDirectory: String?,
        migrationsDirectory: String?,
        migrate: Bool = true,
        visitRules: VisitRules = VisitRules(),
        vault: IdentityVault?,
        serviceRole: String? = nil,
        archivesWAL: Bool = false,
        logger: Logger
    ) async throws -> DatabaseBootstrap {
        let url: DatabaseURL
        var started: EmbeddedPostgres?
        if let configuredURL {
            url = try DatabaseURL(parsing: configuredURL)
        } else {
            let cluster = try EmbeddedPostgres(
                dataDirectory: embeddedDataDirectory,
                binDirectory: embeddedBinDirectory,
                archivesWAL: archivesWAL,
                logger: logger
            )
            let (u, startedHere) = try cluster.start()
            url = u
            if startedHere { started = cluster }
        }
        let boot = DatabaseBootstrap(url: url, startedCluster: started)
        do {
            try await url.createDatabaseIfMissing(logger: logger)
            if migrate {
                let migrator = try Migrator(directory: Migrator.defaultDirectory(configured: migrationsDirectory))
                try await withClient(url, poolSize: 1) { client in
                    try await migrator.migrate(client, vault: vault, logger: logger)
                    try await client.withConnection { try await DueVisitStore.adopt(visitRules, on: $0, logger: logger) }
                    if let serviceRole { try await ServiceLogin.ensure(client, owner: url, role: serviceRole, logger: logger) }
                }
            }
        } catch {
            boot.close()
            throw error
        }
        return boot
    }

    /// Stops the embedded cluster if this process started it.
    public func close() {
        try? startedCluster?.stop()
    }
}

/// Runs `body` with a running client on `url`, shutting the client down afterwards.
public func withClient<T: Sendable>(
    _ url: DatabaseURL,
    poolSize: Int = 4,
    logger: Logger? = nil,
    _ body: @Sendable (PostgresClient) async throws -> T
) async throws -> T {
    var config = url.clientConfiguration
    config.options.maximumConnections = poolSize
    let client = PostgresClient(
        configuration: config,
        backgroundLogger: logger ?? Logger(label: "postgres", factory: { _ in SwiftLogNoOpLogHandler() })
    )
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            await client.run()
            return nil
        }
        defer { group.cancelAll() }
        return try await body(client)
    }
}
