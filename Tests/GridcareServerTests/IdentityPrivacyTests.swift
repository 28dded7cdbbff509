import Foundation
import GridcareCore
import GridcareServer
import GridcareStore
import GridcareTestSupport
import HTTPTypes
import HummingbirdTesting
import Testing

/// What each role can learn of a resident's identity number from every response that carries the resident:
/// the candidates left by all it shows together (IdentityExposure), or the whole number where the role's work
/// needs it, audited as a reveal. The region is taken as known, as an attacker reads it off the address.
@Suite struct IdentityPrivacyTests {
    static let today = SimpleDate.todayInChina()

    /// Checks one resident-bearing object (a Resident or a slip's patient) against the number it stands for.
    static func check(_ obj: [String: Any], full: Bool, _ number: IDCardNumber, _ what: String) {
        if full {
            #expect(obj["idNumber"] as? String == number.value, "\(what): whole number expected")
            #expect(obj["birthDate"] as? String == number.birthDate.iso, "\(what): birth date expected")
            return
        }
        #expect(obj["idNumber"] == nil, "\(what): no whole number")
        #expect(obj["birthDate"] == nil, "\(what): no birth date")
        let year = (obj["birthYear"] as? NSNumber)?.intValue
        #expect(year == number.birthDate.year, "\(what): birth year")
        if let age = (obj["age"] as? NSNumber)?.intValue {
            // In a masked view the age is the one reached this year: it says no more than the year.
            #expect(age == today.year - number.birthDate.year, "\(what): age reached this year")
        }
        let sex = obj["sex"] as? String
        let exposure = IdentityExposure(
            region: String(number.value.prefix(6)),
            birthYear: year,
            isMale: sex.map { $0 == "male" },
            masked: obj["idNumberMasked"] as? String
        )
        let n = exposure.candidates()
        #expect(n >= IdentityExposure.floor, "\(what): \(n) candidates")
    }

    /// The slip page's patient rows as a patient object.
    static func patient(fromSlip html: String) -> [String: Any] {
        func cell(_ label: String) -> String? {
            guard let r = html.range(of: "<th>\(label)</th><td>") else { return nil }
            return String(html[r.upperBound...].prefix { $0 != "<" })
        }
        var p: [String: Any] = ["idNumberMasked": cell("身份证号 ID number") ?? ""]
        if let date = cell("出生日期 Born") { p["birthDate"] = date }
        if let year = cell("出生年份 Born").flatMap(Int.init) { p["birthYear"] = year }
        if let masked = p["idNumberMasked"] as? String, !masked.contains("*") { p["idNumber"] = masked }
        return p
    }

    func reveals(_ db: Database, _ user: Int64) async throws -> Int {
        try await db.first("SELECT count(*)::int FROM audit_event WHERE action = 'reveal' AND user_id = \(user)", as: Int.self, logger: quiet) ?? 0
    }

