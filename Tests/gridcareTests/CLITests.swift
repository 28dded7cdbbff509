import Foundation
import GridcareCore
import GridcareStore
import GridcareTestSupport
import Logging
import PostgresNIO
import Testing

let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

/// Runs the built `gridcare` binary as a user would, against a fresh test database.
struct CLI {
    var url: DatabaseURL

    static var binary: String { TestDatabase.packageRoot + "/.build/debug/gridcare" }

    struct Result {
        var status: Int32
        var output: String
    }

    func run(_ arguments: String..., cwd: String = TestDatabase.packageRoot, input: String? = nil) throws -> Result {
        #expect(FileManager.default.isExecutableFile(atPath: Self.binary), "build the CLI first: swift build")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("gc-cli-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        var env = ProcessInfo.processInfo.environment
        env["GRIDCARE_DATABASE_URL"] = url.connectionString
        env["GRIDCARE_LOG_LEVEL"] = "warning"
        env["GRIDCARE_AUTH_BCRYPT_COST"] = "4"
        // The test run's identity key: the CLI seals numbers into databases the suite also reads.
        env["GRIDCARE_SECURITY_IDENTITY_KEY"] = TestDatabase.identityKeyBase64
        let inputFile = try input.map(Self.write)
        defer { if let inputFile { try? FileManager.default.removeItem(atPath: inputFile) } }
        let status = try ChildProcess.run(Self.binary, arguments, outputFile: out, environment: env, inputFile: inputFile)
        return Result(status: status, output: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "")
    }

