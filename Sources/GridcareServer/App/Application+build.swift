import Foundation
import GridcareAPI
import GridcareCore
import GridcareStore
import Hummingbird
import Logging
import OpenAPIHummingbird
import OpenAPIRuntime
import PostgresNIO
import ServiceLifecycle

/// Builds the HTTP application on an already migrated database. The caller owns the PostgresClient's
/// lifetime only through the returned application's services. `callers` is the token cache to keep
/// (made from `security.callerCacheSeconds` when not given; a test brings its own to look into it).
public func buildApplication(
    config: AppConfig,
    client: PostgresClient,
    logger: Logger,
    callers: CallerCache? = nil
) throws -> some ApplicationProtocol {
    let vault = try config.identityVault()
    let callers = callers ?? (config.callerCacheSeconds > 0 ? CallerCache(maxAge: .seconds(config.callerCacheSeconds)) : nil)
    let replica = try config.replicaURL.map { url in
        ReadReplica(
            client: try makeServiceClient(url: try DatabaseURL(parsing: url), config: config, logger: logger),
            maxLag: .seconds(config.replicaMaxLagSeconds)
        )
    }
    let mobilisation = MobilisationRollup()
    let router = try buildRouter(
        config: config,
        client: client,
        vault: vault,
        logger: logger,
        callers: callers,
        replica: replica,
        mobilisation: mobilisation
    )
    let db = Database(client: client, logger: logger, vault: vault)
    var services: [any Service] = [client, BoardClock(db: db, rules: config.boardRules, logger: logger)]
    if let replica {
        services.append(replica.client)
        services.append(ReplicaMonitor(replica: replica, primary: client, logger: logger))
    }
    if let callers { services.append(CallerCacheListener(cache: callers, client: client, logger: logger)) }
    if config.clinicJobMinutes > 0 { services.append(ClinicClock(db: db, config: config, logger: logger)) }
    if config.referralLateCheckMinutes > 0 { services.append(ReferralClock(db: db, config: config, logger: logger)) }
    if config.audit.jobMinutes > 0 { services.append(AuditClock(db: db, settings: config.audit, logger: logger)) }
    if config.indicatorRefreshMinutes > 0 {
        services.append(
            IndicatorClock(db: db.scoped(.serviceJob, operation: "indicator clock"), config: config, mobilisation: mobilisation, logger: logger)
        )
    }
    // Without a channel there is nothing to send: the inbox needs no worker.
    if config.notifications.enabled, !config.notifications.channels.isEmpty {
        services.append(NotificationWorker(db: db, settings: config.notifications, logger: logger))
    }
    return Application(
        router: router,
        // A connection that has not sent a whole request head within the timeout is closed: a client
        // trickling header bytes holds a socket for that long at most (the idle timeout between requests too).
        server: .http1(configuration: .init(idleTimeout: .milliseconds(Int64(config.headerTimeout.components.seconds * 1000)))),
        configuration: .init(address: .hostname(config.host, port: config.port), serverName: "gridcare"),
        services: services,
        logger: logger
    )
}

/// The service's connection pool, signed in as the service's own login (ServiceLogin), never the owner's.
/// Every statement carries `statement_timeout`, so a query stuck behind a lock ends when its request's
/// deadline does (cancelling the request's task stops waiting for a connection, but not a statement the
/// server is already running).
public func makeServiceClient(url owner: DatabaseURL, config: AppConfig, logger: Logger) throws -> PostgresClient {
    var pool = try config.serviceDatabaseURL(owner: owner).clientConfiguration
    pool.options.maximumConnections = config.poolSize
    if config.statementTimeout > .zero {
        let ms = config.statementTimeout.inMilliseconds
        pool.options.additionalStartupParameters.append(("statement_timeout", "\(ms)"))
    }
    return PostgresClient(configuration: pool, backgroundLogger: logger)
}

