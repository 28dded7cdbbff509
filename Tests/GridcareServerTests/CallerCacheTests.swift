import Configuration
import Foundation
import GridcareCore
import GridcareServer
import GridcareTestSupport
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import Testing

@testable import GridcareStore

/// The service keeps the callers of recent tokens (CallerCache) only while it hears PostgreSQL's
/// notifications: a token revoked or a user disabled anywhere, even by hand in SQL, stops working within
/// a second.
@Suite struct CallerCacheTests {
    static func cachingConfig() -> AppConfig {
        testConfig([AbsoluteConfigKey(["security", "callerCacheSeconds"]): .init(.int(30), isSecret: false)])
    }

    /// Signs in with `token` until the service keeps its caller (the listener is up and trusted).
    static func kept(_ token: String, by cache: CallerCache, _ client: any TestClientProtocol) async throws {
        for _ in 0..<100 {
            #expect(try await client.call(.get, "/v1/me", token: token).0 == .ok)
            if cache.count > 0 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("the service never kept a caller: its listener did not start")
    }

    /// Waits until the notification of a change emptied the cache.
    static func emptied(_ cache: CallerCache) async throws {
        for _ in 0..<100 where cache.count > 0 { try await Task.sleep(for: .milliseconds(50)) }
        #expect(cache.count == 0, "no notification emptied the cache")
    }

    @Test func aTokenRevokedOrAUserDisabledInSQLStopsWorkingWithinASecond() async throws {
        let cache = CallerCache()
        try await withScopedAPI(config: Self.cachingConfig(), callers: cache) { client, _, users, db in
            let grid = users[.gridWorker]
            try await Self.kept(grid, by: cache, client)
            // Kept: the second request is answered from the cache, the same caller.
            let (_, me, _) = try await client.call(.get, "/v1/me", token: grid)
            #expect(me["role"] as? String == "grid_worker")

            // Revoked by hand, past the service: the notification empties the cache, and a second later
            // the token is refused whatever happened to the notification.
            try await db.client.query("UPDATE api_token SET revoked_at = now() WHERE token_hash = sha256(convert_to(\(grid), 'UTF8'))")
            try await Self.emptied(cache)
            try await Task.sleep(for: .seconds(1))
            #expect(try await client.call(.get, "/v1/me", token: grid).0 == .unauthorized)

            // A user switched off the same way loses every token they hold.
            let doctor = users[.centreStaff]
            try await Self.kept(doctor, by: cache, client)
            try await db.client.query("UPDATE app_user SET active = false WHERE id = \(users.ids[.centreStaff]!)")
            try await Self.emptied(cache)
            #expect(try await client.call(.get, "/v1/me", token: doctor).0 == .unauthorized)

            // A change rolled back sends nothing and changes nobody.
            let manager = users[.districtManager]
            try await Self.kept(manager, by: cache, client)
            try? await db.client.withTransaction(logger: quiet) { conn in
                try await conn.query("UPDATE app_user SET active = false WHERE id = \(users.ids[.districtManager]!)", logger: quiet)
                throw CancellationError()
            }
            try await Task.sleep(for: .seconds(1))
            #expect(try await client.call(.get, "/v1/me", token: manager).0 == .ok)
            #expect(cache.count > 0, "a rolled-back change emptied the cache")
        }
    }

    @Test func aGridWorkerTakenOffTheTeamInSQLLosesItsResidentsAtOnce() async throws {
        let cache = CallerCache()
        try await withScopedAPI(config: Self.cachingConfig(), callers: cache) { client, f, users, db in
            let grid = users[.gridWorker]
            let resident = try await Placed.make(db, f).inside.id
            try await Self.kept(grid, by: cache, client)
            #expect(try await client.call(.get, "/v1/residents/\(resident)", token: grid).0 == .ok)
            // The scope kept with the token is the old one until the change is heard; then it is gone.
            try await db.client.query(
                "DELETE FROM care_team_member WHERE worker_id = (SELECT worker_id FROM app_user WHERE id = \(users.ids[.gridWorker]!))"
            )
            try await Self.emptied(cache)
            let (_, me, _) = try await client.call(.get, "/v1/me", token: grid)
            #expect((me["microGridIds"] as? [NSNumber])?.isEmpty == true)
            #expect(try await client.call(.get, "/v1/residents/\(resident)", token: grid).0 == .notFound)
        }
    }

    @Test func theServiceItselfForgetsAtOnceWhenItRevokes() async throws {
        let cache = CallerCache()
        try await withScopedAPI(config: Self.cachingConfig(), callers: cache) { client, _, _, _ in
            let token = try await client.signIn("grid")
            try await Self.kept(token, by: cache, client)
            // Signing out is refused on the very next request, without waiting for the notification.
            #expect(try await client.call(.delete, "/v1/sessions/current", token: token).0 == .noContent)
            #expect(try await client.call(.get, "/v1/me", token: token).0 == .unauthorized)
        }
    }

    @Test func aCacheNotHeardFromForASecondIsNotTrusted() async throws {
        let cache = CallerCache(maxAge: .seconds(30), trustFor: .seconds(1))
        let token = "gct_example"
        let key = CallerCache.key(token)
        let caller = Caller(
            scope: Scope(userId: 1, role: .admin, districtId: nil, microGridIds: nil),
            username: "admin",
            tokenId: 1,
            expiresAt: Date().addingTimeInterval(3600),
            workerId: nil,
            hospitalId: nil
        )
        // Never heard: the database is asked every time and nothing is kept.
        #expect(try await cache.caller(for: token) { caller } == caller)
        #expect(cache.count == 0 && cache.lookup(key).generation == nil)
        // Heard: the first answer is kept, and the next one comes from the cache.
        cache.flush(trusted: true)
        #expect(try await cache.caller(for: token) { caller } == caller)
        #expect(try await cache.caller(for: token) { nil } == caller)
        // A refusal is never kept.
        #expect(try await cache.caller(for: "gct_other") { nil } == nil && cache.count == 1)
        // A second and more since the listener last answered: the kept caller is not used.
        #expect(cache.lookup(key, now: .now + .milliseconds(1_100)).kept == nil)
        #expect(cache.lookup(key, now: .now + .milliseconds(1_100)).generation == nil)
        // A check that was running when the cache was emptied cannot keep what it read before the change.
        cache.forget()
        #expect(
            try await cache.caller(for: token) {
                cache.forget()
                return caller
            } == caller
        )
        #expect(cache.count == 0)
        // An expired token's caller is not used even within the cache's age.
        var expired = caller
        expired.expiresAt = Date().addingTimeInterval(-1)
        #expect(try await cache.caller(for: token) { expired } == expired)
        #expect(cache.lookup(key).kept == nil)
    }
}

extension CallerCache.Lookup {
    var kept: Caller? {
        if case .hit(let c) = self { return c }
        return nil
    }
    var generation: UInt64? {
        if case .miss(let g) = self { return g }
        return nil
    }
}
