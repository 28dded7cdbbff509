import Foundation
import GridcareCore
import GridcareServer
import GridcareStore
import GridcareTestSupport
import HTTPTypes
import HummingbirdTesting
import Testing

private let key = HTTPField.Name("Idempotency-Key")!

@Suite struct IdempotencyTests {
    func body(_ f: Fixture, n: Int) -> [String: Any] {
        let born = SimpleDate(year: 1950, month: 3, day: 9)!
        return ["householdId": f.householdIds[0], "name": "陈阿婆", "sex": "female", "birthDate": born.iso,
                "idNumber": IDCardNumber.make(region: 510104, birth: born, sequence: n * 2).value]
    }

    @Test func aReplayReturnsTheFirstResponseAndCreatesNothing() async throws {
        try await withAPI { client, f in
            let (first, created, _) = try await client.call(.post, "/v1/residents", json: body(f, n: 1), headers: [key: "abc-1"])
            #expect(first == .created)
            let (again, replayed, headers) = try await client.call(.post, "/v1/residents", json: body(f, n: 1), headers: [key: "abc-1"])
            #expect(again == .created)
            #expect(replayed.id == created.id)
            #expect(headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            let (_, page, _) = try await client.call(.get, "/v1/residents?householdId=\(f.householdIds[0])")
            #expect(page.items.count == 1)

            let (other, problem, _) = try await client.call(.post, "/v1/residents", json: body(f, n: 2), headers: [key: "abc-1"])
            #expect(other == .unprocessableContent)
            #expect(problem.field == "Idempotency-Key")
        }
    }

    /// A key names one request: the same key and body on another record's path is not a replay of the first.
    @Test func theSameKeyOnAnotherRecordIsNotAReplay() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            var flags: [Int64] = []
            for category in ["living_alone", "empty_nest"] {
                let (_, flag, _) = try await client.call(.post, "/v1/flags", json: ["residentId": p.inside.id, "category": category, "tier": "red",
                                                                                    "population": "key"], token: users[.gridWorker])
                flags.append(flag.id)
            }
            let (first, _, _) = try await client.call(.post, "/v1/flags/\(flags[0])/decision", json: ["action": "confirm"], headers: [key: "decide"],
                                                      token: users[.centreStaff])
            #expect(first == .ok)
            let (second, problem, headers) = try await client.call(.post, "/v1/flags/\(flags[1])/decision", json: ["action": "confirm"],
                                                                   headers: [key: "decide"], token: users[.centreStaff])
            #expect(second == .unprocessableContent && problem.field == "Idempotency-Key")
            #expect(headers[HTTPField.Name("Idempotent-Replayed")!] == nil)
            let (_, untouched, _) = try await client.call(.get, "/v1/flags/\(flags[1])", token: users[.centreStaff])
            #expect(untouched["status"] as? String == "raised")
        }
    }

    @Test func aRefusedRequestDoesNotHoldItsKey() async throws {
        try await withAPI { client, f in
            var bad = body(f, n: 1)
            bad["householdId"] = 999_999
            let (refused, _, _) = try await client.call(.post, "/v1/residents", json: bad, headers: [key: "k-2"])
            #expect(refused == .unprocessableContent)
            let (again, _, _) = try await client.call(.post, "/v1/residents", json: bad, headers: [key: "k-2"])
            #expect(again == .unprocessableContent)
        }
    }

    @Test func aHundredConcurrentRequestsUnderOneKeyCreateOneRecord() async throws {
        try await withAPI(config: concurrencyConfig()) { client, f in
            let payload = try JSONSerialization.data(withJSONObject: body(f, n: 7))
            let ids = try await withThrowingTaskGroup(of: (HTTPResponse.Status, Int64).self) { group in
                for _ in 0..<100 {
                    group.addTask {
                        try await client.execute(uri: "/v1/residents", method: .post,
                                                 headers: [key: "same-key", .contentType: "application/json", .authorization: "Bearer \(TestAuth.token!)"],
                                                 body: .init(bytes: payload)) { response in
                            let json = (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:]
                            return (response.status, json.id)
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(ids.allSatisfy { $0.0 == .created })
            #expect(Set(ids.map(\.1)).count == 1)
            let (_, page, _) = try await client.call(.get, "/v1/residents?householdId=\(f.householdIds[0])")
            #expect(page.items.count == 1)
        }
    }
}

@Suite struct IdempotencyExpiryTests {
    @Test func keysOlderThanADayAreSweptWhenANewKeyFinishes() async throws {
        try await withTestDatabase { db, _ in
            try await db.client.query("""
                INSERT INTO idempotency_key (operation, key, request_body, status, created_at)
                VALUES ('createArea', 'old', '\\x7b7d', 201, now() - interval '25 hours'),
                       ('createArea', 'recent', '\\x7b7d', 201, now() - interval '23 hours')
                """)
            let store = IdempotencyStore(db)
            #expect(try await store.claim(userId: 0, operation: "createArea", key: "new", body: [1], logger: quiet) == .first)
            try await store.finish(userId: 0, operation: "createArea", key: "new", status: 201, contentType: nil, body: [], logger: quiet)
            let keys = try await db.client.query("SELECT key FROM idempotency_key ORDER BY key").decode(String.self).all()
            #expect(keys == ["new", "recent"])
        }
    }
}
