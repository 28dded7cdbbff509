import Foundation
import GridcareAPI
import GridcareCore
import GridcareTestSupport
import HTTPTypes
import HummingbirdTesting
import Testing

/// Every operation of openapi.yaml, with its method and path, read from the served document itself.
struct DocumentedOperation: Sendable, CustomStringConvertible {
    var id: String, method: HTTPRequest.Method, path: String
    var description: String { "\(id) (\(method) \(path))" }

    static let all: [DocumentedOperation] = {
        let text = String(decoding: try! OpenAPIDocument.yaml(), as: UTF8.self)
        var out: [DocumentedOperation] = []
        var path = ""
        var method = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  /"), line.hasSuffix(":") { path = String(line.dropFirst(2).dropLast()) }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("    "), !line.hasPrefix("     "), ["get:", "post:", "patch:", "delete:", "put:"].contains(trimmed) {
                method = String(trimmed.dropLast())
            }
            if trimmed.hasPrefix("operationId:") {
                out.append(
                    DocumentedOperation(
                        id: trimmed.replacingOccurrences(of: "operationId:", with: "").trimmingCharacters(in: .whitespaces),
                        method: HTTPRequest.Method(method.uppercased())!,
                        path: path
                    )
                )
            }
        }
        return out
    }()
}

/// The access policy written out a second time, as a table a reviewer can read: A admin, C centre staff,
/// G grid worker, H hospital staff, M district manager. The test checks AccessRules and the running API
/// against it, so a rule changed in one place only fails.
let expectedAccess: [String: String] = [
    "signOut": "ACGHM", "whoAmI": "ACGHM", "listAuditEvents": "A",
    "listAreas": "ACGHM", "getArea": "ACGHM", "createArea": "A", "updateArea": "A",
    "listFacilities": "ACGHM", "getFacility": "ACGHM", "createFacility": "A", "updateFacility": "A",
    "listWorkers": "ACGM", "getWorker": "ACGM", "createWorker": "A", "updateWorker": "A",
    "listHouseholds": "ACGM", "getHousehold": "ACGM", "getHouseholdByCode": "ACGM", "createHousehold": "ACG", "updateHousehold": "ACG",
    "listResidents": "ACGM", "getResident": "ACGM", "checkIdNumber": "ACG", "createResident": "ACG", "updateResident": "ACG",
    "listRegistrationReviews": "A", "decideRegistrationReview": "A",
    "listCareTeams": "ACGM", "getCareTeam": "ACGM", "createCareTeam": "AC", "updateCareTeam": "AC", "addCatchment": "AC", "removeCatchment": "AC",
    "listContracts": "ACGM", "getContract": "ACGM", "signContract": "AC", "renewContract": "AC", "switchContract": "AC", "endContract": "AC",
    "coverageReport": "ACM",
    "listFlags": "ACG", "getFlag": "ACG", "raiseFlag": "AG", "decideFlag": "AC", "closeFlag": "ACG",
    "getCaseSheet": "ACG", "recordService": "ACG", "recordReading": "AC",
    "listAlerts": "ACG", "acknowledgeAlert": "ACG", "closeAlert": "ACG", "listDueVisits": "ACG", "myResidents": "ACG",
    "listClinics": "ACGM", "createClinic": "AC", "generateClinicSessions": "AC", "listSessions": "ACGM",
    "listBookings": "ACG", "bookSession": "ACG", "changeBooking": "ACG", "listCalls": "ACG",
    "sessionInvitations": "ACG", "sessionFHIR": "ACG",
    "createReferral": "AC", "listReferrals": "ACH", "getReferral": "ACH", "actOnReferral": "ACH", "referralSlip": "ACH",
    "referralFHIR": "ACH", "listOverdueReferrals": "ACH", "referralReport": "ACHM",
    "listBoxes": "ACGM", "createBox": "AC", "listOffers": "ACGM", "getOffer": "ACGM", "postOffer": "ACG", "withdrawOffer": "ACG",
    "approveOffer": "AC", "listBoardRequests": "ACG", "postBoardRequest": "ACG", "getBoardRequest": "ACG", "approveBoardRequest": "AC",
    "cancelBoardRequest": "ACG", "matchBoardRequest": "ACG", "boardView": "ACG", "listClaims": "ACG", "createClaim": "ACG",
    "actOnClaim": "ACG", "boardReport": "ACM",
    "planRounds": "AC", "getRoundsPlan": "AC", "roundsCalendar": "AC", "markPlannedVisit": "AC", "setAvailability": "ACG",
    "listLeave": "AC", "addLeave": "AC", "mobilisationReport": "ACM", "setRoundsDays": "AC", "indicatorReport": "AM",
    "fhirExport": "AC", "fhirExportStatus": "AC", "fhirExportFile": "AC",
    "listNotifications": "ACGHM", "markNotificationRead": "ACGHM", "markAllNotificationsRead": "ACGHM",
    "getNotificationChannels": "ACGHM", "setNotificationChannels": "ACGHM",
]
let roleLetters: [Role: Character] = [.admin: "A", .centreStaff: "C", .gridWorker: "G", .hospitalStaff: "H", .districtManager: "M"]

