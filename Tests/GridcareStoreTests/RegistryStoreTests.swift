import GridcareCore
import GridcareStore
import GridcareTestSupport
import Logging
import PostgresNIO
import Testing

@Suite struct RegistryStoreTests {
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test func theHierarchyIsEnforcedByTheDatabase() async throws {
        try await withTestDatabase { db, _ in
            let f = try await Fixture.make(db)
            let areas = AreaStore(db)
            // A micro-grid cannot hang directly under a street.
            await #expect {
                try await areas.create(level: .microGrid, parentId: f.streetId, name: "错位", code: nil, institution: nil, logger: logger)
            } throws: { ConstraintViolation($0)?.constraint == "area_parent_fkey" }
            // Two micro-grids of one grid cannot share a name.
            await #expect {
                try await areas.create(level: .microGrid, parentId: f.gridId, name: "第1-1微网格", code: nil, institution: nil, logger: logger)
            } throws: { ConstraintViolation($0)?.sqlState == "23505" }
            let grid = try await areas.get(f.microGridIds[0], logger: logger)
            #expect(grid.districtId == f.districtId)
            #expect(grid.parentId == f.gridId)
        }
    }

    @Test func residentsAreStoredMaskedAndUniqueByIdentityNumber() async throws {
        try await withTestDatabase { db, _ in
            let f = try await Fixture.make(db)
            let residents = ResidentStore(db)
            let draft = Fixture.residentDraft(household: f.householdIds[0], n: 1, conditions: [.hypertension])
            let r = try await residents.create(draft, logger: logger)
            #expect(r.idNumberMasked == draft.idNumber.masked)
            #expect(!r.idNumberMasked.contains(String(draft.idNumber.value.dropFirst(6).prefix(8))))
            #expect(r.teamId == f.teamId)
            #expect(r.microGridId == f.microGridIds[0])
            await #expect(throws: StoreError.conflict(field: "idNumber", reason: "a resident with this ID-card number is already registered")) {
                try await residents.create(draft, logger: logger)
            }
            #expect(try await residents.find(idNumber: draft.idNumber, logger: logger) == r.id)
        }
    }

    @Test func aReadIsAuditedByItsOwnStatementOrOnceWithItsPage() async throws {
        try await withTestDatabase { db, _ in
            let f = try await Fixture.make(db)
            let r = try await ResidentStore(db).create(Fixture.residentDraft(household: f.householdIds[0], n: 1), logger: logger)
            let admin = db.scoped(Scope(userId: 7, role: .admin, districtId: f.districtId, microGridIds: nil), operation: "test.read")
            let residents = ResidentStore(admin)
            func rows(_ outcome: String) async throws -> Int {
                try await db.first(
                    "SELECT count(*)::int FROM audit_event WHERE operation = 'test.read' AND action = 'read' AND outcome = \(outcome) AND user_id = 7",
                    as: Int.self,
                    logger: logger
                ) ?? -1
            }
            #expect(try await residents.get(r.id, logger: logger).id == r.id)
            #expect(try await rows("ok") == 1)
            await #expect(throws: StoreError.notFound("resident")) { try await residents.get(r.id + 1_000_000, logger: logger) }
            #expect(try await rows("denied") == 1)
            // In a page the read's row is gathered with the page's others: one for the resident however often shown.
            try await admin.together(logger: logger) {
                _ = try await residents.get(r.id, logger: logger)
                _ = try await residents.get(r.id, logger: logger)
            }
            #expect(try await rows("ok") == 2)
        }
    }

    @Test func listsPageByCursorAndFilterByAge() async throws {
        try await withTestDatabase { db, _ in
            let f = try await Fixture.make(db)
            let residents = ResidentStore(db)
            for n in 0..<25 {
                let born = SimpleDate(year: 1940 + n * 3, month: 1, day: 15)!
                _ = try await residents.create(Fixture.residentDraft(household: f.householdIds[n % 2], n: n, born: born), logger: logger)
            }
            let today = SimpleDate(year: 2026, month: 11, day: 26)!
            var seen: [Int64] = []
            var cursor: String?
            repeat {
                let page = try await residents.list(
                    .init(districtId: f.districtId),
                    today: today,
                    page: try PageRequest(cursor: cursor, limit: 10),
                    logger: logger
                )
                seen += page.items.map(\.id)
                cursor = page.nextCursor
            } while cursor != nil
            #expect(seen.count == 25)
            #expect(seen == seen.sorted())
            let elderly = try await residents.list(
                .init(teamId: f.teamId, minAge: 65),
                today: today,
                page: try PageRequest(cursor: nil, limit: 200),
                logger: logger
            )
            #expect(elderly.items.count == 8)  // born 1940, 1943, … 1961
            #expect(elderly.items.allSatisfy { today.year - $0.birthYear >= 65 })
            #expect(throws: FieldError.self) { try PageRequest(cursor: "not-a-cursor", limit: nil) }
            #expect(try PageRequest(cursor: nil, limit: 100_000).limit == PageRequest.maximumLimit)
        }
    }

    @Test func staleVersionsAreRefused() async throws {
        try await withTestDatabase { db, _ in
            let f = try await Fixture.make(db)
            let households = HouseholdStore(db)
            let h = try await households.update(
                f.householdIds[0],
                address: "新地址",
                latitude: nil,
                longitude: nil,
                microGridId: nil,
                ifVersion: 1,
                logger: logger
            )
            #expect(h.version == 2)
            await #expect(throws: StoreError.versionMismatch(current: 2)) {
                try await households.update(
                    f.householdIds[0],
                    address: "又一个",
                    latitude: nil,
                    longitude: nil,
                    microGridId: nil,
                    ifVersion: 1,
                    logger: logger
                )
            }
            await #expect(throws: StoreError.notFound("household")) { try await households.get(999_999, logger: logger) }
        }
    }
}