    @Test func everyResponseShapeLeavesAThousandCandidatesButTheFullViewsWhichAreAudited() async throws {
        try await withScopedAPI { client, f, users, db in
            let draft = Fixture.residentDraft(household: f.householdIds[0], n: 41, born: SimpleDate(year: 1956, month: 8, day: 23)!, male: true)
            let number = draft.idNumber
            let (status, created, _) = try await client.call(
                .post,
                "/v1/residents",
                json: [
                    "householdId": f.householdIds[0], "name": "王大爷", "sex": "male", "birthDate": "1956-08-23", "idNumber": number.value,
                ]
            )
            #expect(status == .created)
            Self.check(created, full: false, number, "created, as the administrator")
            let id = created.id
            let slips = Slips(client: client, f: f, users: users)
            let slip = try await slips.write(id)
            Self.check(slip["patient"] as? [String: Any] ?? [:], full: false, number, "slip as written")

            // Who may read what, and who sees the whole number on a single read.
            let readers: [(Role, fullResident: Bool)] = [(.admin, false), (.centreStaff, true), (.gridWorker, false), (.districtManager, false)]
            for (role, full) in readers {
                let token = users[role]
                let (s1, one, _) = try await client.call(.get, "/v1/residents/\(id)", token: token)
                #expect(s1 == .ok, "\(role)")
                Self.check(one, full: full, number, "GET resident as \(role)")
                let (_, list, _) = try await client.call(.get, "/v1/residents?householdId=\(f.householdIds[0])", token: token)
                let row = list.items.first { $0.id == id }
                #expect(row != nil, "\(role) lists the resident")
                Self.check(row ?? [:], full: false, number, "resident list as \(role)")
                let (_, found, _) = try await client.call(.get, "/v1/residents?idNumber=\(number.value)", token: token)
                #expect(found.items.map(\.id) == [id], "\(role) finds the resident by number")
                Self.check(found.items.first ?? [:], full: false, number, "search by number as \(role)")
            }
            #expect(try await reveals(db, users.ids[.centreStaff]!) == 1)
            #expect(try await reveals(db, users.ids[.admin]!) == 0)
            #expect(try await reveals(db, users.ids[.gridWorker]!) == 0)

            // The slip: the hospital sees the whole number once it has received the slip, until discharge.
            let slipId = slip.id
            func slipViews(_ role: Role, full: Bool, _ stage: String) async throws {
                let (s, json, _) = try await client.call(.get, "/v1/referrals/\(slipId)", token: users[role])
                #expect(s == .ok, "\(role) \(stage)")
                Self.check(json["patient"] as? [String: Any] ?? [:], full: full, number, "slip JSON as \(role), \(stage)")
                let (_, list, _) = try await client.call(.get, "/v1/referrals", token: users[role])
                Self.check(
                    list.items.first { $0.id == slipId }?["patient"] as? [String: Any] ?? [:],
                    full: false,
                    number,
                    "slip list as \(role), \(stage)"
                )
                let (_, html) = try await client.raw(.get, "/v1/referrals/\(slipId)/slip", token: users[role])
                Self.check(Self.patient(fromSlip: html), full: full, number, "slip page as \(role), \(stage)")
                let (_, fhir) = try await client.raw(.get, "/v1/referrals/\(slipId)/fhir", token: users[role])
                #expect(!fhir.contains(number.value) && !fhir.contains(number.birthDate.iso), "FHIR as \(role), \(stage)")
            }
            try await slipViews(.hospitalStaff, full: false, "sent")
            try await slipViews(.admin, full: false, "sent")
            try await slipViews(.centreStaff, full: true, "sent")
            let hospitalBefore = try await reveals(db, users.ids[.hospitalStaff]!)
            #expect(hospitalBefore == 0)
            try await slips.act(slipId, "receive", as: .hospitalStaff)
            try await slipViews(.hospitalStaff, full: true, "received")
            try await slipViews(.admin, full: false, "received")
            // JSON and page: two reveals; the FHIR bundle shows neither and is no reveal.
            #expect(try await reveals(db, users.ids[.hospitalStaff]!) == 2)
        }
    }

    @Test func noTableHoldsTheNumberInPlaintextAndTheSearchStillFindsIt() async throws {
        try await withScopedAPI { client, f, users, db in
            let number = Fixture.residentDraft(household: f.householdIds[0], n: 77).idNumber
            let (status, created, _) = try await client.call(
                .post,
                "/v1/residents",
                json: [
                    "householdId": f.householdIds[0], "name": "李奶奶", "sex": "female", "birthDate": number.birthDate.iso, "idNumber": number.value,
                ],
                headers: [HTTPField.Name("Idempotency-Key")!: "register-77"]
            )
            #expect(status == .created)
            _ = try await Slips(client: client, f: f, users: users).write(created.id)
            let (_, check, _) = try await client.call(.post, "/v1/residents/id-number-checks", json: ["idNumber": number.value])
            #expect(check["registered"] as? Bool == true && (check["residentId"] as? NSNumber)?.int64Value == created.id)
            // Every row of every table of ours, as text, as the owner (a copy of the database sees the same).
            let tables = try await db.rows("SELECT tablename FROM pg_tables WHERE schemaname = 'public'", as: String.self, logger: quiet)
            #expect(tables.contains("resident") && tables.contains("referral") && tables.contains("idempotency_key"))
            for table in tables {
                let hits =
                    try await db.first(
                        """
                        SELECT count(*)::int FROM \(unescaped: table) t WHERE t::text LIKE '%' || \(number.value) || '%'
                        """,
                        as: Int.self,
                        logger: quiet
                    ) ?? 0
                #expect(hits == 0, "\(table) holds the number in plaintext")
            }
            // A copy of the database and a wrong key open nothing.
            let sealed = try await db.first("SELECT id_number_sealed FROM resident WHERE id = \(created.id)", as: Data.self, logger: quiet)!
            let otherKey = try IdentityVault(base64: IdentityVault.newKeyBase64())
            #expect(throws: IdentityKeyError.self) { try otherKey.open(sealed) }
            #expect(try TestDatabase.vault.open(sealed) == number)
        }
    }

