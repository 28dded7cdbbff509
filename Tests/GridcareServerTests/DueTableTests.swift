import Foundation
import GridcareCore
import GridcareServer
import GridcareStore
import GridcareTestSupport
import HTTPTypes
import HummingbirdTesting
import Testing

/// The due-visit table is kept by triggers; these tests hold it to a fresh computation of every resident.
@Suite struct DueTableTests {
    /// Every row of the table, in one stable text.
    static func snapshot(_ db: Database) async throws -> String {
        try await db.first(
            """
            SELECT coalesce(string_agg(d::text, E'\\n' ORDER BY resident_id, rule, basis), '') FROM due_visit d
            """,
            as: String.self,
            logger: quiet
        ) ?? ""
    }

    /// The table as the triggers left it must be what recomputing everyone from scratch gives.
    static func expectCurrent(_ db: Database, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let kept = try await snapshot(db)
        try await db.client.withConnection { _ = try await DueVisitStore.rebuild(on: $0, logger: quiet) }
        let fresh = try await snapshot(db)
        #expect(!fresh.isEmpty, sourceLocation: sourceLocation)
        #expect(kept == fresh, sourceLocation: sourceLocation)
    }

    @Test func everyKindOfWriteKeepsTheTableExact() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            let doctor = users[.centreStaff]
            let grid = users[.gridWorker]
            let today = SimpleDate.todayInChina()
            let elder = try await ResidentStore(db).create(
                Fixture.residentDraft(household: f.householdIds[0], n: 911, conditions: [.type2Diabetes]),
                logger: quiet
            )
            let contract = try await ContractStore(db).sign(
                residentId: elder.id,
                teamId: f.teamId,
                startsOn: today.adding(days: -200),
                years: 1,
                logger: quiet
            )
            try await Self.expectCurrent(db)
            // Flags: raised (nothing), confirmed (welfare and home visits), another tier (welfare cadence).
            let (_, flag, _) = try await client.call(
                .post,
                "/v1/flags",
                json: [
                    "residentId": p.inside.id, "category": "disabled_elderly",
                    "tier": "yellow", "population": "key",
                ],
                token: grid
            )
            // A raised flag counts for nothing, so its insert refreshes nothing (0040): the table must still
            // equal a full recomputation, or the refresh has learned to count raised flags.
            try await Self.expectCurrent(db)
            _ = try await client.call(.post, "/v1/flags/\(flag.id)/decision", json: ["action": "confirm"], token: doctor)
            let (_, second, _) = try await client.call(
                .post,
                "/v1/flags",
                json: [
                    "residentId": p.inside.id, "category": "living_alone",
                    "tier": "red", "population": "key",
                ],
                token: grid
            )
            _ = try await client.call(.post, "/v1/flags/\(second.id)/decision", json: ["action": "confirm"], token: doctor)
            try await Self.expectCurrent(db)
            // Services, a reading that opens an alert and asks for a follow-up, the alert acknowledged.
            _ = try await client.call(
                .post,
                "/v1/residents/\(elder.id)/services",
                json: ["kind": "home_visit", "visit": "annual_check", "performedAt": now(minus: 86_400 * 400)],
                token: doctor
            )
            _ = try await client.call(
                .post,
                "/v1/residents/\(p.inside.id)/services",
                json: ["kind": "phone_consultation", "visit": "welfare_visit", "performedAt": now()],
                token: grid
            )
            let (_, reading, _) = try await client.call(
                .post,
                "/v1/residents/\(elder.id)/readings",
                json: ["measuredAt": now(), "systolic": 190, "diastolic": 112],
                token: doctor
            )
            try await Self.expectCurrent(db)
            let alertId = ((reading["alert"] as? [String: Any])?["id"] as? NSNumber)?.int64Value
            if let alertId { _ = try await client.call(.post, "/v1/alerts/\(alertId)/acknowledge", json: [:], token: doctor) }
            // The resident's conditions change, the contract ends, a flag is closed.
            _ = try await ResidentStore(db).update(elder.id, .init(conditions: [.hypertension, .bedbound]), ifVersion: nil, logger: quiet)
            _ = try await ContractStore(db).end(contract.id, on: today.adding(days: -1), reason: .terminated, logger: quiet)
            _ = try await client.call(.post, "/v1/flags/\(second.id)/close", json: [:], token: grid)
            try await Self.expectCurrent(db)
        }
    }

    @Test func manyWritersOfOneResidentAtOnceLeaveTheTableExact() async throws {
        try await withScopedAPI(config: concurrencyConfig()) { client, f, users, db in
            let p = try await Placed.make(db, f)
            let doctor = users[.centreStaff]
            let grid = users[.gridWorker]
            let (_, flag, _) = try await client.call(
                .post,
                "/v1/flags",
                json: [
                    "residentId": p.inside.id, "category": "disabled_elderly",
                    "tier": "green", "population": "key",
                ],
                token: grid
            )
            // Visits of every kind, each dated differently, and the flag's confirmation, all at once: each
            // writer's refresh must see the others' commits, or a stale last visit would stay in the table.
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for i in 0..<24 {
                    let visit = ["welfare_visit", "home_visit", "doctor_follow_up", "annual_check"][i % 4]
                    let kind = visit == "welfare_visit" ? "phone_consultation" : "home_visit"
                    group.addTask {
                        try await client.call(
                            .post,
                            "/v1/residents/\(p.inside.id)/services",
                            json: ["kind": kind, "visit": visit, "performedAt": now(minus: Double(i) * 86_400)],
                            token: visit == "welfare_visit" ? grid : doctor
                        ).0
                    }
                }
                let decision = "/v1/flags/\(flag.id)/decision"
                group.addTask { try await client.call(.post, decision, json: ["action": "confirm"], token: doctor).0 }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == 24)
            #expect(statuses.contains(.ok))
            try await Self.expectCurrent(db)
            // The newest welfare visit (today) is the one the next is counted from.
            let last = try await db.first(
                "SELECT to_char(last_on, 'YYYY-MM-DD') FROM due_visit WHERE resident_id = \(p.inside.id) AND rule = 'welfare_visit'",
                as: String?.self,
                logger: quiet
            )
            #expect(last == .some(SimpleDate.todayInChina().iso))
        }
    }

    @Test func changedRulesRecomputeEveryResident() async throws {
        try await withScopedAPI { client, f, users, db in
            let doctor = users[.centreStaff]
            let today = SimpleDate.todayInChina()
            let elder = try await ResidentStore(db).create(
                Fixture.residentDraft(household: f.householdIds[0], n: 921, conditions: [.hypertension]),
                logger: quiet
            )
            _ = try await ContractStore(db).sign(residentId: elder.id, teamId: f.teamId, startsOn: today.adding(days: -30), years: 1, logger: quiet)
            _ = try await client.call(
                .post,
                "/v1/residents/\(elder.id)/services",
                json: ["kind": "home_visit", "visit": "doctor_follow_up", "performedAt": now()],
                token: doctor
            )
            func nextFollowUp() async throws -> String? {
                let (_, list, _) = try await client.call(.get, "/v1/teams/\(f.teamId)/due-visits?until=\(today.adding(days: 200).iso)", token: doctor)
                return list.items.first { $0.residentId == elder.id && $0["rule"] as? String == "chronic_follow_up" }?["dueOn"] as? String
            }
            #expect(try await nextFollowUp() == today.adding(days: 91).iso)
            var monthly = VisitRules()
            monthly.chronicFollowUpsPerYear = 12
            try await db.client.withConnection { try await DueVisitStore.adopt(monthly, on: $0, logger: quiet) }
            #expect(try await nextFollowUp() == today.adding(days: 30).iso)
            // Adopting the same figures again changes nothing.
            let before = try await Self.snapshot(db)
            try await db.client.withConnection { try await DueVisitStore.adopt(monthly, on: $0, logger: quiet) }
            #expect(try await Self.snapshot(db) == before)
        }
    }

    @Test func recomputingEveryoneLeavesTheTablesKeysAndIndexesAsTheyWere() async throws {
        try await withTestDatabase { db, _ in
            // The rebuild drops the table's indexes and its key to load faster, then builds them again
            // from their definitions (0041): the same ones must be back, valid, and the key must still bite.
            func definitions() async throws -> String {
                try await db.first(
                    """
                    SELECT string_agg(d, E'\\n' ORDER BY d) FROM (
                        SELECT pg_get_indexdef(i.indexrelid) || CASE WHEN i.indisvalid THEN '' ELSE ' INVALID' END AS d
                        FROM pg_index i WHERE i.indrelid = 'due_visit'::regclass
                        UNION ALL
                        SELECT c.conname || ' ' || pg_get_constraintdef(c.oid) FROM pg_constraint c WHERE c.conrelid = 'due_visit'::regclass) x
                    """,
                    as: String.self,
                    logger: quiet
                ) ?? ""
            }
            let f = try await Fixture.make(db)
            let patient = try await ResidentStore(db).create(
                Fixture.residentDraft(household: f.householdIds[0], n: 941, conditions: [.hypertension]),
                logger: quiet
            )
            _ = try await ContractStore(db).sign(
                residentId: patient.id,
                teamId: f.teamId,
                startsOn: SimpleDate.todayInChina().adding(days: -30),
                years: 1,
                logger: quiet
            )
            let before = try await definitions()
            #expect(before.contains("PRIMARY KEY (resident_id, rule, basis)"))
            #expect(before.contains("(micro_grid_id, due_on)"))
            let rows = try await db.client.withConnection { try await DueVisitStore.rebuild(on: $0, logger: quiet) }
            #expect(rows > 0)
            #expect(try await definitions() == before)
            do {
                try await db.client.query("INSERT INTO due_visit SELECT * FROM due_visit LIMIT 1", logger: quiet)
                Issue.record("a second row with the same key was stored")
            } catch {
                #expect(ConstraintViolation(error)?.constraint == "due_visit_pkey")
            }
        }
    }
    @Test func theRowsHoldForAnyDay() async throws {
        try await withTestDatabase { db, _ in
            let f = try await Fixture.make(db)
            let today = SimpleDate.todayInChina()
            // Turns 65 next year; signed from 100 days ago for two years. The check is due from the first day of
            // the year of the 65th birthday, so the due list never shows the birthday itself.
            let born = SimpleDate(year: today.year - 64, month: 6, day: 15)!
            let nextYear = SimpleDate(year: today.year + 1, month: 1, day: 1)!
            let soon = try await ResidentStore(db).create(Fixture.residentDraft(household: f.householdIds[0], n: 931, born: born), logger: quiet)
            let contract = try await ContractStore(db).sign(
                residentId: soon.id,
                teamId: f.teamId,
                startsOn: today.adding(days: -100),
                years: 2,
                logger: quiet
            )
            func due(on day: SimpleDate) async throws -> [DueVisit] {
                try await DueVisitStore(db).due(.init(residentIds: [soon.id], today: day, until: day.adding(days: 14), limit: 100), logger: quiet)
                    .items
            }
            func rules(on day: SimpleDate) async throws -> [String] { try await due(on: day).map(\.rule.rawValue) }
            #expect(try await rules(on: today).isEmpty)
            #expect(try await rules(on: nextYear.adding(days: -1)).isEmpty)
            #expect(try await rules(on: nextYear) == ["annual_check"])
            #expect(try await due(on: nextYear).first?.dueOn == nextYear)
            // Past the contract's term nothing is due, though the row is still there for the days it covered.
            let ends = try await ContractStore(db).get(contract.id, logger: quiet).termEndsOn
            #expect(try await rules(on: ends).isEmpty)
            #expect(try await rules(on: ends.adding(days: -1)) == ["annual_check"])
        }
    }

    @Test func theServiceRoleCannotWriteTheTable() async throws {
        try await withTestDatabase { db, _ in
            // Only the definer functions write it: the API's role may read (under row-level security), not write.
            await #expect(throws: (any Error).self) {
                try await db.transaction { conn in
                    try await conn.query("SET LOCAL role gridcare_service", logger: quiet)
                    try await conn.query("DELETE FROM due_visit", logger: quiet)
                }
            }
            await #expect(throws: (any Error).self) {
                try await db.transaction { conn in
                    try await conn.query("SET LOCAL role gridcare_service", logger: quiet)
                    try await conn.query("SELECT gridcare_due_rebuild()", logger: quiet)
                }
            }
        }
    }
}
