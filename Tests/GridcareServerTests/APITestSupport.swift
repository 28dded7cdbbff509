import Configuration
import Foundation
import GridcareAPI
import GridcareServer
import GridcareStore
import GridcareTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PostgresNIO
import Testing

let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

func testConfig(_ values: [AbsoluteConfigKey: ConfigValue] = [:]) -> AppConfig {
    var values = values
    values[AbsoluteConfigKey(["auth", "bcryptCost"])] =
        values[AbsoluteConfigKey(["auth", "bcryptCost"])] ?? .init(.int(TestUsers.bcryptCost), isSecret: false)
    values[AbsoluteConfigKey(["security", "identityKey"])] = .init(.string(TestDatabase.identityKeyBase64), isSecret: true)
    // The whole suite starts at once on two cores, every test cloning its database: a request may wait
    // seconds for the server then. Tests of the deadline itself set their own; the others check answers.
    values[AbsoluteConfigKey(["http", "requestDeadlineMs"])] =
        values[AbsoluteConfigKey(["http", "requestDeadlineMs"])] ?? .init(.int(30_000), isSecret: false)
    // Two hundred and more tests share one test cluster's 200 connections: a small pool each, unless a test
    // of concurrency asks for more.
    values[AbsoluteConfigKey(["database", "poolSize"])] = values[AbsoluteConfigKey(["database", "poolSize"])] ?? .init(.int(4), isSecret: false)
    // The dashboard's clock is the indicator tests' to run (IndicatorStore.refresh), not every test's.
    values[AbsoluteConfigKey(["rules", "indicators", "refreshMinutes"])] =
        values[AbsoluteConfigKey(["rules", "indicators", "refreshMinutes"])] ?? .init(.int(0), isSecret: false)
    // The delivery worker is started by the notification tests themselves, against their receivers.
    values[AbsoluteConfigKey(["notifications", "enabled"])] =
        values[AbsoluteConfigKey(["notifications", "enabled"])] ?? .init(.bool(false), isSecret: false)
    // Tokens are checked in the database on every request unless a test asks for the caller cache: a
    // test that changes a team in SQL and asks again at once would otherwise race the notification.
    values[AbsoluteConfigKey(["security", "callerCacheSeconds"])] =
        values[AbsoluteConfigKey(["security", "callerCacheSeconds"])] ?? .init(.int(0), isSecret: false)
    // The audit trail's clock (months ahead, archive) is the partition tests' to run.
    values[AbsoluteConfigKey(["audit", "jobMinutes"])] = values[AbsoluteConfigKey(["audit", "jobMinutes"])] ?? .init(.int(0), isSecret: false)
    return AppConfig(reader: ConfigReader(provider: InMemoryProvider(values: values)))
}

/// For tests of invariants under many concurrent clients: the 2-core test machine runs the whole suite
/// at once, so their requests may queue past the production deadline; the check is the invariant, not
/// the latency (benchmarks measure that).
func concurrencyConfig(_ values: [AbsoluteConfigKey: ConfigValue] = [:]) -> AppConfig {
    var values = values
    values[AbsoluteConfigKey(["http", "requestDeadlineMs"])] = .init(.int(60_000), isSecret: false)
    return testConfig(values)
}

/// The token `call` sends when none is given: withAPI sets the administrator's.
enum TestAuth {
    @TaskLocal static var token: String?
}

/// Runs `body` against the application `serve` runs (buildApplication: the router, the pool, the board's
/// and the clinics' clocks as its services) on a fresh database holding the fixture district and a user of
/// each role. The pool connects as the service role, so row-level security is in force.
func withScopedAPI(
    config: AppConfig = testConfig(),
    poolSize: Int? = nil,
    callers: CallerCache? = nil,
    _ body: @Sendable @escaping (any TestClientProtocol, Fixture, TestUsers, Database) async throws -> Void
) async throws {
    try await withTestDatabase { db, url in
        let fixture = try await Fixture.make(db)
        let users = try await TestUsers.make(db, fixture)
        var config = config
        if let poolSize { config.poolSize = poolSize }
        let service = try makeServiceClient(url: url, config: config, logger: quiet)
        // The router test framework runs the application's services around the test, as `serve` does.
        let app = try buildApplication(config: config, client: service, logger: quiet, callers: callers)
        try await app.test(.router) { client in
            try await TestAuth.$token.withValue(users[.admin]) { try await body(client, fixture, users, db) }
        }
    }
}

/// withScopedAPI for tests that act as the administrator throughout.
func withAPI(
    config: AppConfig = testConfig(),
    _ body: @Sendable @escaping (any TestClientProtocol, Fixture) async throws -> Void
) async throws {
    try await withScopedAPI(config: config) { client, f, _, _ in try await body(client, f) }
}

extension TestClientProtocol {
    /// Sends JSON (or nothing) with a bearer token and returns the status and the decoded JSON body.
    @discardableResult
    func call(
        _ method: HTTPRequest.Method,
        _ uri: String,
        json: Any? = nil,
        headers: HTTPFields = [:],
        token: String? = TestAuth.token
    ) async throws -> (HTTPResponse.Status, [String: Any], HTTPFields) {
        var headers = headers
        if let token, headers[.authorization] == nil { headers[.authorization] = "Bearer \(token)" }
        var body: ByteBuffer?
        if let json {
            headers[.contentType] = "application/json"
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json))
        }
        return try await execute(uri: uri, method: method, headers: headers, body: body) { response in
            let data = Data(buffer: response.body)
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
            return (response.status, object, response.headers)
        }
    }

    /// Signs in with the test users' password and returns the new token.
    func signIn(_ username: String) async throws -> String {
        let (status, session, _) = try await call(
            .post,
            "/v1/sessions",
            json: ["username": username, "password": TestUsers.password],
            token: nil
        )
        #expect(status == .created)
        return try #require(session["token"] as? String)
    }

    /// Sends like `call` and decodes the body into `T`, a type generated from openapi.yaml, so the test reads
    /// the answer as a client of the spec would: a field renamed, retyped or missing fails the decode.
    func call<T: Decodable>(
        _ method: HTTPRequest.Method,
        _ uri: String,
        json: Any? = nil,
        token: String? = TestAuth.token,
        as _: T.Type
    ) async throws -> (HTTPResponse.Status, T) {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        var body: ByteBuffer?
        if let json {
            headers[.contentType] = "application/json"
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json))
        }
        return try await execute(uri: uri, method: method, headers: headers, body: body) { response in
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            return (response.status, try decoder.decode(T.self, from: Data(buffer: response.body)))
        }
    }

    /// The raw body, for comparing two answers byte for byte.
    func raw(_ method: HTTPRequest.Method, _ uri: String, json: Any? = nil, token: String?) async throws -> (HTTPResponse.Status, String) {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        var body: ByteBuffer?
        if let json {
            headers[.contentType] = "application/json"
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json))
        }
        return try await execute(uri: uri, method: method, headers: headers, body: body) { ($0.status, String(buffer: $0.body)) }
    }
}

extension [String: Any] {
    var id: Int64 { (self["id"] as? NSNumber)?.int64Value ?? -1 }
    var field: String? { self["field"] as? String }
    var items: [[String: Any]] { self["items"] as? [[String: Any]] ?? [] }
}
