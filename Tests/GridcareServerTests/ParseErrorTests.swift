import Foundation
import GridcareTestSupport
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// What cannot be parsed answers 400 naming the parameter or `body`; what parses but breaks a rule, 422.
@Suite struct ParseErrorTests {
    @Test func aMalformedPathParameterIs400NamingIt() async throws {
        try await withAPI { client, f in
            var (status, problem, _) = try await client.call(.get, "/v1/residents/abc")
            #expect(status == .badRequest && problem.field == "id", "\(problem)")
            (status, problem, _) = try await client.call(.patch, "/v1/households/1x", json: ["address": "光华街1号"])
            #expect(status == .badRequest && problem.field == "id", "\(problem)")
            (status, problem, _) = try await client.call(.delete, "/v1/care-teams/\(f.teamId)/catchment/nope")
            #expect(status == .badRequest && problem.field == "microGridId", "\(problem)")
            // A well-formed id of no record is still 404.
            (status, _, _) = try await client.call(.get, "/v1/residents/424242")
            #expect(status == .notFound)
        }
    }

    @Test func aBodyThatIsNotJSONIs400AndAWellFormedWrongOne422() async throws {
        try await withAPI { client, f in
            let status = try await client.execute(
                uri: "/v1/households",
                method: .post,
                headers: [.contentType: "application/json", .authorization: "Bearer \(TestAuth.token!)"],
                body: ByteBuffer(string: "{\"microGridId\": 1, address")
            ) { response in
                (response.status, (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:])
            }
            #expect(status.0 == .badRequest && status.1.field == "body", "\(status.1)")
            let (wrong, problem, _) = try await client.call(
                .post,
                "/v1/households",
                json: [
                    "microGridId": f.microGridIds[0], "address": 7,
                    "latitude": 30.6, "longitude": 104.0,
                ]
            )
            #expect(wrong == .unprocessableContent && problem.field == "address", "\(problem)")
        }
    }
}