    @Test func registeringANumberSomeoneElseHoldsLooksLikeRegisteringANewOne() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            // A district's own administrator, who cannot see the other district's resident.
            let districtAdmin = try await UserStore(db).add(
                .init(
                    username: "district-admin",
                    role: .admin,
                    password: TestUsers.password,
                    districtId: f.districtId
                ),
                bcryptCost: 4,
                logger: quiet
            )
            let token = try await TestUsers.token(for: districtAdmin.id, db)
            let elsewhere = Fixture.residentDraft(household: p.otherFixture.householdIds[0], n: 103).idNumber
            #expect(elsewhere.masked == p.otherDistrict.idNumberMasked)
            let fresh = Fixture.residentDraft(household: f.householdIds[0], n: 555).idNumber
            func register(_ number: IDCardNumber, token: String) async throws -> (HTTPResponse.Status, [String: Any]) {
                let (s, body, _) = try await client.call(
                    .post,
                    "/v1/residents",
                    json: [
                        "householdId": f.householdIds[1], "name": "张三", "sex": number.isMale ? "male" : "female",
                        "birthDate": number.birthDate.iso, "idNumber": number.value,
                    ],
                    token: token
                )
                return (s, body)
            }
            let (s1, held) = try await register(elsewhere, token: token)
            let (s2, new) = try await register(fresh, token: token)
            #expect(s1 == .created && s2 == .created)
            #expect(Set(held.keys) == Set(new.keys))
            for body in [held, new] {
                let (s, _, _) = try await client.call(.get, "/v1/residents/\(body.id)", token: token)
                #expect(s == .ok)
            }
            // The grid worker's case: a number held in the uncovered micro-grid of the same district.
            let outside = Fixture.residentDraft(household: p.outsideHousehold, n: 102).idNumber
            let (s3, heldByGrid) = try await register(outside, token: users[.gridWorker])
            #expect(s3 == .created && Set(heldByGrid.keys) == Set(new.keys))
            // A number the caller can see is a plain duplicate.
            let (s4, problem) = try await register(fresh, token: token)
            #expect(s4 == .conflict && problem.field == "idNumber")

