import Foundation
import GridcareServer
import GridcareStore
import GridcareTestSupport
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import Testing

/// The database as the last wall: the service signs in as a login that owns nothing and cannot switch
/// back, every table with row-level security forces it, `serve` refuses a login the policies would spare,
/// and households are audited like residents.
@Suite struct DatabaseWallTests {
    @Test func theServiceSignsInAsALoginThatOwnsNothingAndCannotSwitchBack() async throws {
        try await withTestDatabase { db, url in
            let service = try makeServiceClient(url: url, config: testConfig(), logger: quiet)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await service.run() }
                defer { group.cancelAll() }
                let who = try await service.query("SELECT session_user::text, current_user::text").decode((String, String).self).all()
                #expect(who.first?.0 == "gridcare_service" && who.first?.1 == "gridcare_service")
                try await ServiceLogin.verify(service, logger: quiet)
                // RESET ROLE leaves it where it signed in; the owner is out of reach.
                try await service.withConnection { conn in
                    try await conn.query("RESET ROLE", logger: quiet)
                    let again = try await conn.query("SELECT current_user::text", logger: quiet).decode(String.self).all()
                    #expect(again == ["gridcare_service"])
                    await #expect(throws: PSQLError.self) { try await conn.query("SET ROLE \(unescaped: url.username)", logger: quiet) }
                }
                // Unscoped, the policies show it nothing.
                _ = try await ResidentStore(db).create(
                    Fixture.residentDraft(household: (try await Fixture.make(db)).householdIds[0], n: 5),
                    logger: quiet
                )
                let seen = try await service.query("SELECT count(*)::int FROM resident").decode(Int.self).all()
                #expect(seen == [0])
            }
        }
    }

    @Test func serveRefusesALoginThePoliciesWouldNotRestrict() async throws {
        try await withTestDatabase { db, url in
            // The owner (here a superuser) is what the old wiring signed in as.
            await #expect(throws: ServiceLoginError.self) { try await ServiceLogin.verify(db.client, logger: quiet) }
            // A configured service URL that is the owner's is refused the same way, with a message that says why.
            let config = testConfig(["database.serviceUrl": .init(.string(url.connectionString), isSecret: true)])
            let ownerAsService = try makeServiceClient(url: url, config: config, logger: quiet)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await ownerAsService.run() }
                defer { group.cancelAll() }
                do {
                    try await ServiceLogin.verify(ownerAsService, logger: quiet)
                    Issue.record("the owner's login was accepted as the service's")
                } catch let error as ServiceLoginError {
                    #expect(error.description.contains("is a superuser"))
                    #expect(error.description.contains("row-level security would not apply"))
                }
            }
        }
    }

    /// A function that runs as its owner sees past row-level security: the service's login may call only
    /// those made for it, each of which checks or narrows for itself.
    @Test func theServiceCallsOnlyTheOwnersFunctionsMadeForIt() async throws {
        try await withTestDatabase { db, _ in
            let callable = try await db.rows(
                """
                SELECT p.oid::regprocedure::text FROM pg_proc p
                WHERE p.prosecdef AND p.pronamespace = 'public'::regnamespace AND p.prorettype <> 'trigger'::regtype
                  AND has_function_privilege('gridcare_service', p.oid, 'EXECUTE')
                ORDER BY 1
                """,
                as: String.self,
                logger: quiet
            )
            #expect(
                callable == [
                    // The audit trail's months (0035): each checks what it may detach or drop itself.
                    "gridcare_audit_detach(integer)", "gridcare_audit_detached()", "gridcare_audit_drop(text,text,bigint,text)",
                    "gridcare_audit_prepare(integer)",
                    "gridcare_authenticate(bytea)", "gridcare_board_expire(date)",
                    // Folds a district's census rows into their sums (0043): no row leaves it.
                    "gridcare_census_compact(bigint)", "gridcare_hold_registration(bigint)",
                    "gridcare_notify(bigint,text,text,boolean,bigint,bigint[],text,text,text)", "gridcare_referral_discharged(bigint)",
                ]
            )
        }
    }

    @Test func everyTableWithResidentDataForcesRowLevelSecurity() async throws {
        try await withTestDatabase { db, _ in
            let unforced = try await db.rows(
                """
                SELECT c.relname::text FROM pg_class c
                WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND c.relrowsecurity AND NOT c.relforcerowsecurity
                """,
                as: String.self,
                logger: quiet
            )
            #expect(unforced.isEmpty, "\(unforced)")
            // Every table that names a resident or a household has policies at all.
            let open = try await db.rows(
                """
                SELECT DISTINCT c.relname::text FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
                WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND NOT c.relrowsecurity
                  AND (a.attname IN ('resident_id', 'household_id') OR c.relname IN ('resident', 'household'))
                  AND NOT EXISTS (SELECT FROM pg_inherits i WHERE i.inhrelid = c.oid AND i.inhparent = 'audit_event'::regclass)
                """,
                as: String.self,
                logger: quiet
            )
            #expect(open.isEmpty, "\(open)")
        }
    }

    @Test func householdReadsAndChangesAreAuditedLikeResidents() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            let grid = users[.gridWorker]
            let own = f.householdIds[0]
            #expect(try await client.call(.get, "/v1/households/\(own)", token: grid).0 == .ok)
            #expect(try await client.call(.get, "/v1/households/\(p.outsideHousehold)", token: grid).0 == .notFound)
            #expect(try await client.call(.get, "/v1/households?microGridId=\(f.microGridIds[0])", token: grid).0 == .ok)
            #expect(try await client.call(.patch, "/v1/households/\(own)", json: ["address": "石桥村3组8号"], token: grid).0 == .ok)
            let (_, household, _) = try await client.call(.get, "/v1/households/\(own)", token: grid)
            #expect(try await client.call(.get, "/v1/household-codes/\(household["codeToken"] as? String ?? "")", token: grid).0 == .ok)
            let rows = try await db.rows(
                """
                SELECT action, outcome, household_id FROM audit_event WHERE user_id = \(users.ids[.gridWorker]!) ORDER BY id
                """,
                as: (String, String, Int64?).self,
                logger: quiet
            )
            let trail = rows.map { "\($0.0) \($0.1) \($0.2.map(String.init) ?? "-")" }
            #expect(trail.contains("read ok \(own)"))
            #expect(trail.contains("read denied \(p.outsideHousehold)"))
            #expect(trail.contains("search ok \(own)"))
            #expect(trail.contains("update ok \(own)"))
            #expect(trail.filter { $0 == "read ok \(own)" }.count == 3)
            // The administrator reads a household's trail through the API.
            let (_, events, _) = try await client.call(.get, "/v1/audit-events?householdId=\(own)")
            let all = try await db.first("SELECT count(*)::int FROM audit_event WHERE household_id = \(own)", as: Int.self, logger: quiet)
            #expect(events.items.count == all)
        }
    }
}