@Suite struct AccessMatrixTests {
    @Test func everyDocumentedOperationHasARuleAndEveryRuleAnOperation() {
        let documented = Set(DocumentedOperation.all.map(\.id))
        #expect(documented.count == DocumentedOperation.all.count, "an operationId appears twice")
        #expect(documented.count >= 40)
        for op in documented.sorted() {
            #expect(AccessRules.roles[op] != nil || AccessRules.anonymous.contains(op), "\(op) has no access rule")
        }
        for op in Set(AccessRules.roles.keys).union(AccessRules.anonymous).sorted() {
            #expect(documented.contains(op), "the rule for \(op) names no documented operation")
        }
        #expect(AccessRules.anonymous == ["health", "signIn"])
    }

    @Test func theRulesMatchTheWrittenPolicy() {
        for op in DocumentedOperation.all where !AccessRules.anonymous.contains(op.id) {
            guard let letters = expectedAccess[op.id] else {
                Issue.record("\(op.id) is missing from the written policy")
                continue
            }
            for role in Role.allCases {
                #expect(AccessRules.allows(role, op.id) == letters.contains(roleLetters[role]!), "\(role.rawValue) × \(op.id)")
            }
        }
    }

    /// Every role calls every operation: a role the policy refuses gets 403 and an audit row; a role it
    /// allows never gets 403 or 401 (the made-up ids and empty bodies then answer 404 or 422). No answer is a 5xx.
    @Test func theRunningAPIEnforcesTheMatrix() async throws {
        try await withScopedAPI { client, f, users, db in
            var refusals = 0
            for op in DocumentedOperation.all where !AccessRules.anonymous.contains(op.id) {
                let path = op.path.replacingOccurrences(of: "{id}", with: "999999")
                    .replacingOccurrences(of: "{microGridId}", with: "999999").replacingOccurrences(of: "{token}", with: "nothing")
                let body: Any? = [.post, .patch, .put].contains(op.method) ? [String: Any]() : nil
                for role in Role.allCases {
                    // Signing out revokes the token it is sent with, so it gets one of its own.
                    let token = op.id == "signOut" ? try await TestUsers.token(for: users.ids[role]!, db) : users[role]
                    let (status, problem, _) = try await client.call(op.method, path, json: body, token: token)
                    let allowed = expectedAccess[op.id]!.contains(roleLetters[role]!)
                    #expect(status.code < 500, "\(role.rawValue) × \(op): \(status) \(problem)")
                    #expect(status != .unauthorized, "\(role.rawValue) × \(op)")
                    if allowed {
                        #expect(status != .forbidden, "\(role.rawValue) × \(op) should be allowed")
                    } else {
                        #expect(status == .forbidden, "\(role.rawValue) × \(op) should be refused, got \(status)")
                        #expect(problem["status"] as? Int == 403)
                        refusals += 1
                    }
                }
            }
            let audited = try await db.client.query(
                "SELECT count(*) FROM audit_event WHERE action = 'call' AND outcome = 'denied' AND detail = 'role'"
            )
            .decode(Int.self).all()
            #expect(refusals > 50)
            #expect(audited == [refusals])
        }
    }

    @Test func withoutAValidTokenOnlyHealthSignInAndTheDocumentAnswer() async throws {
        try await withScopedAPI { client, f, users, db in
            for op in DocumentedOperation.all where !AccessRules.anonymous.contains(op.id) {
                let path = op.path.replacingOccurrences(of: "{id}", with: "1")
                    .replacingOccurrences(of: "{microGridId}", with: "1").replacingOccurrences(of: "{token}", with: "x")
                for header in [nil, "Basic YWRtaW46eA==", "Bearer gct_notarealtoken", "Bearer"] {
                    var headers: HTTPFields = [:]
                    if let header { headers[.authorization] = header }
                    let (status, problem, responseHeaders) = try await client.call(op.method, path, json: nil, headers: headers, token: nil)
                    #expect(status == .unauthorized, "\(op) with \(header ?? "no header")")
                    #expect(problem["status"] as? Int == 401)
                    #expect(responseHeaders[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                }
            }
            #expect(try await client.call(.get, "/healthz", token: nil).0 == .ok)
            let document = try await client.execute(uri: "/openapi.yaml", method: .get) { $0.status }
            #expect(document == .ok)
        }
    }
}