            // The district's administrator sees no reviews; the deployment's sees both and decides.
            let (_, none, _) = try await client.call(.get, "/v1/registration-reviews", token: token)
            #expect(none.items.isEmpty)
            let (_, reviews, _) = try await client.call(.get, "/v1/registration-reviews")
            #expect(Set(reviews.items.map { ($0["residentId"] as? NSNumber)?.int64Value ?? 0 }) == [held.id, heldByGrid.id])
            let review = reviews.items.first { ($0["residentId"] as? NSNumber)?.int64Value == held.id }!
            #expect((review["existingResidentId"] as? NSNumber)?.int64Value == p.otherDistrict.id)
            let (sd, decided, _) = try await client.call(.post, "/v1/registration-reviews/\(review.id)/decision", json: ["decision": "transfer"])
            #expect(sd == .ok && decided["status"] as? String == "transferred")
            let (again, _, _) = try await client.call(.post, "/v1/registration-reviews/\(review.id)/decision", json: ["decision": "refuse"])
            #expect(again == .conflict)
            let states = try await db.rows(
                "SELECT id, registration FROM resident WHERE id IN (\(held.id), \(p.otherDistrict.id)) ORDER BY id",
                as: (Int64, String).self,
                logger: quiet
            )
            #expect(states.map(\.1) == ["moved_out", "active"])
            // Only a deployment administrator may call these at all.
            let (forbidden, _, _) = try await client.call(.get, "/v1/registration-reviews", token: users[.districtManager])
            #expect(forbidden == .forbidden)
        }
    }

    /// Centre staff of another team of the same centre see the resident (their centre's scope) but not the
    /// whole number; outsiders (another district, another hospital, no sign-in) meet exactly what a missing
    /// record gives, and no answer carries the number.
    @Test func anotherTeamSeesTheMaskAndOutsidersSeeWhatAMissingRecordGives() async throws {
        try await withScopedAPI { client, f, users, db in
            let workers = WorkerStore(db)
            func worker(_ role: WorkerRole, _ name: String) async throws -> Int64 {
                try await workers.create(
                    .init(
                        districtId: f.districtId,
                        role: role,
                        name: name,
                        phone: nil,
                        centreId: role == .doctor ? f.centreId : nil,
                        hospitalId: nil,
                        areaId: role == .partyMember ? f.communityId : nil
                    ),
                    logger: quiet
                ).id
            }
            let secondDoctor = try await worker(.doctor, "二医生")
            _ = try await TeamStore(db).create(
                centreId: f.centreId,
                name: "第二团队",
                members: [
                    .init(workerId: secondDoctor, role: .doctor), .init(workerId: try await worker(.partyMember, "二书记"), role: .partyMember),
                    .init(workerId: f.gridWorkerIds[2], role: .gridWorker),
                ],
                microGridIds: [f.microGridIds[2]],
                logger: quiet
            )
            let user = try await UserStore(db).add(
                .init(username: "doctor2", role: .centreStaff, password: TestUsers.password, workerId: secondDoctor),
                bcryptCost: 4,
                logger: quiet
            )
            let otherTeamDoctor = try await TestUsers.token(for: user.id, db)
            let draft = Fixture.residentDraft(household: f.householdIds[0], n: 61, male: true)
            let resident = try await ResidentStore(db).create(draft, logger: quiet)
            let slip = try await Slips(client: client, f: f, users: users).write(resident.id)
            try await Slips(client: client, f: f, users: users).act(slip.id, "receive", as: .hospitalStaff)

            let (s1, one, _) = try await client.call(.get, "/v1/residents/\(resident.id)", token: otherTeamDoctor)
            #expect(s1 == .ok)
            Self.check(one, full: false, draft.idNumber, "GET resident as a doctor of another team of the centre")
            let (s2, onSlip, _) = try await client.call(.get, "/v1/referrals/\(slip.id)", token: otherTeamDoctor)
            #expect(s2 == .ok)
            Self.check(onSlip["patient"] as? [String: Any] ?? [:], full: false, draft.idNumber, "slip as a doctor of another team")
            #expect(try await reveals(db, user.id) == 0)

            // Outsiders: another district's doctor, another hospital, nobody signed in.
            let other = try await Fixture.make(db, name: "另一区")
            let otherUsers = try await TestUsers.make(db, other, suffix: "-other")
            let otherHospital = try await otherHospitalToken(db, f)
            for (who, token, path) in [
                ("another district's doctor", otherUsers[.centreStaff], "/v1/residents/"),
                ("another district's doctor", otherUsers[.centreStaff], "/v1/referrals/"),
                ("another hospital", otherHospital, "/v1/referrals/"),
            ] {
                let id = path.hasPrefix("/v1/residents") ? resident.id : slip.id
                let (status, body) = try await client.raw(.get, path + "\(id)", token: token)
                let (missingStatus, missingBody) = try await client.raw(.get, path + "99999999", token: token)
                #expect(status == .notFound && status == missingStatus && body == missingBody, "\(who) \(path)")
                #expect(!body.contains(draft.idNumber.value) && !body.contains(draft.idNumber.masked), "\(who) \(path)")
            }
            let (page, pageBody) = try await client.raw(.get, "/v1/referrals/\(slip.id)/slip", token: otherHospital)
            let (missingPage, missingPageBody) = try await client.raw(.get, "/v1/referrals/99999999/slip", token: otherHospital)
            #expect(page == .notFound && page == missingPage && pageBody == missingPageBody)
            let (anonymous, anonymousBody) = try await client.raw(.get, "/v1/residents/\(resident.id)", token: nil)
            let (anonymousMissing, anonymousMissingBody) = try await client.raw(.get, "/v1/residents/99999999", token: nil)
            #expect(anonymous == .unauthorized && anonymous == anonymousMissing && anonymousBody == anonymousMissingBody)
            #expect(!anonymousBody.contains(draft.idNumber.value))
        }
    }
}
