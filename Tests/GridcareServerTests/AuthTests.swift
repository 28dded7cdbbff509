import Foundation
import GridcareCore
import GridcareServer
import GridcareStore
import GridcareTestSupport
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import Testing

@Suite struct SignInTests {
    @Test func aPasswordBuysATokenThatShowsTheCallersScope() async throws {
        try await withScopedAPI { client, f, users, db in
            let token = try await client.signIn("grid")
            #expect(token.hasPrefix("gct_") && token.count > 40)
            let (_, me, _) = try await client.call(.get, "/v1/me", token: token)
            #expect(me["role"] as? String == "grid_worker")
            #expect((me["microGridIds"] as? [NSNumber])?.map(\.int64Value) == Array(f.microGridIds.prefix(2)))
            // Only the token's hash is stored.
            let stored = try await db.client.query("SELECT count(*) FROM api_token WHERE token_hash = sha256(convert_to(\(token), 'UTF8'))")
                .decode(Int.self).all()
            #expect(stored == [1])
            let plain = try await db.client.query("SELECT count(*) FROM api_token WHERE token_hash = convert_to(\(token), 'UTF8')")
                .decode(Int.self).all()
            #expect(plain == [0])
            // Signing out revokes it.
            #expect(try await client.call(.delete, "/v1/sessions/current", token: token).0 == .noContent)
            #expect(try await client.call(.get, "/v1/me", token: token).0 == .unauthorized)
        }
    }

    @Test func wrongPasswordsUnknownUsersAndLockedAccountsGetOneAnswer() async throws {
        try await withScopedAPI { client, _, _, _ in
            let wrong = try await client.raw(.post, "/v1/sessions", json: ["username": "doctor", "password": "not the password"], token: nil)
            let unknown = try await client.raw(.post, "/v1/sessions", json: ["username": "nobody", "password": "not the password"], token: nil)
            #expect(wrong.0 == .unauthorized && wrong.1 == unknown.1)
            // Four more wrong passwords lock the account: then even the right one is refused, in the same words.
            for _ in 0..<4 { _ = try await client.raw(.post, "/v1/sessions", json: ["username": "doctor", "password": "still wrong!"], token: nil) }
            let locked = try await client.raw(.post, "/v1/sessions", json: ["username": "doctor", "password": TestUsers.password], token: nil)
            #expect(locked.0 == .unauthorized && locked.1 == wrong.1)
            // Another account is not affected.
            #expect(
                try await client.call(.post, "/v1/sessions", json: ["username": "manager", "password": TestUsers.password], token: nil).0 == .created
            )
        }
    }

    @Test func expiredRevokedAndDisabledTokensAreRefused() async throws {
        try await withScopedAPI { client, _, users, db in
            let tokens = TokenStore(db)
            let expiring = try await tokens.issue(userId: users.ids[.gridWorker]!, lifetime: .seconds(3600), label: "t", logger: quiet)
            #expect(try await client.call(.get, "/v1/me", token: expiring.token).0 == .ok)
            try await db.client.query(
                "UPDATE api_token SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 second' WHERE id = \(expiring.id)"
            )
            #expect(try await client.call(.get, "/v1/me", token: expiring.token).0 == .unauthorized)

            let revoked = try await tokens.issue(userId: users.ids[.gridWorker]!, lifetime: .seconds(3600), label: "t", logger: quiet)
            #expect(try await tokens.revoke(id: revoked.id, logger: quiet))
            #expect(try await client.call(.get, "/v1/me", token: revoked.token).0 == .unauthorized)

            try await UserStore(db).setActive(users.ids[.centreStaff]!, false, logger: quiet)
            #expect(try await client.call(.get, "/v1/me", token: users[.centreStaff]).0 == .unauthorized)
            try await UserStore(db).setActive(users.ids[.centreStaff]!, true, logger: quiet)
            #expect(try await client.call(.get, "/v1/me", token: users[.centreStaff]).0 == .ok)
        }
    }

    @Test func usersAreCheckedAgainstTheRegistry() async throws {
        try await withTestDatabase { db, _ in
            let f = try await Fixture.make(db)
            let store = UserStore(db)
            func refusal(_ d: UserStore.Draft) async -> [String] {
                do {
                    _ = try await store.add(d, bcryptCost: 4, logger: quiet)
                    return []
                } catch let failure as ValidationFailure { return failure.errors.map(\.field) } catch { return ["unexpected \(error)"] }
            }
            let pw = TestUsers.password
            #expect(await refusal(.init(username: "ab", role: .admin, password: pw)) == ["username"])
            #expect(await refusal(.init(username: "short", role: .admin, password: "2short")) == ["password"])
            #expect(await refusal(.init(username: "nurse1", role: .gridWorker, password: pw, workerId: f.nurseId)) == ["worker"])
            #expect(await refusal(.init(username: "grid1", role: .centreStaff, password: pw, workerId: f.gridWorkerIds[0])) == ["worker"])
            #expect(await refusal(.init(username: "centre1", role: .centreStaff, password: pw)) == ["worker"])
            #expect(await refusal(.init(username: "hosp1", role: .hospitalStaff, password: pw, hospitalId: f.centreId)) == ["hospital"])
            #expect(await refusal(.init(username: "mgr1", role: .districtManager, password: pw)) == ["district"])
            #expect(await refusal(.init(username: "mgr2", role: .districtManager, password: pw, districtId: f.streetId)) == ["district"])
            #expect(await refusal(.init(username: "nurse2", role: .centreStaff, password: pw, workerId: f.nurseId)) == [])
            #expect(await refusal(.init(username: "nurse2", role: .admin, password: pw)) == ["username"])
            #expect(await refusal(.init(username: "nurse3", role: .centreStaff, password: pw, workerId: f.nurseId)) == ["worker"])
            let hash = try await db.client.query("SELECT password_hash FROM app_user WHERE username = 'nurse2'").decode(String.self).all()
            #expect(hash.first?.hasPrefix("$2b$04$") == true)
        }
    }
}

