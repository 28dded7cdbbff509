import Configuration
import Foundation
import GridcareServer
import GridcareStore
import GridcareTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

func testConfig(_ values: [AbsoluteConfigKey: ConfigValue] = [:]) -> AppConfig {
    AppConfig(reader: ConfigReader(provider: InMemoryProvider(values: values)))
}

/// Runs `body` against the real router on a fresh database holding the fixture district.
func withAPI(config: AppConfig = testConfig(),
             _ body: @Sendable @escaping (any TestClientProtocol, Fixture) async throws -> Void) async throws {
    try await withTestDatabase { db, _ in
        let fixture = try await Fixture.make(db)
        let app = Application(router: try buildRouter(config: config, client: db.client, logger: quiet))
        try await app.test(.router) { client in try await body(client, fixture) }
    }
}

extension TestClientProtocol {
    /// Sends JSON (or nothing) and returns the status and the decoded JSON body.
    @discardableResult
    func call(_ method: HTTPRequest.Method, _ uri: String, json: Any? = nil, headers: HTTPFields = [:]) async throws -> (HTTPResponse.Status, [String: Any], HTTPFields) {
        var headers = headers
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
}

extension [String: Any] {
    var id: Int64 { (self["id"] as? NSNumber)?.int64Value ?? -1 }
    var field: String? { self["field"] as? String }
    var items: [[String: Any]] { self["items"] as? [[String: Any]] ?? [] }
}
