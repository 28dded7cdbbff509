import Foundation
import GridcareCore
import GridcareServer
import GridcareStore
import GridcareTestSupport
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import Testing

private let key = HTTPField.Name("Idempotency-Key")!

@Suite struct IdempotencyTests {
    func body(_ f: Fixture, n: Int) -> [String: Any] {
        let born = SimpleDate(year: 1950, month: 3, day: 9)!
        return [
            "householdId": f.householdIds[0], "name": "陈阿婆", "sex": "female", "birthDate": born.iso,
            "idNumber": IDCardNumber.make(region: 510104, birth: born, sequence: n * 2).value,
        ]
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
                let (_, flag, _) = try await client.call(
                    .post,
                    "/v1/flags",
                    json: [
                        "residentId": p.inside.id, "category": category, "tier": "red",
                        "population": "key",
                    ],
                    token: users[.gridWorker]
                )
                flags.append(flag.id)
            }
            let (first, _, _) = try await client.call(
                .post,
                "/v1/flags/\(flags[0])/decision",
                json: ["action": "confirm"],
                headers: [key: "decide"],
                token: users[.centreStaff]
            )
            #expect(first == .ok)
            let (second, problem, headers) = try await client.call(
                .post,
                "/v1/flags/\(flags[1])/decision",
                json: ["action": "confirm"],
                headers: [key: "decide"],
                token: users[.centreStaff]
            )
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
                        try await client.execute(
                            uri: "/v1/residents",
                            method: .post,
                            headers: [key: "same-key", .contentType: "application/json", .authorization: "Bearer \(TestAuth.token!)"],
                            body: .init(bytes: payload)
                        ) { response in
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

/// What the idempotency table may hold: a hash of the request and a response without secrets, never a
/// body; and a key commits with its record and response or not at all.
@Suite struct IdempotencyStorageTests {
    /// Every row of the table as text, bytea in hex: wherever a secret went, it shows.
    static func everything(_ db: Database) async throws -> [String] {
        try await db.client.query("SELECT k::text FROM idempotency_key k").decode(String.self).all()
    }

    static func hex(_ s: String) -> String { s.utf8.map { String(format: "%02x", $0) }.joined() }

    static func holds(_ rows: [String], _ secret: String) -> Bool {
        rows.contains { $0.contains(secret) || $0.contains(hex(secret)) }
    }

    @Test func signInIgnoresTheKeySoNeitherPasswordNorTokenIsKept() async throws {
        try await withScopedAPI { client, _, _, db in
            let body = ["username": "doctor", "password": TestUsers.password]
            let (first, a, firstHeaders) = try await client.call(.post, "/v1/sessions", json: body, headers: [key: "sign-in-1"], token: nil)
            let (second, b, secondHeaders) = try await client.call(.post, "/v1/sessions", json: body, headers: [key: "sign-in-1"], token: nil)
            #expect(first == .created && second == .created)
            let tokens = [a["token"] as? String, b["token"] as? String].compactMap { $0 }
            #expect(tokens.count == 2 && tokens[0] != tokens[1])  // a retry signs in afresh: no token is replayed
            #expect(firstHeaders[HTTPField.Name("Idempotent-Replayed")!] == nil && secondHeaders[HTTPField.Name("Idempotent-Replayed")!] == nil)
            let rows = try await Self.everything(db)
            #expect(!Self.holds(rows, TestUsers.password))
            for token in tokens { #expect(!Self.holds(rows, token)) }
            #expect(rows.isEmpty)
        }
    }

    @Test func aResidentCreatedWithAKeyLeavesNoIdentityNumberInTheTable() async throws {
        try await withScopedAPI { client, f, _, db in
            let idNumber = IdempotencyTests().body(f, n: 3)["idNumber"] as! String
            let (first, created, _) = try await client.call(.post, "/v1/residents", json: IdempotencyTests().body(f, n: 3), headers: [key: "id-1"])
            #expect(first == .created)
            let (again, replayed, headers) = try await client.call(
                .post,
                "/v1/residents",
                json: IdempotencyTests().body(f, n: 3),
                headers: [key: "id-1"]
            )
            #expect(again == .created && replayed.id == created.id && headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            let rows = try await Self.everything(db)
            #expect(rows.count == 1)
            #expect(!Self.holds(rows, idNumber))
            // What is kept of the request is a SHA-256.
            let hashes = try await db.client.query("SELECT length(request_hash) FROM idempotency_key").decode(Int.self).all()
            #expect(hashes == [32])
        }
    }

    /// A failure after the request's write and before its response is stored (here the response cannot be
    /// stored: its status breaks the table's CHECK; in life a lost connection or a crash): neither the
    /// record nor the key may survive, and the retry then creates the record once, under the key, and the
    /// next retry replays it.
    @Test func aFailureBetweenTheWriteAndItsStoredResponseLeavesNeitherRecordNorKey() async throws {
        try await withTestDatabase { db, _ in
            let f = try await Fixture.make(db)
            let store = IdempotencyStore(db)
            let fingerprint = Array("/v1/households\u{0}{}".utf8)
            let draft = HouseholdDraft(microGridId: f.microGridIds[0], externalRef: "K1", address: "幂等路1号", latitude: 30.66, longitude: 104.06)
            let response = IdempotencyStore.Response(status: 201, contentType: "application/json", body: Array("{\"ok\":true}".utf8))
            func households() async throws -> Int {
                try await db.client.query("SELECT count(*) FROM household WHERE external_ref = 'K1'").decode(Int.self).all().first ?? -1
            }
            func keys() async throws -> Int {
                try await db.client.query("SELECT count(*) FROM idempotency_key").decode(Int.self).all().first ?? -1
            }

            await #expect(throws: PSQLError.self) {
                _ = try await store.perform(userId: 1, operation: "createHousehold", key: "cut", fingerprint: fingerprint, logger: quiet) {
                    let made = try await HouseholdStore(db).create(draft, logger: quiet)
                    // The write joined the request's transaction: nobody else sees it yet.
                    #expect(try await households() == 0)
                    var unstorable = response
                    unstorable.status = 0
                    return (made.id, unstorable)
                }
            }
            #expect(try await households() == 0)
            #expect(try await keys() == 0)

            // A handler failing after its write (a 500, the deadline) rolls the write back with the claim.
            struct Boom: Error {}
            await #expect(throws: Boom.self) {
                _ = try await store.perform(userId: 1, operation: "createHousehold", key: "cut", fingerprint: fingerprint, logger: quiet) {
                    () async throws -> (Int64, IdempotencyStore.Response?) in
                    _ = try await HouseholdStore(db).create(draft, logger: quiet)
                    throw Boom()
                }
            }
            #expect(try await households() == 0)
            #expect(try await keys() == 0)

            let retry = try await store.perform(userId: 1, operation: "createHousehold", key: "cut", fingerprint: fingerprint, logger: quiet) {
                (try await HouseholdStore(db).create(draft, logger: quiet).id, response)
            }
            guard case .ran = retry else {
                Issue.record("the retry did not run: \(retry)")
                return
            }
            #expect(try await households() == 1)
            #expect(try await keys() == 1)
            let replay = try await store.perform(userId: 1, operation: "createHousehold", key: "cut", fingerprint: fingerprint, logger: quiet) {
                Issue.record("a finished key ran again")
                return (Int64(0), response)
            }
            guard case .replay(let kept) = replay else {
                Issue.record("no replay: \(replay)")
                return
            }
            #expect(kept == response)
            #expect(try await households() == 1)
            let other = try await store.perform(userId: 1, operation: "createHousehold", key: "cut", fingerprint: fingerprint + [1], logger: quiet) {
                (Int64(0), response)
            }
            guard case .mismatch = other else {
                Issue.record("another request under the key: \(other)")
                return
            }
        }
    }

    /// The database itself refuses a key committed without its response, whoever tries.
    @Test func aClaimCannotBeCommittedWithoutItsResponse() async throws {
        try await withTestDatabase { db, _ in
            try await db.client.withConnection { conn in
                try await conn.query("BEGIN", logger: quiet)
                try await conn.query(
                    """
                    INSERT INTO idempotency_key (operation, key, request_hash) VALUES ('createArea', 'bare', sha256('x'::bytea))
                    """,
                    logger: quiet
                )
                // The deferred trigger speaks at COMMIT.
                await #expect(throws: PSQLError.self) { try await conn.query("COMMIT", logger: quiet) }
                _ = try? await conn.query("ROLLBACK", logger: quiet)
            }
            try await db.client.query(
                """
                INSERT INTO idempotency_key (operation, key, request_hash, status) VALUES ('createArea', 'done', sha256('x'::bytea), 201)
                """
            )
            let keys = try await db.client.query("SELECT key FROM idempotency_key").decode(String.self).all()
            #expect(keys == ["done"])
        }
    }

    /// A response that hands out a token is never kept, even under a key: the request's writes commit,
    /// the key is released.
    @Test func aResponseCarryingATokenIsNotKept() async throws {
        try await withTestDatabase { db, _ in
            let f = try await Fixture.make(db)
            let users = try await TestUsers.make(db, f)
            let store = IdempotencyStore(db)
            let outcome = try await store.perform(userId: 1, operation: "issueToken", key: "t", fingerprint: [1], logger: quiet) {
                let issued = try await TokenStore(db).issue(userId: users.ids[.admin]!, lifetime: .seconds(3600), label: "k", logger: quiet)
                return (issued.token, IdempotencyStore.Response(status: 201, contentType: "application/json", body: Array(issued.token.utf8)))
            }
            guard case .ran(let token) = outcome else {
                Issue.record("did not run")
                return
            }
            let rows = try await IdempotencyStorageTests.everything(db)
            #expect(rows.isEmpty)
            #expect(!IdempotencyStorageTests.holds(rows, token))
            #expect(try await TokenStore(db).authenticate(token, logger: quiet) != nil)
        }
    }
}

@Suite struct IdempotencyExpiryTests {
    @Test func keysOlderThanADayAreSweptWhenANewKeyFinishes() async throws {
        try await withTestDatabase { db, _ in
            try await db.client.query(
                """
                INSERT INTO idempotency_key (operation, key, request_hash, status, created_at)
                VALUES ('createArea', 'old', sha256('{}'::bytea), 201, now() - interval '25 hours'),
                       ('createArea', 'recent', sha256('{}'::bytea), 201, now() - interval '23 hours')
                """
            )
            let store = IdempotencyStore(db)
            let outcome = try await store.perform(userId: 0, operation: "createArea", key: "new", fingerprint: [1], logger: quiet) {
                ((), IdempotencyStore.Response(status: 201, contentType: nil, body: []))
            }
            guard case .ran = outcome else {
                Issue.record("did not run")
                return
            }
            let keys = try await db.client.query("SELECT key FROM idempotency_key ORDER BY key").decode(String.self).all()
            #expect(keys == ["new", "recent"])
        }
    }
}
