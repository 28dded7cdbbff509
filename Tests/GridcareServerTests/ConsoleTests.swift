import Foundation
import GridcareCore
import GridcareServer
import GridcareStore
import GridcareTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The web console as an outsider and a careless insider meet it, through the application `serve` runs:
/// pages need a session, a foreign resident is the missing one's page, a form without its session's
/// token writes nothing, each page keeps its API operation's role rule, values are escaped, and signing
/// in goes back to the console only.
@Suite struct ConsoleTests {
    @Test func everyPageNeedsASessionAndSendsTheWayBack() async throws {
        try await withScopedAPI { client, _, _, _ in
            let (status, _, headers) = try await client.page(.get, "/app/grids?x=1", token: nil)
            #expect(status == .seeOther)
            #expect(headers[.location] == "/app/login?next=%2Fapp%2Fgrids%3Fx%3D1")
            // A token that is not one (or no longer one) is no session.
            #expect(try await client.page(.get, "/app/grids", token: "gc_not-a-token").0 == .seeOther)
            // The ways in of part 2 (the hospital's inbox, the dashboard and its downloads, paper) send a
            // caller without a session to sign in, and show nothing.
            for path in [
                "/app/hospital", "/app/referrals/1", "/app/referrals/1/print", "/app/district", "/app/district/export?format=xlsx",
                "/app/grids/1/codes", "/app/stations/1/poster", "/app/r/1/print",
            ] {
                let (status, _, headers) = try await client.page(.get, path, token: nil)
                #expect(status == .seeOther && headers[.location]?.hasPrefix("/app/login?next=") == true, "\(path)")
            }
        }
    }

