import Foundation
import Logging
import PostgresNIO

/// A `postgres://user:password@host:port/database` address, or a unix socket given as `?host=/path`.
public struct DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var socketPath: String?
    public var requireTLS: Bool

    public init(
        host: String,
        port: Int,
        username: String,
        password: String?,
        database: String,
        socketPath: String? = nil,
        requireTLS: Bool = false
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.socketPath = socketPath
        self.requireTLS = requireTLS
    }

    public init(parsing text: String) throws {
        guard let c = URLComponents(string: text), c.scheme == "postgres" || c.scheme == "postgresql" else {
            throw DatabaseURLError(text: text)
        }
        host = c.host?.isEmpty == false ? c.host! : "127.0.0.1"
        port = c.port ?? 5432
        username = c.user ?? "postgres"
        password = c.password
        let path = c.path.hasPrefix("/") ? String(c.path.dropFirst()) : c.path
        database = path.isEmpty ? username : path
        let items = c.queryItems ?? []
        socketPath = items.first { $0.name == "host" }?.value.map { dir in
            dir.hasSuffix(".s.PGSQL.\(c.port ?? 5432)") ? dir : dir + "/.s.PGSQL.\(c.port ?? 5432)"
        }
        requireTLS = items.first { $0.name == "sslmode" }?.value == "require"
    }

    /// The same server, another database.
    public func with(database: String) -> DatabaseURL {
        var copy = self
        copy.database = database
        return copy
    }

    public var clientConfiguration: PostgresClient.Configuration {
        var config: PostgresClient.Configuration
        if let socketPath {
            config = .init(unixSocketPath: socketPath, username: username, password: password, database: database)
        } else {
            config = .init(
                host: host,
                port: port,
                username: username,
                password: password,
                database: database,
                tls: requireTLS ? .require(.makeClientConfiguration()) : .disable
            )
        }
        return config
    }

    /// The address with the password hidden, for logs.
    public var description: String {
        "postgres://\(username)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)"
    }

    /// The full address including the password, for tools such as psql and pgbench.
    public var connectionString: String {
        let pw = password.map { ":" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0) } ?? ""
        return "postgresql://\(username)\(pw)@\(host):\(port)/\(database)"
    }
}

public struct DatabaseURLError: Error, CustomStringConvertible {
    public var text: String
    public var description: String { "database.url must look like postgres://user:password@host:5432/database" }
}

extension DatabaseURL {
    /// Creates the database on its server when it is missing (connecting to the `postgres` database).
    public func createDatabaseIfMissing(logger: Logger) async throws {
        let admin = PostgresClient(configuration: with(database: "postgres").clientConfiguration)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await admin.run() }
            defer { group.cancelAll() }
            let exists =
                try await admin.query("SELECT 1 FROM pg_database WHERE datname = \(database)", logger: logger)
                .collect().count > 0
            if !exists {
                do {
                    try await admin.query(
                        "CREATE DATABASE \(unescaped: "\"" + database.replacingOccurrences(of: "\"", with: "\"\"") + "\"")",
                        logger: logger
                    )
                } catch let error as PSQLError where error.serverInfo?[.sqlState] == "42P04" {
                    // Another process created it in the meantime.
                }
            }
        }
    }
}
