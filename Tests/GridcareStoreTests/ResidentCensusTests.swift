import GridcareCore
import GridcareStore
import GridcareTestSupport
import Logging
import PostgresNIO
import Testing

private let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

/// The population per micro-grid that the dashboard sums (resident_census) is kept by the registry's
/// writes: after many writers at once — registrations, moves, condition changes, statements over many
/// rows, removals — and compactions among them, it says what counting the residents says.
@Suite struct ResidentCensusTests {
    /// Per micro-grid: residents, hypertensive, diabetic, from the census and from the residents.
    static func both(_ db: Database, districtId: Int64) async throws -> (census: [[Int64]], counted: [[Int64]]) {
        let census = try await db.rows(
            """
            SELECT micro_grid_id, sum(residents)::bigint, coalesce(sum(residents) FILTER (WHERE 'hypertension' = ANY (conditions)), 0)::bigint,
                   coalesce(sum(residents) FILTER (WHERE 'type2_diabetes' = ANY (conditions)), 0)::bigint
            FROM resident_census WHERE district_id = \(districtId) GROUP BY micro_grid_id HAVING sum(residents) > 0 ORDER BY 1
            """,
            as: (Int64, Int64, Int64, Int64).self,
            logger: quiet
        ).map { [$0.0, $0.1, $0.2, $0.3] }
        let counted = try await db.rows(
            """
            SELECT micro_grid_id, count(*), count(*) FILTER (WHERE 'hypertension' = ANY (conditions)),
                   count(*) FILTER (WHERE 'type2_diabetes' = ANY (conditions))
            FROM resident WHERE district_id = \(districtId) GROUP BY micro_grid_id ORDER BY 1
            """,
            as: (Int64, Int64, Int64, Int64).self,
            logger: quiet
        ).map { [$0.0, $0.1, $0.2, $0.3] }
        return (census, counted)
    }

    @Test func theCensusAgreesWithTheResidentsAfterManyWritersAtOnce() async throws {
        try await withTestDatabase { db, _ in
            let f = try await Fixture.make(db)
            let second = try await HouseholdStore(db).create(
                .init(microGridId: f.microGridIds[1], externalRef: "H9", address: "人民路9号", latitude: 30.67, longitude: 104.06),
                logger: quiet
            ).id
            let households = [f.householdIds[0], second]
            let sets: [[Condition]] = [[], [.hypertension], [.type2Diabetes], [.hypertension, .type2Diabetes], [.type2Diabetes, .hypertension]]
            let residents = ResidentStore(db)
            let store = IndicatorStore(db)
            // Forty registrations at once into two micro-grids, with the clock's compaction running among them.
            let ids = try await withThrowingTaskGroup(of: Int64?.self) { group in
                for n in 0..<40 {
                    group.addTask {
                        let draft = Fixture.residentDraft(household: households[n % 2], n: 100 + n, conditions: sets[n % sets.count])
                        return try await residents.create(draft, logger: quiet).id
                    }
                    if n % 10 == 0 {
                        group.addTask {
                            try await store.compactCensus(districtId: f.districtId, logger: quiet)
                            return nil
                        }
                    }
                }
                var ids: [Int64] = []
                for try await id in group { if let id { ids.append(id) } }
                return ids.sorted()
            }
            #expect(ids.count == 40)
            // Moves, condition changes and a change of neither, at once, compactions among them.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (i, id) in ids.enumerated() where i % 3 != 2 {
                    group.addTask {
                        let change: ResidentStore.Change
                        switch i % 3 {
                        case 0: change = .init(householdId: households[(i + 1) % 2])
                        default: change = .init(phone: "13800000000", conditions: sets[(i + 2) % sets.count])
                        }
                        _ = try await residents.update(id, change, ifVersion: nil, logger: quiet)
                    }
                    if i % 8 == 0 { group.addTask { try await store.compactCensus(districtId: f.districtId, logger: quiet) } }
                }
                for (i, id) in ids.enumerated() where i % 3 == 2 {
                    group.addTask { _ = try await residents.update(id, .init(name: "改名"), ifVersion: nil, logger: quiet) }
                }
                try await group.waitForAll()
            }
            // One statement over many residents, and removals.
            try await db.withConnection { conn in
                try await conn.query(
                    "UPDATE resident SET conditions = '{hypertension}' WHERE district_id = \(f.districtId) AND id % 4 = 0",
                    logger: quiet
                )
                try await conn.query("DELETE FROM resident WHERE id = ANY (\(Array(ids.suffix(5)))::bigint[])", logger: quiet)
            }
            var (census, counted) = try await Self.both(db, districtId: f.districtId)
            #expect(counted.count == 2, "both micro-grids hold residents")
            #expect(counted.map { $0[1] }.reduce(0, +) == 35)
            #expect(census == counted)
            // Compacted, a micro-grid holds one row for each condition set its residents have.
            try await store.compactCensus(districtId: f.districtId, logger: quiet)
            (census, counted) = try await Self.both(db, districtId: f.districtId)
            #expect(census == counted)
            let rows = try await db.first(
                "SELECT count(*)::int FROM resident_census WHERE district_id = \(f.districtId)",
                as: Int.self,
                logger: quiet
            )
            let keys = try await db.first(
                "SELECT count(DISTINCT (micro_grid_id, conditions))::int FROM resident WHERE district_id = \(f.districtId)",
                as: Int.self,
                logger: quiet
            )
            #expect(rows == keys)
        }
    }

    @Test func onlyTheTriggersWriteItAndAnotherDistrictSeesNothing() async throws {
        try await withTestDatabase { db, _ in
            let f = try await Fixture.make(db)
            _ = try await ResidentStore(db).create(Fixture.residentDraft(household: f.householdIds[0], n: 1), logger: quiet)
            let writes: [PostgresQuery] = [
                "INSERT INTO resident_census VALUES (\(f.districtId), \(f.microGridIds[0]), '{}', 1000)",
                "UPDATE resident_census SET residents = 0", "DELETE FROM resident_census",
            ]
            for statement in writes {
                await #expect(throws: (any Error).self) {
                    try await db.transaction { conn in
                        try await conn.query("SET LOCAL role gridcare_service", logger: quiet)
                        try await conn.query(statement, logger: quiet)
                    }
                }
            }
            // The API's role reads it under row-level security, as the dashboard's count does.
            func seen(by district: Int64) async throws -> Int {
                try await db.transaction { conn in
                    try await conn.query("SET LOCAL role gridcare_service", logger: quiet)
                    try await conn.query(
                        "SELECT set_config('gridcare.scope_district', \(String(district)), true), set_config('gridcare.scope_micro_grids', '*', true)",
                        logger: quiet
                    )
                    return try await conn.first("SELECT coalesce(sum(residents), 0)::int FROM resident_census", as: Int.self, logger: quiet) ?? -1
                }
            }
            #expect(try await seen(by: f.districtId) == 1)
            #expect(try await seen(by: f.districtId + 1000) == 0)
        }
    }
}