    static func write(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gc-\(UUID().uuidString).csv").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

@Suite struct CLITests {
    func count(_ db: Database, _ table: String) async throws -> Int {
        try await db.client.query("SELECT count(*)::int FROM \(unescaped: table)").decode(Int.self).all()[0]
    }

    @Test func aBadImportReportsEveryLineExitsTwoAndLoadsNothing() async throws {
        try await withTestDatabase { db, url in
            let f = try await Fixture.make(db)
            let born = SimpleDate(year: 1960, month: 5, day: 5)!
            let good = IDCardNumber.make(region: 510104, birth: born, sequence: 2).value
            let households = try CLI.write(
                "ref,micro_grid_id,address,latitude,longitude\nN1,\(f.microGridIds[1]),光华街3号,30.6,104.0\nN2,\(f.microGridIds[1]),光华街4号,95,104.0\n"
            )
            let residents = try CLI.write(
                "household_ref,name,sex,birth_date,id_number\nN1,甲,female,1960-05-05,\(good)\nN1,乙,male,1960-05-05,\(good)\n"
            )
            let result = try CLI(url: url).run("import", "--district", "\(f.districtId)", "--households", households, "--residents", residents)
            #expect(result.status == 2)
            #expect(result.output.contains("\(households):3: latitude"))
            #expect(result.output.contains("\(residents):3:"))
            #expect(result.output.contains("Nothing was imported"))
            #expect(try await count(db, "household") == 2)
            #expect(try await count(db, "resident") == 0)
        }
    }

    @Test func aGoodImportLoadsAndTheCoverageReportReadsIt() async throws {
        try await withTestDatabase { db, url in
            let f = try await Fixture.make(db)
            let born = SimpleDate(year: 1960, month: 5, day: 5)!
            var rows = "household_ref,name,sex,birth_date,id_number,conditions\n"
            for i in 1...40 {
                rows += "H1,居民\(i),female,1960-05-05,\(IDCardNumber.make(region: 510104, birth: born, sequence: i * 2).value),hypertension\n"
            }
            let residents = try CLI.write(rows)
            let cli = CLI(url: url)
            let imported = try cli.run("import", "--district", "\(f.districtId)", "--residents", residents)
            #expect(imported.status == 0, "\(imported.output)")
            #expect(imported.output.contains("Imported 0 households and 40 residents"))
            #expect(try await count(db, "resident") == 40)

            let report = try cli.run("report", "coverage", "--district", "\(f.districtId)", "--format", "json")
            #expect(report.status == 0)
            let json = try JSONSerialization.jsonObject(with: Data(report.output.utf8)) as? [[String: String]]
            #expect(json?.contains { $0["finding"] == "uncovered" && $0["what"] == "micro-grid \(f.microGridIds[2])" } == true)
            let table = try cli.run("report", "coverage", "--district", "\(f.districtId)")
            #expect(table.output.contains("2 of 3 micro-grids covered"))
        }
    }

    @Test func demoLoadsOnceAndMigrateReportsUpToDate() async throws {
        try await withTestDatabase { db, url in
            let cli = CLI(url: url)
            let first = try cli.run("demo", "--residents", "800", "--seed", "9")
            #expect(first.status == 0, "\(first.output)")
            #expect(try await count(db, "resident") == 800)
            let again = try cli.run("demo", "--residents", "800", "--seed", "9")
            #expect(again.status != 0)
            #expect(again.output.contains("already loaded"))
            #expect(try cli.run("demo", "--residents", "800", "--seed", "9", "--if-missing").status == 0)
            let migrate = try cli.run("migrate")
            #expect(migrate.output.contains("Database is up to date."))
            #expect(try cli.run("import", "--district", "1").status != 0)
        }
    }

    @Test func theMobilisationCheckCountsTheDemoForcesAndSaysWhoNeedsHelp() async throws {
        try await withTestDatabase { db, url in
            let cli = CLI(url: url)
            #expect(try cli.run("demo", "--residents", "3000", "--seed", "5").status == 0)
            let district = try await db.client.query("SELECT id FROM area WHERE level = 'district'").decode(Int64.self).all()[0]
            func failing(_ kind: String) throws -> [[String: String]] {
                let r = try cli.run("mobilisation", "check", "--district", "\(district)", "--kind", kind, "--format", "json")
                #expect(r.status == 0, "\(r.output)")
                return try JSONSerialization.jsonObject(with: Data(r.output.utf8)) as? [[String: String]] ?? []
            }
            let all = try cli.run("mobilisation", "check", "--district", "\(district)", "--all", "--format", "json")
            let rows = try JSONSerialization.jsonObject(with: Data(all.output.utf8)) as? [[String: String]] ?? []
            #expect(rows.count > 10 && rows.filter { $0["meets"] == "yes" }.count > rows.count / 2)
            // Every row counts building leaders and volunteers; each failing one says how many more people it needs.
            #expect(rows.contains { Int($0["building leaders"] ?? "") ?? 0 > 0 } && rows.contains { Int($0["volunteers"] ?? "") ?? 0 > 0 })
            let notice = try failing("notice")
            let doorToDoor = try failing("door-to-door")
            #expect(doorToDoor.count >= notice.count && doorToDoor.count < rows.count)
            for row in notice + doorToDoor {
                let people = ["workers", "party members", "building leaders", "volunteers"].compactMap { Int(row[$0] ?? "") }.reduce(0, +)
                #expect(row["meets"] == "NO" && row["needs"] == "+\((Int(row["fewest people"] ?? "") ?? 0) - people)", "\(row)")
            }
            let table = try cli.run("mobilisation", "check", "--district", "\(district)", "--kind", "door-to-door")
            #expect(table.output.contains("\(doorToDoor.count) cannot reach every household within 180 minutes"), "\(table.output)")
            let bad = try cli.run("mobilisation", "check", "--district", "\(district)", "--kind", "shouting")
            #expect(bad.status != 0 && bad.output.contains("door-to-door"), "\(bad.output)")
        }
    }

    @Test func administratorsAddUsersIssueAndRevokeTokensAndReadTheAuditTrail() async throws {
        try await withTestDatabase { db, url in
            let f = try await Fixture.make(db)
            let cli = CLI(url: url)
            let added = try cli.run(
                "user",
                "add",
                "--username",
                "Li.Doctor",
                "--role",
                "centre_staff",
                "--worker",
                "\(f.doctorId)",
                input: "a long enough password\n"
            )
            #expect(added.status == 0, "\(added.output)")
            #expect(added.output.contains("li.doctor (centre_staff, district \(f.districtId))"))
            // The password never goes on the command line, and bad input names the field with exit code 2.
            let noPassword = try cli.run("user", "add", "--username", "someone", "--role", "admin")
            #expect(noPassword.status == 2 && noPassword.output.contains("password"))
            let wrongWorker = try cli.run(
                "user",
                "add",
                "--username",
                "nurse.as.grid",
                "--role",
                "grid_worker",
                "--worker",
                "\(f.nurseId)",
                input: "a long enough password\n"
            )
            #expect(wrongWorker.status == 2 && wrongWorker.output.contains("worker: is a nurse"), "\(wrongWorker.output)")
            let taken = try cli.run("user", "add", "--username", "li.doctor", "--role", "admin", input: "a long enough password\n")
            #expect(taken.status == 2 && taken.output.contains("username: li.doctor is taken"), "\(taken.output)")

            let issued = try cli.run("token", "issue", "--user", "li.doctor", "--ttl-hours", "2", "--quiet")
            #expect(issued.status == 0)
            let token = issued.output.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(token.hasPrefix("gct_"))
            let caller = try await TokenStore(db).authenticate(token, logger: quiet)
            #expect(caller?.role == .centreStaff)
            #expect(caller?.scope.microGridIds == Array(f.microGridIds.prefix(2)))
            let revoked = try cli.run("token", "revoke", "--user", "li.doctor")
            #expect(revoked.status == 0 && revoked.output.contains("revoked 1 token(s)"))
            #expect(try await TokenStore(db).authenticate(token, logger: quiet) == nil)
            #expect(try cli.run("token", "revoke", "--id", "999999").status == 2)

            let scoped = db.scoped(caller!.scope, operation: "getResident")
            let resident = try await ResidentStore(db).create(Fixture.residentDraft(household: f.householdIds[0], n: 3), logger: quiet)
            _ = try await ResidentStore(scoped).get(resident.id, logger: quiet)
            let audit = try cli.run("audit", "--resident", "\(resident.id)", "--format", "csv")
            #expect(audit.status == 0)
            let lines = audit.output.split(separator: "\n")
            // Header, then newest first: the team doctor's whole-number view, the read, the creation.
            #expect(lines.count == 4, "\(audit.output)")
            #expect(lines[1].contains(",centre_staff,getResident,reveal,\(resident.id),ok,"))
            #expect(lines[2].contains(",centre_staff,getResident,read,\(resident.id),ok,"))
            #expect(lines[3].contains(",cli,create,\(resident.id),ok,"))
        }
    }

    @Test func dueListsAndCaseSheetsPrintForPeople() async throws {
        try await withTestDatabase { db, url in
            let f = try await Fixture.make(db)
            let users = try await TestUsers.make(db, f)
            let today = SimpleDate.todayInChina()
            let r = try await ResidentStore(db).create(
                Fixture.residentDraft(
                    household: f.householdIds[0],
                    n: 11,
                    name: "周大爷",
                    conditions: [.hypertension]
                ),
                logger: quiet
            )
            _ = try await ContractStore(db).sign(residentId: r.id, teamId: f.teamId, startsOn: today.adding(days: -10), years: 1, logger: quiet)
            let doctor = try #require(try await TokenStore(db).authenticate(users[.centreStaff], logger: quiet))
            let sheets = CaseSheetStore(db.scoped(doctor.scope, operation: "test"))
            let outcome = try await sheets.addReading(
                residentId: r.id,
                vitals: Vitals(systolic: 200, diastolic: 120),
                measuredAt: Date(),
                serviceId: nil,
                logger: quiet
            )
            #expect(outcome.alert != nil)

            let cli = CLI(url: url)
            let due = try cli.run("due", "--team", "\(f.teamId)")
            #expect(due.status == 0, "\(due.output)")
            #expect(due.output.contains("周大爷") && due.output.contains("chronic_follow_up") && due.output.contains("ALERT"))
            let json = try cli.run("due", "--team", "\(f.teamId)", "--format", "json")
            let rows = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [[String: String]]
            #expect(Set(rows?.map { $0["rule"] ?? "" } ?? []) == ["chronic_follow_up", "annual_check", "follow_up_after_reading"])
            #expect(try cli.run("due").status == 64)

            let sheet = try cli.run("case-sheet", "\(r.id)")
            #expect(sheet.status == 0, "\(sheet.output)")
            #expect(sheet.output.contains("周大爷 (resident \(r.id))"))
            #expect(sheet.output.contains("血压 200/120 mmHg — 建议绿色通道转诊"))
            #expect(sheet.output.contains("200/120"))
            #expect(!sheet.output.contains(Fixture.residentDraft(household: 0, n: 11).idNumber.value))
            #expect(try cli.run("case-sheet", "999999").status != 0)
        }
    }

    @Test func lateReferralSlipsAndTheLoopReportPrint() async throws {
        try await withTestDatabase { db, url in
            let f = try await Fixture.make(db)
            let users = try await TestUsers.make(db, f)
            let r = try await ResidentStore(db).create(Fixture.residentDraft(household: f.householdIds[0], n: 12, name: "吴奶奶"), logger: quiet)
            let doctor = try #require(try await TokenStore(db).authenticate(users[.centreStaff], logger: quiet))
            let slips = ReferralStore(db.scoped(doctor.scope, operation: "test"))
            let slip = try await slips.create(
                .init(
                    residentId: r.id,
                    hospitalId: f.hospitalId,
                    department: nil,
                    urgency: .greenChannel,
                    reason: "胸痛",
                    diagnosis: "急性冠脉综合征?",
                    send: true
                ),
                logger: quiet
            )
            let cli = CLI(url: url)
            let none = try cli.run("referrals", "overdue")
            #expect(none.status == 0 && none.output.contains("No slip is late."), "\(none.output)")
            _ = try await db.client.query("UPDATE referral SET sent_at = now() - interval '5 hours' WHERE id = \(slip.id)")
            let late = try cli.run("referrals", "overdue")
            #expect(late.status == 0, "\(late.output)")
            #expect(late.output.contains(slip.number) && late.output.contains("吴奶奶") && late.output.contains("hospital: acknowledge"))
            #expect(late.output.contains("3 h "), "\(late.output)")
            let report = try cli.run("referrals", "report", "--format", "json")
            let rows = try JSONSerialization.jsonObject(with: Data(report.output.utf8)) as? [[String: String]]
            #expect(rows?.count == 2)
            #expect(rows?.first?["ack late"] == "1" && rows?.first?["sent"] == "1", "\(report.output)")
            #expect(try cli.run("referrals", "report", "--from", "yesterday").status == 64)
        }
    }

    /// The notifications' report, dead letters and retry, as an operator runs them.
    @Test func notificationDeliveryIsReportedAndDeadLettersRetried() async throws {
        try await withTestDatabase { db, url in
            let f = try await Fixture.make(db)
            let users = try await TestUsers.make(db, f)
            let cli = CLI(url: url)
            #expect(try cli.run("notifications", "status").output.contains("No deliveries"))
            #expect(try cli.run("notifications", "dead").output.contains("No dead letters."))
            let refused = try cli.run("notifications", "retry")
            #expect(refused.status != 0 && refused.output.contains("--all"))
            try await db.query(
                """
                SELECT gridcare_notify(NULL, 'flag_raised', 'cli:' || i, false, NULL, ARRAY[\(users.ids[.centreStaff]!)::bigint], '待确认', '请确认', NULL)
                FROM generate_series(1, 2) i
                """,
                logger: quiet
            )
            let job = Outbox(db.scoped(.serviceJob, operation: "test"))
            try await job.dispatch(channels: [.webhook], logger: quiet)
            let claimed = try await job.claim(limit: 10, lease: .seconds(30), logger: quiet)
            try await job.record(
                claimed.map { .init(id: $0.id, outcome: .refused(reason: "HTTP 410"), httpStatus: 410, millis: 3, retryAfter: .seconds(1)) },
                giveUpAfter: .seconds(60),
                logger: quiet
            )
            let status = try cli.run("notifications", "status", "--format", "csv").output
            #expect(status.contains("webhook,flag_raised,2,0,0,0,2"), "\(status)")
            let dead = try cli.run("notifications", "dead").output
            #expect(dead.contains("HTTP 410") && dead.contains("webhook"))
            let again = try cli.run("notifications", "retry", "--all")
            #expect(again.status == 0 && again.output.contains("2 deliveries will be sent again."))
            #expect(try cli.run("notifications", "dead").output.contains("No dead letters."))
        }
    }

    @Test func theBoardsClockAndMatchingRunFromTheCommandLine() async throws {
        try await withTestDatabase { db, url in
            let f = try await Fixture.make(db)
            let users = try await TestUsers.make(db, f)
            let r = try await ResidentStore(db).create(Fixture.residentDraft(household: f.householdIds[0], n: 13, name: "郑爷爷"), logger: quiet)
            let grid = try #require(try await TokenStore(db).authenticate(users[.gridWorker], logger: quiet))
            let doctor = try #require(try await TokenStore(db).authenticate(users[.centreStaff], logger: quiet))
            let today = SimpleDate.todayInChina()
            let box = try await BoardStore(db.scoped(doctor.scope, operation: "test")).createBox(
                areaId: f.microGridIds[0],
                kind: "box",
                name: "楼道药箱",
                place: nil,
                custodianId: f.gridWorkerIds[0],
                logger: quiet
            )
            let board = BoardStore(db.scoped(grid.scope, operation: "test"))
            let soon = try await board.postOffer(
                .init(
                    boxId: box.id,
                    itemName: "对乙酰氨基酚片",
                    category: .otcMedicine,
                    quantity: 8,
                    unit: "片",
                    expiresOn: today.adding(days: 5),
                    donorName: "楼下邻居",
                    note: nil
                ),
                today: today,
                logger: quiet
            )
            let request = try await BoardRequestStore(db.scoped(grid.scope, operation: "test"))
                .post(.init(residentId: r.id, itemName: "对乙酰氨基酚", category: .otcMedicine, quantity: 4, urgency: .urgent, reason: "发热"), logger: quiet)
            let cli = CLI(url: url)
            let match = try cli.run("board", "match", "\(request.id)")
            #expect(
                match.status == 0 && match.output.contains("对乙酰氨基酚片") && match.output.contains("(soon)")
                    && match.output.contains("same_micro_grid"),
                "\(match.output)"
            )
            _ = try await db.client.query("UPDATE board_offer SET expires_on = current_date - 1 WHERE id = \(soon.id)")
            let expire = try cli.run("board", "expire")
            #expect(expire.status == 0 && expire.output.contains("1 offers expired, 0 reservations returned."), "\(expire.output)")
            #expect(try cli.run("board", "match", "\(request.id)").output.contains("No offer matches."))
            let report = try cli.run("board", "report", "--format", "json")
            let rows = try JSONSerialization.jsonObject(with: Data(report.output.utf8)) as? [[String: String]]
            #expect(report.status == 0 && rows?.first?["requests"] == "1" && rows?.first?["units offered"] == "8", "\(report.output)")
        }
    }

    @Test func aTeamsWeekPlansExportsAsVRPLIBAndSolvesBack() async throws {
        try await withTestDatabase { db, url in
            let f = try await Fixture.make(db)
            for n in 0..<4 {
                let r = try await ResidentStore(db).create(
                    Fixture.residentDraft(
                        household: f.householdIds[n % 2],
                        n: 300 + n,
                        name: "卧床\(n)",
                        conditions: [.hypertension, .bedbound]
                    ),
                    logger: quiet
                )
                _ = try await ContractStore(db).sign(
                    residentId: r.id,
                    teamId: f.teamId,
                    startsOn: SimpleDate.todayInChina().adding(days: -100),
                    years: 1,
                    logger: quiet
                )
            }
            let week = ISOWeek(containing: SimpleDate.todayInChina().adding(days: 7)).description
            let cli = CLI(url: url)
            let plan = try cli.run("rounds", "plan", "--team", "\(f.teamId)", "--week", week, "--seconds", "0.3", "--format", "json")
            let rows = try JSONSerialization.jsonObject(with: Data(plan.output.utf8)) as? [[String: String]]
            #expect(plan.status == 0 && rows?.count == 4, "\(plan.output)")
            #expect(
                rows?.allSatisfy { Set(($0["visit"] ?? "").split(separator: "+")) == ["doctor_follow_up", "annual_check"] && $0["arrive"] != nil }
                    == true,
                "\(plan.output)"
            )
            let ics = try cli.run("rounds", "plan", "--team", "\(f.teamId)", "--week", week, "--seconds", "0.2", "--format", "ics")
            #expect(ics.output.components(separatedBy: "BEGIN:VEVENT").count == 5)
            #expect(try cli.run("rounds", "plan", "--team", "\(f.teamId)", "--week", "2026-W99").status == 2)

            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gc-vrp-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let export = try cli.run("rounds", "export", "--team", "\(f.teamId)", "--week", week, "--out", dir + "/week.vrp")
            #expect(export.status == 0 && export.output.contains("4 visits"), "\(export.output)")
            // One instance per day and free block (week-<day>-<HHMM>.vrp): mornings and afternoons after lunch.
            let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("week-") && $0.hasSuffix(".vrp") }.sorted()
            #expect(files.contains { $0.hasSuffix("-0800.vrp") } && files.contains { $0.hasSuffix("-1330.vrp") }, "\(files)")
            let instance = dir + "/" + (files.first ?? "week.vrp")
            let solve = try cli.run("rounds", "solve", instance, "--seconds", "0.3", "--out", dir + "/week.sol")
            #expect(solve.status == 0, "\(solve.output)")
            let sol = try String(contentsOfFile: dir + "/week.sol", encoding: .utf8)
            let routed = sol.split(separator: "\n").filter { $0.hasPrefix("Route #") }.flatMap { $0.split(separator: ":")[1].split(separator: " ") }
            #expect(Set(routed) == ["1", "2", "3", "4"], "\(sol)")
            let broken = dir + "/broken.vrp"
            try "NAME : x\nTYPE : PCVRPTW\nDIMENSION : abc\n".write(toFile: broken, atomically: true, encoding: .utf8)
            let refused = try cli.run("rounds", "solve", broken)
            #expect(refused.status == 2 && refused.output.contains("line 3"), "\(refused.output)")
        }
    }
}