/// The router alone, for tests that drive it without a socket.
/// `callers` keeps token checks in the service; it needs its CallerCacheListener running to be used.
/// `passwords` is the sign-in's bcrypt gate (made from the configuration unless a test brings its own).
/// `replica` is where reports read while it keeps up; it needs its ReplicaMonitor running to be used.
public func buildRouter(
    config: AppConfig,
    client: PostgresClient,
    vault: IdentityVault? = nil,
    logger: Logger,
    passwords: PasswordChecker? = nil,
    callers: CallerCache? = nil,
    replica: ReadReplica? = nil,
    mobilisation: MobilisationRollup = MobilisationRollup()
) throws -> Router<GridcareRequestContext> {
    var db = Database(client: client, logger: logger, vault: try vault ?? config.identityVault(), callers: callers)
    db.replica = replica
    let router = Router(context: GridcareRequestContext.self)
    let document = try OpenAPIDocument.yaml()
    let metrics = ServiceMetrics()
    router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
    router.add(middleware: SecurityHeadersMiddleware())
    router.add(middleware: ProblemMiddleware(routes: RouteTable(openAPIYAML: String(decoding: document, as: UTF8.self))))
    router.add(middleware: ClientAddressMiddleware())
    router.add(middleware: BodyLimitMiddleware(maxBytes: config.maxBodyBytes))
    router.add(middleware: ETagQuotesMiddleware())
    // The console's stylesheet and scripts: served when no route matched, cached for a day (a new
    // release renames nothing, so a day is as stale as they get).
    router.add(
        middleware: FileMiddleware(
            try Console.resources.appendingPathComponent("static").path,
            urlBasePath: "/app/static",
            cacheControl: .init([(MediaType(type: .any), [.public, .maxAge(86_400)])]),
            logger: logger
        )
    )
    router.get("/openapi.yaml") { _, _ in
        Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: ByteBuffer(bytes: document)))
    }
    let passwords = passwords ?? PasswordChecker(slots: config.bcryptConcurrency, cost: config.bcryptCost)
    let heavyWork = Admission(limit: config.maxConcurrentHeavyWork, retryAfterSeconds: config.heavyWorkRetryAfterSeconds)
    let liveCounts = Admission(
        limit: config.maxConcurrentLiveCounts,
        retryAfterSeconds: config.heavyWorkRetryAfterSeconds,
        work: "live indicator counts"
    )
    let handler = APIHandler(
        database: db,
        config: config,
        heavyWork: heavyWork,
        liveCounts: liveCounts,
        mobilisation: mobilisation,
        passwords: passwords
    )
    OperationsRoutes(
        database: db,
        metrics: metrics,
        heavyWork: heavyWork,
        poolSize: config.poolSize,
        expectedMigrations: (try? Migrator(directory: Migrator.defaultDirectory(configured: config.migrationsDirectory)))?.migrations.map(\.version),
        loopbackReadsMetrics: config.metricsFromLoopback
    ).register(on: router)
    try Console(
        database: db,
        config: config,
        signIn: SignIn(database: db, config: config, passwords: passwords),
        heavyWork: heavyWork,
        liveCounts: liveCounts,
        mobilisation: mobilisation
    )
    .register(on: router)
    // A deadline of 0 turns the middleware off (for measuring what it costs).
    var middlewares: [any ServerMiddleware] =
        config.requestDeadline > .zero
        ? [DeadlineMiddleware(deadline: config.requestDeadline, indicatorLiveCount: .seconds(config.indicatorLiveCountSeconds))] : []
    middlewares.append(AuthMiddleware(db: db))
    middlewares.append(EmptyBodyMiddleware(maxBodyBytes: config.maxBodyBytes))
    middlewares.append(NoNullsMiddleware(maxBodyBytes: config.maxBodyBytes))
    middlewares.append(IdempotencyMiddleware(store: IdempotencyStore(db), maxBodyBytes: config.maxBodyBytes))
    // Compact JSON: the runtime's default (sorted keys, pretty-printed) spent a third of the service's CPU
    // on a 500-row due list. The generated encoders write keys in one fixed order, so bodies stay stable.
    try handler.registerHandlers(on: router, configuration: .init(jsonEncodingOptions: []), middlewares: middlewares)
    return router
}