    @Test func aForeignResidentsPageIsTheMissingOnesPageAndIsAudited() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            let grid = users[.gridWorker]
            let (ok, own, _) = try await client.page(.get, "/app/r/\(p.inside.id)", token: grid)
            #expect(ok == .ok && own.contains(p.inside.name))
            let (s1, foreign, _) = try await client.page(.get, "/app/r/\(p.outsideGrid.id)", token: grid)
            let (s2, otherDistrict, _) = try await client.page(.get, "/app/r/\(p.otherDistrict.id)", token: grid)
            let (s3, missing, _) = try await client.page(.get, "/app/r/987654321", token: grid)
            #expect(s1 == .notFound && s2 == .notFound && s3 == .notFound)
            #expect(foreign == missing && otherDistrict == missing)
            #expect(!foreign.contains(p.outsideGrid.name) && !foreign.contains(p.outsideGrid.idNumberMasked))
            let denied = try await AuditLog(db).list(
                .init(residentId: p.outsideGrid.id),
                page: try PageRequest(cursor: nil, limit: 10),
                logger: quiet
            )
            #expect(denied.items.contains { $0.outcome == .denied && $0.operation == "console.getCaseSheet" })
            // The household behind a code of another micro-grid reads as no household.
            let h = try await HouseholdStore(db).get(p.outsideHousehold, logger: quiet)
            let (s4, byCode, _) = try await client.page(.get, "/app/h/\(h.codeToken)", token: grid)
            let (s5, noCode, _) = try await client.page(.get, "/app/h/no-such-code", token: grid)
            #expect(s4 == .notFound && s5 == .notFound && byCode == noCode)
        }
    }

    /// The pages a grid worker and the team's doctor see of their own resident show the mask, never the
    /// whole number; a board request of a foreign resident is the missing one's page.
    @Test func noPageShowsTheWholeNumberAndAForeignBoardRequestReadsAsMissing() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            let whole = Fixture.residentDraft(household: f.householdIds[0], n: 101).idNumber.value
            let code = try await HouseholdStore(db).get(p.inside.householdId, logger: quiet).codeToken
            for token in [users[.gridWorker], users[.centreStaff]] {
                let paths = [
                    "/app/r/\(p.inside.id)", "/app/grids/\(f.microGridIds[0])", "/app/h/\(code)", "/app/search?q=\(p.inside.name.prefix(1))",
                ]
                for path in paths {
                    let (status, page, _) = try await client.page(
                        .get,
                        path.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!,
                        token: token
                    )
                    #expect(status == .ok && !page.contains(whole) && !page.contains(String(whole.dropLast(2))), "\(path)")
                }
            }
            let (_, own, _) = try await client.page(.get, "/app/r/\(p.inside.id)", token: users[.gridWorker])
            #expect(own.contains(p.inside.idNumberMasked))
            let admin = db.scoped(.init(userId: users.ids[.admin]!, role: .admin, districtId: nil, microGridIds: nil), operation: "test")
            let foreign = try await BoardRequestStore(admin).post(
                .init(residentId: p.outsideGrid.id, itemName: "布洛芬", category: .otcMedicine, quantity: 1, urgency: .routine, reason: "发热"),
                logger: quiet
            )
            let (s1, seen, _) = try await client.page(.get, "/app/board/requests/\(foreign.id)", token: users[.gridWorker])
            let (s2, missing, _) = try await client.page(.get, "/app/board/requests/987654321", token: users[.gridWorker])
            #expect(s1 == .notFound && s2 == .notFound && seen == missing && !seen.contains(p.outsideGrid.name))
            let (_, board, _) = try await client.page(.get, "/app/board", token: users[.gridWorker])
            #expect(!board.contains(p.outsideGrid.name))
        }
    }

    /// 我的微网格 lists the worker's own micro-grids only; another micro-grid's page, of the same district
    /// or another, is the missing one's page. The due list offers the team's catchment, not the district.
    @Test func aWorkerSeesTheirOwnMicroGridsAndAForeignOneReadsAsMissing() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            let grid = users[.gridWorker]
            let (_, mine, _) = try await client.page(.get, "/app/grids", token: grid)
            #expect(mine.contains("/app/grids/\(f.microGridIds[0])\""))
            #expect(!mine.contains("/app/grids/\(f.microGridIds[2])\"") && !mine.contains("/app/grids/\(p.otherFixture.microGridIds[0])\""))
            let (s1, sameDistrict, _) = try await client.page(.get, "/app/grids/\(f.microGridIds[2])", token: grid)
            let (s2, otherDistrict, _) = try await client.page(.get, "/app/grids/\(p.otherFixture.microGridIds[0])", token: grid)
            let (s3, missing, _) = try await client.page(.get, "/app/grids/987654321", token: grid)
            #expect(s1 == .notFound && s2 == .notFound && s3 == .notFound)
            #expect(sameDistrict == missing && otherDistrict == missing && !sameDistrict.contains("外面路"))
            let third = try await AreaStore(db).get(f.microGridIds[2], logger: quiet).name
            let first = try await AreaStore(db).get(f.microGridIds[0], logger: quiet).name
            let (_, due, _) = try await client.page(.get, "/app/due", token: users[.centreStaff])
            #expect(due.contains("<option value=\"\(f.microGridIds[0])\"") && due.contains(first))
            #expect(!due.contains("<option value=\"\(f.microGridIds[2])\"") && !due.contains(third))
        }
    }

    /// A page's lists share one transaction: a resident the page read three ways (the micro-grid's
    /// residents, what is due, the open flags) leaves one audit row, not three.
    @Test func aPageAuditsEachResidentItShowsOnce() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            let worker = db.scoped(
                .init(userId: users.ids[.gridWorker]!, role: .gridWorker, districtId: f.districtId, microGridIds: [f.microGridIds[0]]),
                operation: "test"
            )
            _ = try await FlagStore(worker).raise(
                residentId: p.inside.id,
                category: .livingAlone,
                tier: .yellow,
                population: .key,
                note: nil,
                logger: quiet
            )
            let (status, page, _) = try await client.page(.get, "/app/grids/\(f.microGridIds[0])", token: users[.gridWorker])
            #expect(status == .ok && page.contains("/app/r/\(p.inside.id)") && page.contains("待确认"))
            let rows = try await AuditLog(db).list(.init(residentId: p.inside.id), page: try PageRequest(cursor: nil, limit: 50), logger: quiet).items
            let shown = rows.filter { $0.operation == "console.listHouseholds" }
            #expect(shown.count == 1 && shown.first?.action == .search && shown.first?.outcome == .ok)
            #expect(shown.first?.detail?.contains("flags") == true && shown.first?.detail?.contains("due visits") == true)
        }
    }

    /// The due list is the team's, narrowed in the database by micro-grid, each visit under its household's address.
    @Test func theDueListIsNarrowedByMicroGridAndGroupedByAddress() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            // Signed a month ago at 76: the annual check is due.
            let today = SimpleDate.todayInChina()
            _ = try await ContractStore(db).sign(
                residentId: p.inside.id,
                teamId: f.teamId,
                startsOn: today.adding(days: -30),
                years: 1,
                logger: quiet
            )
            let home = try await HouseholdStore(db).get(f.householdIds[0], logger: quiet)
            let (_, own, _) = try await client.page(.get, "/app/due?grid=\(f.microGridIds[0])", token: users[.centreStaff])
            #expect(own.contains("/app/r/\(p.inside.id)") && own.contains(home.address))
            let (_, other, _) = try await client.page(.get, "/app/due?grid=\(f.microGridIds[1])", token: users[.centreStaff])
            #expect(!other.contains("/app/r/\(p.inside.id)") && !other.contains(home.address))
        }
    }

    /// The team page shows the switch form of the contract asked for only, with the other teams to switch
    /// to; the form moves the contract. A contract of another team, or none, shows no form.
    @Test func oneContractIsSwitchedAtATime() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            let other = try await f.secondTeam(db)
            let today = SimpleDate.todayInChina()
            let c = try await ContractStore(db).sign(
                residentId: p.inside.id,
                teamId: f.teamId,
                startsOn: today.adding(days: -30),
                years: 1,
                logger: quiet
            )
            // The resident's micro-grid passes to the second team; their contract is switched after it.
            _ = try await TeamStore(db).removeFromCatchment(f.teamId, microGridId: p.inside.microGridId, logger: quiet)
            _ = try await TeamStore(db).addToCatchment(other.id, microGridIds: [p.inside.microGridId], logger: quiet)
            let doctor = users[.centreStaff]
            let (_, plain, _) = try await client.page(.get, "/app/team?team=\(f.teamId)", token: doctor)
            #expect(plain.contains("switch=\(c.id)") && !plain.contains("/app/contracts/\(c.id)/switch"))
            let (_, asked, _) = try await client.page(.get, "/app/team?team=\(f.teamId)&switch=\(c.id)", token: doctor)
            #expect(asked.contains("/app/contracts/\(c.id)/switch") && asked.contains("第二团队"))
            let (_, stranger, _) = try await client.page(.get, "/app/team?team=\(f.teamId)&switch=987654", token: doctor)
            #expect(!stranger.contains("/switch\""))
            let token = try await client.formToken(p.inside.id, token: doctor)
            let (status, answer, headers) = try await client.page(
                .post,
                "/app/contracts/\(c.id)/switch",
                token: doctor,
                form: "teamId=\(other.id)&csrf=\(token)"
            )
            #expect(status == .seeOther && headers[.location]?.contains("done=switched") == true, "\(status) \(answer)")
            let now = try await ContractStore(db).list(
                residentId: p.inside.id,
                teamId: nil,
                activeOn: today,
                page: try PageRequest(cursor: nil, limit: 5),
                logger: quiet
            )
            #expect(now.items.map(\.teamId) == [other.id])
        }
    }

    /// A refusal the database makes (a micro-grid already in a catchment) is a page in Chinese with the
    /// API's status, not the API's problem document, and nothing is changed.
    @Test func aConstraintRefusalIsAPage() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            let doctor = users[.centreStaff]
            let token = try await client.formToken(p.inside.id, token: doctor)
            let (status, page, headers) = try await client.page(
                .post,
                "/app/teams/\(f.teamId)/catchment",
                token: doctor,
                form: "microGridId=\(f.microGridIds[0])&csrf=\(token)"
            )
            #expect(status == .conflict && headers[.contentType]?.hasPrefix("text/html") == true && page.contains("无法保存"))
            #expect(try await TeamStore(db).get(f.teamId, logger: quiet).microGridIds.sorted() == Array(f.microGridIds.prefix(2)).sorted())
        }
    }

    @Test func aFormWithoutItsSessionsTokenWritesNothing() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            let grid = users[.gridWorker]
            let path = "/app/r/\(p.inside.id)/flags"
            let form = "category=living_alone&tier=yellow&population=key"
            // No token, and the token of another user's session (the doctor's, read off the doctor's page).
            let doctorsToken = try await client.formToken(p.inside.id, token: users[.centreStaff])
            for body in [form, form + "&csrf=forged", form + "&csrf=\(doctorsToken)"] {
                #expect(try await client.page(.post, path, token: grid, form: body).0 == .forbidden)
            }
            let flags = FlagStore(db)
            #expect(try await flags.list(.init(residentId: p.inside.id), page: try PageRequest(cursor: nil, limit: 10), logger: quiet).items.isEmpty)
            // With the grid worker's own form token the same form raises the flag.
            let own = try await client.formToken(p.inside.id, token: grid)
            let (status, _, headers) = try await client.page(.post, path, token: grid, form: form + "&csrf=\(own)")
            #expect(status == .seeOther && headers[.location] == "/app/r/\(p.inside.id)?done=flag")
            let raised = try await flags.list(.init(residentId: p.inside.id), page: try PageRequest(cursor: nil, limit: 10), logger: quiet).items
            #expect(raised.map(\.category) == [.livingAlone] && raised.first?.status == .raised)
        }
    }

    @Test func eachPageKeepsTheRoleRuleOfItsOperation() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            // Hospital staff do not read case sheets; a grid worker does not record readings.
            #expect(try await client.page(.get, "/app/r/\(p.inside.id)", token: users[.hospitalStaff]).0 == .forbidden)
            let grid = users[.gridWorker]
            let token = try await client.formToken(p.inside.id, token: grid)
            let (status, body, _) = try await client.page(
                .post,
                "/app/r/\(p.inside.id)/readings",
                token: grid,
                form: "systolic=190&diastolic=120&csrf=\(token)"
            )
            #expect(status == .forbidden && body.contains("您的角色不能使用此页面"))
            let sheet = try await CaseSheetStore(db).caseSheet(p.inside.id, logger: quiet)
            #expect(sheet.readings.isEmpty)
            // A doctor confirms the flag a grid worker raised; the grid worker may not.
            #expect(
                try await client.page(.post, "/app/r/\(p.inside.id)/flags", token: grid, form: "category=empty_nest&tier=yellow&csrf=\(token)").0
                    == .seeOther
            )
            let flag = try #require(
                try await FlagStore(db).list(.init(residentId: p.inside.id), page: try PageRequest(cursor: nil, limit: 10), logger: quiet).items.first
            )
            #expect(try await client.page(.post, "/app/flags/\(flag.id)/decision", token: grid, form: "action=confirm&csrf=\(token)").0 == .forbidden)
            let doctor = users[.centreStaff]
            let doctorsToken = try await client.formToken(p.inside.id, token: doctor)
            let (decided, _, headers) = try await client.page(
                .post,
                "/app/flags/\(flag.id)/decision",
                token: doctor,
                form: "action=confirm&back=/app/today&csrf=\(doctorsToken)"
            )
            #expect(decided == .seeOther && headers[.location] == "/app/today?done=confirm")
            #expect(try await FlagStore(db).get(flag.id, logger: quiet).0.status == .confirmed)
        }
    }

    /// The lists whose lines are written in Swift (Markup), not by a template, escape a name as the templates do.
    @Test func aNameWithMarkupIsTextInTheListsWrittenInSwift() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            _ = try await ResidentStore(db).update(p.inside.id, .init(name: "<b>王</b>&\"'"), ifVersion: nil, logger: quiet)
            let code = try await HouseholdStore(db).get(p.inside.householdId, logger: quiet).codeToken
            for path in ["/app/grids/\(p.inside.microGridId)", "/app/h/\(code)", "/app/search?q=%3Cb%3E"] {
                let (status, page, _) = try await client.page(.get, path, token: users[.gridWorker])
                #expect(status == .ok, "\(path)")
                #expect(page.contains("&lt;b&gt;王&lt;/b&gt;&amp;&quot;&#39;") && !page.contains("<b>王"), "\(path)")
            }
        }
    }

    @Test func whatPeopleTypeIsShownAsTextAndAnUrgentReadingShowsItsAlert() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            let grid = users[.gridWorker]
            let token = try await client.formToken(p.inside.id, token: grid)
            let note = "<script>alert(1)</script>&\"'"
            let encoded = note.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            #expect(
                try await client.page(
                    .post,
                    "/app/r/\(p.inside.id)/flags",
                    token: grid,
                    form: "category=other&tier=red&note=\(encoded)&csrf=\(token)"
                ).0 == .seeOther
            )
            let (_, page, headers) = try await client.page(.get, "/app/r/\(p.inside.id)", token: grid)
            #expect(!page.contains("<script>alert") && page.contains("&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&#39;"))
            #expect(headers[HTTPField.Name("Content-Security-Policy")!]?.contains("script-src 'self'") == true)
            #expect(headers[.cacheControl] == "no-store")
            // The doctor's urgent reading answers with the alert and the green channel at once.
            let doctor = users[.centreStaff]
            let doctorsToken = try await client.formToken(p.inside.id, token: doctor)
            let (status, urgent, _) = try await client.page(
                .post,
                "/app/r/\(p.inside.id)/readings",
                token: doctor,
                form: "systolic=195&diastolic=125&csrf=\(doctorsToken)"
            )
            #expect(status == .created && urgent.contains("危急值") && urgent.contains("绿色通道"))
            let alerts = try await AlertStore(db).list(teamId: nil, microGridId: nil, includeClosed: false, limit: 10, logger: quiet)
            #expect(alerts.contains { $0.residentId == p.inside.id && $0.status == .open })
            // A number field with letters is a 400 page naming the field, and nothing is stored.
            let (bad, badPage, _) = try await client.page(
                .post,
                "/app/r/\(p.inside.id)/readings",
                token: doctor,
                form: "systolic=abc&csrf=\(doctorsToken)"
            )
            #expect(bad == .badRequest && badPage.contains("收缩压"))
            #expect(try await CaseSheetStore(db).caseSheet(p.inside.id, logger: quiet).readings.count == 1)
        }
    }

    @Test func signingInGoesBackToTheConsoleOnlyAndSetsAStrictCookie() async throws {
        try await withScopedAPI { client, _, _, _ in
            for (next, expected) in [
                ("/app/due?visit=annual_check", "/app/due?visit=annual_check"), ("//evil.example/app", "/app"), ("https://evil.example", "/app"),
            ] {
                let (status, headers) = try await client.signIn("doctor", TestUsers.password, next: next)
                #expect(status == .seeOther && headers[.location] == expected)
                let cookie = headers[values: .setCookie].first { $0.hasPrefix("gridcare_session=") } ?? ""
                #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/app"))
            }
            let (refused, headers) = try await client.signIn("doctor", "wrong", next: "/app")
            #expect(refused == .unauthorized && !headers[values: .setCookie].contains { $0.hasPrefix("gridcare_session=") })
            // Without the sign-in form's own token (a form posted from another site) nothing is tried.
            let (status, _, _) = try await client.page(
                .post,
                "/app/login",
                token: nil,
                form: "username=doctor&password=\(TestUsers.password)&nonce=x"
            )
            #expect(status == .forbidden)
        }
    }

    /// Both doors draw on one bucket per username: many sign-ins at once, half through the console's form
    /// and half through the API, get no more tries between them than the limit.
    @Test func theConsoleAndTheAPIShareOneSignInLimit() async throws {
        let config = SignInLimitTests.config(perUser: 3)
        let passwords = PasswordChecker(slots: config.bcryptConcurrency, cost: config.bcryptCost)
        try await withLiveServer(config: config, passwords: passwords) { port, _, _ in
            let answers = try await parallel(16) { i in
                if i.isMultiple(of: 2) { return try await signIn(port: port, "doctor", SignInLimitTests.wrong) }
                let nonce = "n\(i)"
                return try await request(
                    port: port,
                    .post,
                    "/app/login",
                    headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "gridcare_signin=\(nonce)"],
                    body: ByteBuffer(string: "username=doctor&password=wrong&nonce=\(nonce)")
                )
            }
            let tried = answers.filter { $0.status == .unauthorized }
            #expect(tried.count == 3)
            #expect(answers.filter { $0.status == .tooManyRequests }.count == 13)
            #expect(passwords.counts.verified == 3)
            // The console's refusal says so in Chinese, the API's in a problem document.
            #expect(
                answers.enumerated().allSatisfy { i, a in
                    a.status != .tooManyRequests || (i.isMultiple(of: 2) ? a.body.contains("retry") : a.body.contains("频繁"))
                }
            )
        }
    }

    @Test func theStylesheetAndScriptAreCachedAndAPageWithThemStaysLight() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            var total = 0
            for asset in ["/app/static/app.css", "/app/static/app.js"] {
                let (status, body, headers) = try await client.page(.get, asset, token: nil)
                #expect(status == .ok && headers[.cacheControl]?.contains("max-age=86400") == true)
                total += body.utf8.count
            }
            let (_, page, _) = try await client.page(.get, "/app/r/\(p.inside.id)", token: users[.centreStaff])
            #expect(total + page.utf8.count < 150_000)
        }
    }
}

