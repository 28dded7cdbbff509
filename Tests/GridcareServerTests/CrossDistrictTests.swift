import Foundation
import GridcareTestSupport
import HTTPTypes
import HummingbirdTesting
import Testing

/// Records of one district may not be tied to another's, and kind mismatches are named: promises the
/// database and the stores make that a client meets as 422s naming the field.
@Suite struct CrossDistrictTests {
    @Test func referencesAcrossDistrictsAndKindsAreRefusedByField() async throws {
        try await withAPI { client, f in
            // A second district with one micro-grid.
            let (_, other, _) = try await client.call(.post, "/v1/areas", json: ["level": "district", "name": "另一区"])
            let (_, street, _) = try await client.call(.post, "/v1/areas", json: ["level": "street", "parentId": other.id, "name": "街道"])
            let (_, community, _) = try await client.call(.post, "/v1/areas", json: ["level": "community", "parentId": street.id, "name": "社区"])
            let (_, grid, _) = try await client.call(.post, "/v1/areas", json: ["level": "grid", "parentId": community.id, "name": "网格"])
            let (created, foreignMicroGrid, _) = try await client.call(
                .post,
                "/v1/areas",
                json: ["level": "micro_grid", "parentId": grid.id, "name": "微网格"]
            )
            #expect(created == .created)
            #expect((foreignMicroGrid["districtId"] as? NSNumber)?.int64Value == other.id)

            // A catchment cannot reach into another district.
            var (status, problem, _) = try await client.call(
                .post,
                "/v1/care-teams/\(f.teamId)/catchment",
                json: ["microGridIds": [foreignMicroGrid.id]]
            )
            #expect(status == .unprocessableContent)
            #expect(problem.field == "microGridIds")

            // A household cannot move into another district.
            (status, problem, _) = try await client.call(
                .patch,
                "/v1/households/\(f.householdIds[0])",
                json: ["microGridId": foreignMicroGrid.id]
            )
            #expect(status == .unprocessableContent)
            #expect(problem.field == "microGridId")

            // A worker's hospital must be a hospital of the worker's district.
            (status, problem, _) = try await client.call(
                .post,
                "/v1/workers",
                json: [
                    "districtId": other.id, "role": "doctor", "name": "赵医生", "hospitalId": f.hospitalId,
                ]
            )
            #expect(status == .unprocessableContent)
            #expect(problem.field == "hospitalId")
            (status, problem, _) = try await client.call(
                .post,
                "/v1/workers",
                json: [
                    "districtId": f.districtId, "role": "doctor", "name": "赵医生", "hospitalId": f.stationId,
                ]
            )
            #expect(status == .unprocessableContent)
            #expect(problem.field == "hospitalId")

            // A station needs its centre; a dedicated grid needs its institution.
            (status, problem, _) = try await client.call(
                .post,
                "/v1/facilities",
                json: [
                    "kind": "station", "areaId": f.communityId, "name": "无中心卫生站",
                ]
            )
            #expect(status == .unprocessableContent)
            #expect(problem.field == "centreId")
            (status, problem, _) = try await client.call(
                .post,
                "/v1/areas",
                json: [
                    "level": "dedicated_grid", "parentId": f.communityId, "name": "学校网格",
                ]
            )
            #expect(status == .unprocessableContent)
            #expect(problem.field == "institution")

            // "renewed" is not a reason a client may end a contract with.
            (status, problem, _) = try await client.call(.post, "/v1/contracts/1/end", json: ["reason": "renewed"])
            #expect(status == .unprocessableContent)
            #expect(problem.field == "reason")
        }
    }
}