@Suite struct HardeningTests {
    @Test func serverOwnedFieldsAreRefusedNotApplied() async throws {
        try await withAPI { client, f in
            let d = Fixture.residentDraft(household: f.householdIds[0], n: 700)
            let good: [String: Any] = [
                "householdId": f.householdIds[0], "name": "王大爷", "sex": "female", "birthDate": d.birthDate.iso, "idNumber": d.idNumber.value,
            ]
            for (field, value) in [
                ("id", 77 as Any), ("districtId", f.districtId), ("version", 9), ("createdAt", "2020-01-01T00:00:00Z"),
                ("microGridId", f.microGridIds[1]),
            ] {
                var body = good
                body[field] = value
                let (status, problem, _) = try await client.call(.post, "/v1/residents", json: body)
                #expect(status == .unprocessableContent, "\(field)")
                #expect(problem.field == field)
            }
            let (_, none, _) = try await client.call(.get, "/v1/residents?householdId=\(f.householdIds[0])")
            #expect(none.items.isEmpty)
            let (created, r, headers) = try await client.call(.post, "/v1/residents", json: good)
            #expect(created == .created)
            for (field, value) in [("version", 99 as Any), ("id", 5), ("districtId", 1), ("idNumberMasked", "x")] {
                let (status, problem, _) = try await client.call(.patch, "/v1/residents/\(r.id)", json: [field: value, "name": "改"])
                #expect(status == .unprocessableContent, "\(field)")
                #expect(problem.field == field)
            }
            let (_, after, _) = try await client.call(.get, "/v1/residents/\(r.id)")
            #expect(after["name"] as? String == "王大爷" && after["version"] as? Int == 1)
            _ = headers
        }
    }

    /// What a schema says and the generated decoders do not check: nulls, malformed If-Match, repeated
    /// list values, absurd page sizes, control characters.
    @Test func inputTheSchemaForbidsIsRefusedByField() async throws {
        try await withAPI { client, f in
            var (status, problem, _) = try await client.call(.patch, "/v1/households/\(f.householdIds[0])", json: ["longitude": NSNull()])
            #expect(status == .unprocessableContent && problem.field == "longitude")
            (status, problem, _) = try await client.call(
                .post,
                "/v1/care-teams",
                json: [
                    "centreId": f.centreId, "name": "x", "members": [["workerId": NSNull(), "role": "doctor"]], "microGridIds": [],
                ]
            )
            #expect(status == .unprocessableContent && problem.field == "members[0].workerId")
            (status, problem, _) = try await client.call(
                .patch,
                "/v1/households/\(f.householdIds[0])",
                json: ["address": "新址"],
                headers: [.ifMatch: "_2$"]
            )
            #expect(status == .badRequest && problem.field == "If-Match")
            (status, problem, _) = try await client.call(.patch, "/v1/households/\(f.householdIds[0])", json: ["address": "新址\u{0}"])
            #expect(status == .unprocessableContent && problem.field == "address")
            (status, problem, _) = try await client.call(.get, "/v1/residents?limit=100001")
            #expect(status == .unprocessableContent && problem.field == "limit")
            (status, problem, _) = try await client.call(.get, "/v1/residents?minAge=-1")
            #expect(status == .unprocessableContent && problem.field == "minAge")
            let d = Fixture.residentDraft(household: f.householdIds[0], n: 702)
            (status, problem, _) = try await client.call(
                .post,
                "/v1/residents",
                json: [
                    "householdId": f.householdIds[0], "name": "赵", "sex": "female", "birthDate": d.birthDate.iso, "idNumber": d.idNumber.value,
                    "conditions": ["hypertension", "hypertension"],
                ]
            )
            #expect(status == .unprocessableContent && problem.field == "conditions")
            let (_, page, _) = try await client.call(.get, "/v1/households?limit=100000")
            #expect(page.items.count == 2)
        }
    }