extension TestClientProtocol {
    /// A console request with `token` as the session cookie, and a form body when given.
    func page(
        _ method: HTTPRequest.Method,
        _ uri: String,
        token: String?,
        form: String? = nil
    ) async throws -> (HTTPResponse.Status, String, HTTPFields) {
        var headers: HTTPFields = [:]
        if let token { headers[.cookie] = "gridcare_session=\(token)" }
        var body: ByteBuffer?
        if let form {
            headers[.contentType] = "application/x-www-form-urlencoded"
            body = ByteBuffer(string: form)
        }
        return try await execute(uri: uri, method: method, headers: headers, body: body) { ($0.status, String(buffer: $0.body), $0.headers) }
    }

    /// The form token a resident's page gives this session.
    func formToken(_ residentId: Int64, token: String) async throws -> String {
        let (_, html, _) = try await page(.get, "/app/r/\(residentId)", token: token)
        let marker = "name=\"csrf\" value=\""
        guard let start = html.range(of: marker)?.upperBound, let end = html[start...].firstIndex(of: "\"") else { return "" }
        return String(html[start..<end])
    }

    /// Signs in through the console's form, with the form token its page set.
    func signIn(_ username: String, _ password: String, next: String) async throws -> (HTTPResponse.Status, HTTPFields) {
        let (_, _, headers) = try await page(.get, "/app/login", token: nil)
        let setCookie = headers[values: .setCookie].first { $0.hasPrefix("gridcare_signin=") } ?? ""
        let nonce = setCookie.dropFirst("gridcare_signin=".count).prefix { $0 != ";" }
        let encoded = { (s: String) in s.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! }
        var request: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        request[.cookie] = "gridcare_signin=\(nonce)"
        let body = "username=\(encoded(username))&password=\(encoded(password))&nonce=\(nonce)&next=\(encoded(next))"
        return try await execute(uri: "/app/login", method: .post, headers: request, body: ByteBuffer(string: body)) { ($0.status, $0.headers) }
    }
}
