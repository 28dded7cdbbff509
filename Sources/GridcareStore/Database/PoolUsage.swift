import PostgresNIO
import Synchronization

/// How the service's requests use its connection pool, counted where `Database` leases a connection
/// (PostgresNIO keeps its own counts private): leases waiting for a connection, leases holding one, and
/// statements the server cancelled for `statement_timeout`. `/metrics` reads them.
public final class PoolUsage: Sendable {
    private let waitingCount = Atomic<Int>(0)
    private let inUseCount = Atomic<Int>(0)
    private let timeoutCount = Atomic<Int>(0)

    /// One count per pool: every `Database` over the same client shares it.
    public static func of(_ client: PostgresClient) -> PoolUsage {
        registry.withLock { all in
            let key = ObjectIdentifier(client)
            if let found = all[key] { return found }
            let made = PoolUsage()
            all[key] = made
            return made
        }
    }

    private static let registry = Mutex<[ObjectIdentifier: PoolUsage]>([:])

    public var waiting: Int { waitingCount.load(ordering: .relaxed) }
    public var inUse: Int { inUseCount.load(ordering: .relaxed) }
    public var statementTimeouts: Int { timeoutCount.load(ordering: .relaxed) }

    /// Runs `body` on a leased connection, counting the wait, the hold and a statement timeout it ends with.
    func lease<T: Sendable>(_ client: PostgresClient, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        waitingCount.add(1, ordering: .relaxed)
        var waited = true
        defer { if waited { waitingCount.subtract(1, ordering: .relaxed) } }
        do {
            return try await client.withConnection { connection in
                waitingCount.subtract(1, ordering: .relaxed)
                waited = false
                inUseCount.add(1, ordering: .relaxed)
                defer { inUseCount.subtract(1, ordering: .relaxed) }
                return try await body(connection)
            }
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "57014" {
            timeoutCount.add(1, ordering: .relaxed)
            throw error
        }
    }
}
