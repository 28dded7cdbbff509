import Foundation
import GridcareServer
import GridcareTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The same router over a real loopback socket, so the HTTP server and the body limit are exercised as a
/// client meets them.
@Suite struct LiveSocketTests {
    @Test func servesProblemsAndPagesOverARealSocket() async throws {
        try await withTestDatabase { db, _ in
            let f = try await Fixture.make(db)
            let users = try await TestUsers.make(db, f)
            let app = Application(
                router: try buildRouter(config: testConfig(), client: db.client, logger: quiet),
                configuration: .init(address: .hostname("127.0.0.1", port: 0))
            )
            try await app.test(.live) { client in
                try await TestAuth.$token.withValue(users[.admin]) {
                    let (status, page, _) = try await client.call(.get, "/v1/households?microGridId=\(f.microGridIds[0])&limit=1")
                    #expect(status == .ok)
                    #expect(page.items.count == 1)
                    #expect(page["nextCursor"] is String)
                    let (missing, problem, headers) = try await client.call(.get, "/v1/care-teams/999999")
                    #expect(missing == .notFound)
                    #expect(problem["status"] as? Int == 404)
                    #expect(headers[.contentType] == "application/problem+json")
                    let big = try await client.execute(
                        uri: "/v1/areas",
                        method: .post,
                        headers: [.contentType: "application/json"],
                        body: .init(repeating: UInt8(ascii: " "), count: 2 << 20)
                    ) { $0.status }
                    #expect(big == .contentTooLarge)
                }
            }
        }
    }
}
