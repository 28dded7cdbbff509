import Foundation
import GridcareCore
import GridcareStore
import Hummingbird
import Logging

/// `/metrics` and `/readyz`, for the people who run the service rather than use it: plain routes beside
/// the API (not in openapi.yaml: Prometheus's text format is not JSON, and neither is for API clients).
struct OperationsRoutes: Sendable {
    let database: Database
    let metrics: ServiceMetrics
    let heavyWork: Admission
    let poolSize: Int
    /// The migrations this build knows, for readiness; nil when the folder could not be read.
    let expectedMigrations: [Int]?
    /// Whether a request from loopback may read `/metrics` without a token (a Prometheus on the same
    /// host). Turn it off when a proxy on the same host forwards outside requests.
    let loopbackReadsMetrics: Bool

    func register(on router: Router<GridcareRequestContext>) {
        router.get("/readyz") { _, context in try await self.readiness(logger: context.logger) }
        router.get("/metrics") { request, context in try await self.scrape(request, context: context) }
    }

    func readiness(logger: Logger) async throws -> Response {
        var report = await Readiness.check(database, expected: expectedMigrations ?? [], logger: logger)
        if expectedMigrations == nil { report.database = report.database == "ok" ? "migrations folder unreadable" : report.database }
        let body: [String: String] = [
            "status": report.ready ? "ready" : "not ready",
            "database": report.database,
            "pendingMigrations": report.pendingMigrations.map(String.init).joined(separator: ","),
        ]
        let data = try JSONEncoder.gridcare.encode(body)
        return Response(
            status: report.ready ? .ok : .serviceUnavailable,
            headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }

    func scrape(_ request: Request, context: GridcareRequestContext) async throws -> Response {
        try await admitScrape(request, context: context)
        // The outbox is the database's, shared by every copy of the service; a scrape still answers
        // (with outbox_readable 0) when the database does not.
        let outbox = try? await Outbox(database.scoped(.serviceJob, operation: "metrics")).backlog(logger: context.logger)
        let text = metrics.scrape(pool: database.pool, poolSize: poolSize, heavyWork: heavyWork, outbox: outbox, replica: database.replica)
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }

    /// Loopback (when allowed) or an administrator's bearer token; anyone else is told nothing more
    /// than 401 (no or a dead token) or 403 (a signed-in user who is not an administrator).
    func admitScrape(_ request: Request, context: GridcareRequestContext) async throws {
        if loopbackReadsMetrics, let address = context.remoteAddress?.ipAddress, address == "127.0.0.1" || address == "::1" {
            return
        }
        guard let token = AuthMiddleware.bearer(request.headers[.authorization]),
            let caller = try await TokenStore(database).authenticate(token, logger: context.logger)
        else {
            throw Problem(status: .unauthorized, detail: "Metrics are for administrators: send an administrator's bearer token.")
        }
        guard caller.role == .admin else {
            try await AuditLog(database.scoped(caller.scope, operation: "metrics")).record(
                .call,
                outcome: .denied,
                detail: "role",
                logger: context.logger
            )
            throw Problem(status: .forbidden, detail: "Only administrators may read the service's metrics.")
        }
    }
}
