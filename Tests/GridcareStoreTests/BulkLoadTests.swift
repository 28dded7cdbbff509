import GridcareCore
import GridcareStore
import GridcareTestSupport
import Logging
import PostgresNIO
import Testing

@Suite struct BulkLoadTests {
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    let today = SimpleDate(year: 2026, month: 11, day: 26)!

    func count(_ db: Database, _ table: String) async throws -> Int {
        try await db.client.query("SELECT count(*)::int FROM \(unescaped: table)").decode(Int.self).all()[0]
    }

    @Test func aDemoDistrictLoadsWholeAndCovered() async throws {
        try await withTestDatabase { db, _ in
            let demo = DemoDistrict.generate(residents: 3_000, seed: 11, today: today)
            let summary = try await DemoLoader(db).load(demo, logger: logger)
            #expect(try await count(db, "resident") == 3_000)
            // The dashboard's census (kept by the registry's writes) holds what counting the loaded residents says.
            let loaded = try await ResidentCensusTests.both(db, districtId: summary.districtId)
            #expect(!loaded.counted.isEmpty && loaded.census == loaded.counted)
            let report = try await CoverageStore(db).report(districtId: summary.districtId, rules: CoverageRules(), logger: logger)
            #expect(report.uncovered.isEmpty)
            #expect(report.brokenTeams.isEmpty)
            #expect(report.outOfSize.isEmpty)
            await #expect(throws: DemoError.self) { try await DemoLoader(db).load(demo, logger: logger) }
        }
    }

    @Test func anImportLoadsEverythingAndResolvesRefs() async throws {
        try await withTestDatabase { db, _ in
            let f = try await Fixture.make(db)
            let households =
                "ref,micro_grid_id,address,latitude,longitude\nN1,\(f.microGridIds[1]),\"光华街 3号, 2单元\",30.6,104.0\nN2,\(f.microGridIds[1]),光华街4号,30.6,104.0\n"
            let ids = (1...3).map { IDCardNumber.make(region: 510104, birth: SimpleDate(year: 1960, month: 5, day: 5)!, sequence: $0 * 2).value }
            let residents = """
                household_ref,household_id,name,sex,birth_date,id_number,conditions
                N1,,甲,female,1960-05-05,\(ids[0]),hypertension
                N2,,乙,female,1960-05-05,\(ids[1]),
                ,\(f.householdIds[0]),丙,female,1960-05-05,\(ids[2]),
                """
            let data = try RegistryImport.parse(
                households: ("h.csv", Array(households.utf8)),
                residents: ("r.csv", Array(residents.utf8)),
                today: today
            ).get()
            let summary = try await ImportStore(db).load(
                data,
                districtId: f.districtId,
                householdsFile: "h.csv",
                residentsFile: "r.csv",
                logger: logger
            )
            #expect(summary == .init(households: 2, residents: 3))
            let imported = try await ResidentCensusTests.both(db, districtId: f.districtId)
            #expect(imported.counted.count == 2 && imported.census == imported.counted)
            let placed = try await db.client.query(
                """
                SELECT h.external_ref FROM resident r JOIN household h ON h.id = r.household_id WHERE r.name = '甲'
                """
            ).decode(String.self).all()
            #expect(placed == ["N1"])
        }
    }

    @Test func aFileWithDatabaseConflictsLeavesNothingBehind() async throws {
        try await withTestDatabase { db, _ in
            let f = try await Fixture.make(db)
            let existing = try await ResidentStore(db).create(Fixture.residentDraft(household: f.householdIds[0], n: 1), logger: logger)
            _ = existing
            let households =
                "ref,micro_grid_id,address,latitude,longitude\nN1,\(f.microGridIds[1]),光华街3号,30.6,104.0\nN2,999999,光华街4号,30.6,104.0\nH1,\(f.microGridIds[1]),重复,30.6,104.0\n"
            let dup = Fixture.residentDraft(household: f.householdIds[0], n: 1).idNumber.value
            let fresh = IDCardNumber.make(region: 510104, birth: SimpleDate(year: 1960, month: 5, day: 5)!, sequence: 8).value
            let residents =
                "household_ref,name,sex,birth_date,id_number\nN1,甲,female,1960-05-05,\(fresh)\nN1,乙,female,1950-03-09,\(dup)\nZZ,丙,female,1960-05-05,\(IDCardNumber.make(region: 510104, birth: SimpleDate(year: 1960, month: 5, day: 5)!, sequence: 10).value)\n"
            let data = try RegistryImport.parse(
                households: ("h.csv", Array(households.utf8)),
                residents: ("r.csv", Array(residents.utf8)),
                today: today
            ).get()
            let before = (try await count(db, "household"), try await count(db, "resident"))
            let censusBefore = try await ResidentCensusTests.both(db, districtId: f.districtId)
            do {
                _ = try await ImportStore(db).load(data, districtId: f.districtId, householdsFile: "h.csv", residentsFile: "r.csv", logger: logger)
                Issue.record("the import should have failed")
            } catch let failure as ImportFailure {
                let where_ = failure.items.map { "\($0.file):\($0.line)" }
                #expect(where_ == ["h.csv:3", "h.csv:4", "r.csv:3", "r.csv:4"])
                #expect(failure.items.allSatisfy { !$0.reason.contains(dup) })
            }
            #expect((try await count(db, "household"), try await count(db, "resident")) == before)
            // Nothing of the failed file reaches the census either.
            let censusAfter = try await ResidentCensusTests.both(db, districtId: f.districtId)
            #expect(censusAfter.census == censusBefore.census && censusAfter.census == censusAfter.counted)
        }
    }

