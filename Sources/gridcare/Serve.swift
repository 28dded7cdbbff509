import ArgumentParser
import Configuration
import Foundation
import GridcareServer
import GridcareStore
import Hummingbird
import Logging
import PostgresNIO

/// Runs the HTTP service (migrating first); stops the embedded database on shutdown if it started it.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the REST API and the web console (/app).")

    @OptionGroup var global: GlobalOptions

    @Option(help: "Address to listen on.") var host: String?
    @Option(help: "Port to listen on.") var port: Int?

    func run() async throws {
        var extra: [String: ConfigValue] = [:]
        if let host { extra["http.host"] = .init(.string(host), isSecret: false) }
        if let port { extra["http.port"] = .init(.int(port), isSecret: false) }
        let config = try await global.load(extra: extra)
        try await global.withDatabase(config) { info in
            // Refuse to serve under a login that row-level security would not restrict.
            try await withClient(try config.serviceDatabaseURL(owner: info.url), poolSize: 1) {
                try await ServiceLogin.verify($0, logger: info.logger)
            }
            let client = try makeServiceClient(url: info.url, config: config, logger: info.logger)
            let app = try buildApplication(config: config, client: client, logger: info.logger)
            info.logger.info("gridcare listening", metadata: ["address": "http://\(config.host):\(config.port)", "database": "\(info.url)"])
            // Written straight to the file descriptor: a buffered print would sit unseen behind a pipe.
            FileHandle.standardOutput.write(
                Data("Gridcare: API on http://\(config.host):\(config.port)/v1, web console on http://\(config.host):\(config.port)/app\n".utf8)
            )
            try await app.runService()
        }
    }
}