    @Test func aStaleIfMatchLosesNoUpdate() async throws {
        try await withAPI { client, f in
            let (_, r, headers) = try await client.call(
                .post,
                "/v1/residents",
                json: [
                    "householdId": f.householdIds[0], "name": "刘奶奶", "sex": "female", "birthDate": "1950-03-09",
                    "idNumber": Fixture.residentDraft(household: 0, n: 701).idNumber.value,
                ]
            )
            _ = headers
            let (_, read, readHeaders) = try await client.call(.get, "/v1/residents/\(r.id)")
            let tag = try #require(readHeaders[.eTag])
            #expect(read["version"] as? Int == 1)
            #expect(try await client.call(.patch, "/v1/residents/\(r.id)", json: ["phone": "13900000001"], headers: [.ifMatch: tag]).0 == .ok)
            let (stale, problem, _) = try await client.call(.patch, "/v1/residents/\(r.id)", json: ["phone": "13900000002"], headers: [.ifMatch: tag])
            #expect(stale == .preconditionFailed)
            #expect(problem.field == "If-Match")
            let (_, after, _) = try await client.call(.get, "/v1/residents/\(r.id)")
            #expect(after["phone"] as? String == "13900000001")
        }
    }

    @Test func idempotencyKeysBelongToTheirSender() async throws {
        try await withScopedAPI { client, f, users, _ in
            let key = HTTPField.Name("Idempotency-Key")!
            let body: [String: Any] = ["microGridId": f.microGridIds[0], "address": "同一路1号", "latitude": 30.6, "longitude": 104.0]
            let (a, first, _) = try await client.call(.post, "/v1/households", json: body, headers: [key: "k1"], token: users[.admin])
            let (b, second, secondHeaders) = try await client.call(
                .post,
                "/v1/households",
                json: body,
                headers: [key: "k1"],
                token: users[.gridWorker]
            )
            #expect(a == .created && b == .created)
            #expect(first.id != second.id)
            #expect(secondHeaders[HTTPField.Name("Idempotent-Replayed")!] == nil)
            let (c, replay, replayHeaders) = try await client.call(
                .post,
                "/v1/households",
                json: body,
                headers: [key: "k1"],
                token: users[.gridWorker]
            )
            #expect(c == .created && replay.id == second.id)
            #expect(replayHeaders[HTTPField.Name("Idempotent-Replayed")!] == "true")
        }
    }
}

@Suite struct AuditTests {
    @Test func readsChangesAndRefusalsOfAResidentAreAuditedAndListedToAdministrators() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            let grid = users[.gridWorker]
            _ = try await client.call(.get, "/v1/residents/\(p.inside.id)", token: grid)
            _ = try await client.call(.patch, "/v1/residents/\(p.inside.id)", json: ["phone": "13900000003"], token: grid)
            _ = try await client.call(.get, "/v1/residents?limit=5", token: grid)
            _ = try await client.call(.get, "/v1/residents/\(p.outsideGrid.id)", token: grid)

            let (status, page, _) = try await client.call(.get, "/v1/audit-events?residentId=\(p.inside.id)")
            #expect(status == .ok)
            let mine = page.items.filter { ($0["userId"] as? NSNumber)?.int64Value == users.ids[.gridWorker] }
            #expect(mine.map { $0["action"] as? String } == ["search", "update", "read"])  // newest first
            #expect(mine.allSatisfy { $0["outcome"] as? String == "ok" && $0["role"] as? String == "grid_worker" })
            #expect(mine.map { $0["operation"] as? String } == ["listResidents", "updateResident", "getResident"])
            let (_, denied, _) = try await client.call(.get, "/v1/audit-events?residentId=\(p.outsideGrid.id)")
            #expect(
                denied.items.contains {
                    $0["outcome"] as? String == "denied" && $0["action"] as? String == "read"
                        && ($0["userId"] as? NSNumber)?.int64Value == users.ids[.gridWorker]
                }
            )
            #expect(try await client.call(.get, "/v1/audit-events", token: grid).0 == .forbidden)
            #expect(try await client.call(.get, "/v1/audit-events", token: users[.districtManager]).0 == .forbidden)
        }
    }

    @Test func theServiceRoleCanOnlyAppendToTheTrail() async throws {
        try await withTestDatabase { db, url in
            try await AuditLog(db).record(.read, residents: [1], outcome: .ok, logger: quiet)
            let service = try makeServiceClient(url: url, config: testConfig(), logger: quiet)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await service.run() }
                defer { group.cancelAll() }
                for statement: PostgresQuery in ["UPDATE audit_event SET outcome = 'denied'", "DELETE FROM audit_event", "TRUNCATE audit_event"] {
                    await #expect(throws: PSQLError.self) { try await service.query(statement) }
                }
                try await service.query("INSERT INTO audit_event (operation, action, outcome) VALUES ('test', 'read', 'ok')")
                let seen = try await service.query("SELECT count(*) FROM audit_event").decode(Int.self).all()
                #expect(seen == [2])
            }
            // Even the owner's changes are stopped by the trigger.
            await #expect(throws: PSQLError.self) { try await db.client.query("DELETE FROM audit_event") }
        }
    }
}