/// The implementation of every operation in openapi.yaml; one file per feature holds its part.
struct APIHandler: APIProtocol {
    /// The unscoped pool; handlers use `db`, which is the caller's view of it.
    let database: Database
    let config: AppConfig
    /// The places for solves and mobilisation checks, shared by every request.
    let heavyWork: Admission
    /// The places for the dashboard's live counts, shared with the console.
    let liveCounts: Admission
    /// The indicator clock's last mobilisation check per district, for the dashboard.
    let mobilisation: MobilisationRollup
    /// Sign-in's bcrypt checks, a bounded number at once.
    let passwords: PasswordChecker

    var logger: Logger { RequestScope.logger }

    /// The database as the signed-in caller sees it: every store built on it runs in their scope.
    var db: Database { database.scoped(RequestScope.actor?.scope, operation: RequestScope.operation) }

    /// Today in the service's zone (China has one: Asia/Shanghai).
    var today: SimpleDate { SimpleDate.todayInChina() }

    func health(_ input: Operations.Health.Input) async throws -> Operations.Health.Output {
        try await database.client.query("SELECT 1", logger: logger)
        return .ok(.init(body: .json(.init(status: "ok", database: "ok"))))
    }
}

/// The ETag of a record at `version`; `version(ifMatch:)` reads it back.
func etag(_ version: Int) -> String { "\"\(version)\"" }

/// Reads the optional `If-Match` header: `*`, or the version as an entity tag (`"3"`, `W/"3"`) or bare (`3`).
/// Anything else is a malformed header (400), not a failed precondition.
func version(ifMatch: String?) throws -> Int? {
    guard let raw = ifMatch, raw != "*" else { return nil }
    var digits = Substring(raw)
    if digits.hasPrefix("W/") { digits = digits.dropFirst(2) }
    if digits.count >= 2, digits.hasPrefix("\""), digits.hasSuffix("\"") { digits = digits.dropFirst().dropLast() }
    guard (1...9).contains(digits.count), digits.allSatisfy(\.isASCII), let v = Int(digits), digits.allSatisfy(\.isNumber) else {
        throw Problem(
            status: .badRequest,
            detail: "If-Match must be * or an ETag this service issued.",
            errors: [FieldError("If-Match", "is not a version")]
        )
    }
    return v
}

/// Parses a `YYYY-MM-DD` parameter or body field.
func date(_ raw: String?, field: String) throws -> SimpleDate? {
    guard let raw else { return nil }
    guard let d = SimpleDate(iso: raw) else { throw FieldError(field, "must be a date YYYY-MM-DD") }
    return d
}

func pageRequest(cursor: String?, limit: Int32?) throws -> PageRequest {
    try PageRequest(cursor: cursor, limit: limit.map(Int.init))
}

/// A number from the request inside the bounds the API document gives it.
func within(_ value: Double, _ range: ClosedRange<Double>, _ field: String) throws(FieldError) -> Double {
    guard range.contains(value) else { throw FieldError(field, "must be \(range.lowerBound)–\(range.upperBound)") }
    return value
}

/// Refuses a list that names a value twice (the schema says `uniqueItems`).
func distinct(_ values: [String]?, _ field: String) throws(FieldError) {
    guard let values, Set(values).count != values.count else { return }
    throw FieldError(field, "lists a value twice")
}

/// An optional count parameter, defaulted and bounded (the runtime does not check the schema's bounds).
func bounded(_ value: Int32?, _ field: String, default fallback: Int, max: Int) throws(FieldError) -> Int {
    guard let value else { return fallback }
    guard value >= 1, value <= max else { throw FieldError(field, "must be 1–\(max)") }
    return Int(value)
}
