import Foundation
import GridcareCore
import GridcareServer
import GridcareTestSupport
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct RegistryAPITests {
    func residentBody(household: Int64, n: Int, idNumber: String? = nil) -> [String: Any] {
        let born = SimpleDate(year: 1950, month: 3, day: 9)!
        return [
            "householdId": household, "name": "陈阿婆", "sex": "female", "birthDate": born.iso,
            "idNumber": idNumber ?? IDCardNumber.make(region: 510104, birth: born, sequence: n * 2).value,
            "conditions": ["hypertension"],
        ]
    }

    @Test func createsAndReadsAResidentWithTheIdentityNumberMasked() async throws {
        try await withAPI { client, f in
            let body = residentBody(household: f.householdIds[0], n: 1)
            let (status, created, _) = try await client.call(.post, "/v1/residents", json: body)
            #expect(status == .created)
            let full = body["idNumber"] as! String
            #expect(created["idNumberMasked"] as? String == IDCardNumber.mask(full))
            #expect(created["teamId"] as? Int == Int(f.teamId))
            #expect(created["age"] as? Int ?? 0 >= 75)
            let (getStatus, read, _) = try await client.call(.get, "/v1/residents/\(created.id)")
            #expect(getStatus == .ok)
            #expect(read["name"] as? String == "陈阿婆")
            let (_, list, _) = try await client.call(.get, "/v1/residents?teamId=\(f.teamId)")
            let raw = try JSONSerialization.data(withJSONObject: list)
            #expect(!String(decoding: raw, as: UTF8.self).contains(full))
        }
    }

    /// The list takes its page's ids first and reads only those rows (0038): a team's residents, walked one
    /// at a time by cursor, are the same residents in the same order as one page, each with their team.
    @Test func aTeamsResidentsWalkedByCursorAreTheOnePage() async throws {
        try await withAPI { client, f in
            var made: [Int64] = []
            for n in 1...3 {
                made.append(try await client.call(.post, "/v1/residents", json: residentBody(household: f.householdIds[0], n: n)).1.id)
            }
            let (status, whole, _) = try await client.call(.get, "/v1/residents?teamId=\(f.teamId)&limit=200")
            #expect(status == .ok)
            let ids = whole.items.map(\.id)
            #expect(ids == ids.sorted() && Set(made).isSubset(of: ids))
            #expect(whole.items.allSatisfy { ($0["teamId"] as? NSNumber)?.int64Value == f.teamId })
            var walked: [Int64] = []
            var cursor: String? = ""
            while let at = cursor, walked.count <= ids.count {
                let (_, page, _) = try await client.call(.get, "/v1/residents?teamId=\(f.teamId)&limit=1" + (at.isEmpty ? "" : "&cursor=\(at)"))
                walked += page.items.map(\.id)
                cursor = page["nextCursor"] as? String
            }
            #expect(walked == ids)
            let (_, none, _) = try await client.call(.get, "/v1/residents?teamId=999999")
            #expect(none.items.isEmpty)
        }
    }

    @Test func aDuplicateIdentityNumberIsAConflictNamingTheField() async throws {
        try await withAPI { client, f in
            let body = residentBody(household: f.householdIds[0], n: 1)
            _ = try await client.call(.post, "/v1/residents", json: body)
            let (status, problem, headers) = try await client.call(.post, "/v1/residents", json: body)
            #expect(status == .conflict)
            #expect(problem.field == "idNumber")
            #expect(headers[.contentType] == "application/problem+json")
            #expect(problem["status"] as? Int == 409)
        }
    }

    @Test func badInputNamesTheField() async throws {
        try await withAPI { client, f in
            var body = residentBody(household: f.householdIds[0], n: 1)
            body["idNumber"] = "110105194912310021"
            var (status, problem, _) = try await client.call(.post, "/v1/residents", json: body)
            #expect(status == .unprocessableContent)
            #expect(problem.field == "idNumber")

            body = residentBody(household: f.householdIds[0], n: 1)
            body["birthDate"] = "1950-03-10"
            (status, problem, _) = try await client.call(.post, "/v1/residents", json: body)
            #expect(status == .unprocessableContent)
            #expect(problem.field == "birthDate")

            body = residentBody(household: 987_654, n: 2)
            (status, problem, _) = try await client.call(.post, "/v1/residents", json: body)
            #expect(status == .unprocessableContent)
            #expect(problem.field == "householdId")

            body = residentBody(household: f.householdIds[0], n: 3)
            body.removeValue(forKey: "name")
            (status, problem, _) = try await client.call(.post, "/v1/residents", json: body)
            #expect(status == .unprocessableContent)
            #expect(problem.field == "name")

            (status, problem, _) = try await client.call(.post, "/v1/areas", json: ["level": "county", "name": "x"])
            #expect(status == .unprocessableContent)
            #expect(problem.field == "level")

            (status, problem, _) = try await client.call(.get, "/v1/residents?cursor=bogus")
            #expect(status == .unprocessableContent)
            #expect(problem.field == "cursor")

            (status, problem, _) = try await client.call(.get, "/v1/residents?minAge=abc")
            #expect(status == .badRequest)
            #expect(problem.field == "query")
        }
    }

    @Test func anUnknownIdIsNotFoundAsProblemJSON() async throws {
        try await withAPI { client, _ in
            for path in [
                "/v1/residents/424242", "/v1/areas/424242", "/v1/households/424242", "/v1/care-teams/424242",
                "/v1/contracts/424242", "/v1/workers/424242", "/v1/facilities/424242", "/v1/household-codes/ABCDEFGHJKMNPQRS",
            ] {
                let (status, problem, headers) = try await client.call(.get, path)
                #expect(status == .notFound, "\(path)")
                #expect(problem["status"] as? Int == 404)
                #expect(headers[.contentType] == "application/problem+json")
            }
        }
    }

    @Test func aKnownPathWithAnUnlistedMethodIs405WithAllow() async throws {
        try await withAPI { client, f in
            var (status, _, headers) = try await client.call(.put, "/v1/areas/\(f.districtId)", json: ["name": "x"])
            #expect(status == .methodNotAllowed)
            #expect(headers[.allow] == "GET, PATCH")
            (status, _, headers) = try await client.call(.delete, "/v1/workers?role=doctor")
            #expect(status == .methodNotAllowed)
            #expect(headers[.allow] == "GET, POST")
            (status, _, _) = try await client.call(.get, "/v1/care-teams/\(f.teamId)/catchment/\(f.microGridIds[0])")
            #expect(status == .methodNotAllowed)
            (status, _, _) = try await client.call(.get, "/v1/no-such-thing")
            #expect(status == .notFound)
        }
    }

    @Test func aBodyOverOneMebibyteIsRefusedWith413() async throws {
        try await withAPI { client, _ in
            let big = ByteBuffer(repeating: UInt8(ascii: "a"), count: (1 << 20) + 10)
            let status = try await client.execute(uri: "/v1/areas", method: .post, headers: [.contentType: "application/json"], body: big) {
                $0.status
            }
            #expect(status == .contentTooLarge)
        }
    }

    @Test func listsArePaginatedWithACappedPageSize() async throws {
        try await withAPI { client, f in
            for i in 0..<7 {
                _ = try await client.call(
                    .post,
                    "/v1/households",
                    json: ["microGridId": f.microGridIds[1], "address": "光华街\(i)号", "latitude": 30.6, "longitude": 104.0]
                )
            }
            var ids: [Int64] = []
            var cursor: String?
            repeat {
                let (_, page, _) = try await client.call(
                    .get,
                    "/v1/households?districtId=\(f.districtId)&limit=3" + (cursor.map { "&cursor=\($0)" } ?? "")
                )
                ids += page.items.map(\.id)
                cursor = page["nextCursor"] as? String
            } while cursor != nil
            #expect(ids.count == 9)
            #expect(Set(ids).count == 9)
            let (status, _, _) = try await client.call(.get, "/v1/households?limit=100000")
            #expect(status == .ok)
        }
    }

    @Test func aStaleIfMatchIsPreconditionFailed() async throws {
        try await withAPI { client, f in
            let path = "/v1/households/\(f.householdIds[0])"
            let (_, _, read) = try await client.call(.get, path)
            let tag = try #require(read[.eTag])
            #expect(tag == "\"1\"")
            let (ok, updated, written) = try await client.call(.patch, path, json: ["address": "新址1号"], headers: [.ifMatch: tag])
            #expect(ok == .ok)
            #expect(updated["version"] as? Int == 2)
            #expect(written[.eTag] == "\"2\"")
            let (stale, problem, _) = try await client.call(.patch, path, json: ["address": "新址2号"], headers: [.ifMatch: "\"1\""])
            #expect(stale == .preconditionFailed)
            #expect(problem.field == "If-Match")
        }
    }

    @Test func aScannedHouseholdCodeOpensTheHousehold() async throws {
        try await withAPI { client, f in
            let (_, household, _) = try await client.call(.get, "/v1/households/\(f.householdIds[0])")
            let token = household["codeToken"] as! String
            let (status, byCode, _) = try await client.call(.get, "/v1/household-codes/\(token)")
            #expect(status == .ok)
            #expect(byCode.id == f.householdIds[0])
        }
    }

    @Test func theOpenAPIDocumentIsServed() async throws {
        try await withAPI { client, _ in
            let text = try await client.execute(uri: "/openapi.yaml", method: .get) { String(buffer: $0.body) }
            #expect(text.hasPrefix("openapi: 3.1.0"))
            let (status, health, _) = try await client.call(.get, "/healthz")
            #expect(status == .ok)
            #expect(health["database"] as? String == "ok")
        }
    }
}