    @Test func residentsThatFailAfterTheHouseholdsWentInTakeTheHouseholdsWithThem() async throws {
        try await withTestDatabase { db, _ in
            let f = try await Fixture.make(db)
            // The households are copied while the residents file is still being read (the CLI's path); when
            // the residents then fail, by parse or by the database, the households must go too.
            let households = RegistryImport.households(
                ("h.csv", Array("ref,micro_grid_id,address,latitude,longitude\nN1,\(f.microGridIds[1]),光华街3号,30.6,104.0\n".utf8))
            )
            #expect(households.errors.isEmpty && households.rows.count == 1)
            let header = "household_ref,name,sex,birth_date,id_number\n"
            let valid = (12...13).map { IDCardNumber.make(region: 510104, birth: SimpleDate(year: 1960, month: 5, day: 5)!, sequence: $0 * 2).value }
            let unparsable = RegistryImport.residents(("r.csv", Array("\(header)N1,甲,female,1960-05-05,123\n".utf8)), today: today)
            // Parses (on threads of its own, as the CLI reads it), but its second row names a household that is
            // neither in the file nor stored.
            let stray = await RegistryImport.residentsInBackground(
                ("r.csv", Array("\(header)N1,甲,female,1960-05-05,\(valid[0])\nZZ,乙,female,1960-05-05,\(valid[1])\n".utf8)),
                today: today
            ).value
            #expect(!unparsable.errors.isEmpty)
            #expect(stray.errors.isEmpty && stray.rows.count == 2)
            let before = (try await count(db, "household"), try await count(db, "resident"))
            for (file, lines) in [(unparsable, [2]), (stray, [3])] {
                await #expect {
                    try await ImportStore(db).load(
                        households: households.rows,
                        residents: { file },
                        districtId: f.districtId,
                        householdsFile: "h.csv",
                        residentsFile: "r.csv",
                        logger: logger
                    )
                } throws: { ($0 as? ImportFailure)?.items.map(\.line) == lines }
                #expect((try await count(db, "household"), try await count(db, "resident")) == before)
            }
        }
    }

    @Test func anIdentityNumberAlreadyStoredIsReportedByLineWhenItIsTheOnlyProblem() async throws {
        try await withTestDatabase { db, _ in
            let f = try await Fixture.make(db)
            _ = try await ResidentStore(db).create(Fixture.residentDraft(household: f.householdIds[0], n: 1), logger: logger)
            let dup = Fixture.residentDraft(household: f.householdIds[0], n: 1).idNumber.value
            let fresh = IDCardNumber.make(region: 510104, birth: SimpleDate(year: 1960, month: 5, day: 5)!, sequence: 8).value
            let residents =
                "household_id,name,sex,birth_date,id_number\n\(f.householdIds[1]),甲,female,1960-05-05,\(fresh)\n\(f.householdIds[1]),乙,female,1950-03-09,\(dup)\n"
            let data = try RegistryImport.parse(households: nil, residents: ("r.csv", Array(residents.utf8)), today: today).get()
            await #expect {
                try await ImportStore(db).load(data, districtId: f.districtId, householdsFile: "", residentsFile: "r.csv", logger: logger)
            } throws: { ($0 as? ImportFailure)?.items.map(\.line) == [3] }
            #expect(try await count(db, "resident") == 1)
        }
    }
}
