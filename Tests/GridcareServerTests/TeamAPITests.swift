import Foundation
import GridcareCore
import GridcareServer
import GridcareTestSupport
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite struct TeamAPITests {
    @Test func aTeamWithoutAPartyMemberIsRefused() async throws {
        try await withAPI { client, f in
            let (status, problem, _) = try await client.call(
                .post,
                "/v1/care-teams",
                json: [
                    "centreId": f.centreId, "name": "不完整团队",
                    "members": [["workerId": f.doctorId, "role": "doctor"], ["workerId": f.gridWorkerIds[2], "role": "grid_worker"]],
                ]
            )
            #expect(status == .unprocessableContent)
            #expect(problem.field == "members")
        }
    }

    @Test func aMicroGridAlreadyCoveredIsAConflict() async throws {
        try await withAPI { client, f in
            let (status, problem, _) = try await client.call(
                .post,
                "/v1/care-teams",
                json: [
                    "centreId": f.centreId, "name": "第二团队",
                    "members": [
                        ["workerId": f.doctorId, "role": "doctor"], ["workerId": f.partyMemberId, "role": "party_member"],
                        ["workerId": f.gridWorkerIds[2], "role": "grid_worker"],
                    ],
                    "microGridIds": [f.microGridIds[0]],
                ]
            )
            #expect(status == .conflict)
            #expect(problem.field == "microGridIds")
        }
    }

    @Test func signRenewAndReportCoverage() async throws {
        try await withAPI { client, f in
            let born = SimpleDate(year: 1950, month: 3, day: 9)!
            let (_, resident, _) = try await client.call(
                .post,
                "/v1/residents",
                json: [
                    "householdId": f.householdIds[0], "name": "陈阿婆", "sex": "female", "birthDate": born.iso,
                    "idNumber": IDCardNumber.make(region: 510104, birth: born, sequence: 2).value,
                ]
            )
            let (signed, contract, _) = try await client.call(.post, "/v1/contracts", json: ["residentId": resident.id, "teamId": f.teamId])
            #expect(signed == .created)
            #expect(contract["active"] as? Bool == true)
            let (twice, problem, _) = try await client.call(.post, "/v1/contracts", json: ["residentId": resident.id, "teamId": f.teamId])
            #expect(twice == .conflict)
            #expect(problem.field == "startsOn")
            let (renewed, next, _) = try await client.call(.post, "/v1/contracts/\(contract.id)/renew", json: [:])
            #expect(renewed == .created)
            #expect(next["startsOn"] as? String == contract["termEndsOn"] as? String)
            let (_, short, _) = try await client.call(.post, "/v1/contracts", json: ["residentId": resident.id, "teamId": f.teamId, "years": 0])
            #expect(short["field"] as? String == "years")

            let (ok, report, _) = try await client.call(.get, "/v1/reports/coverage?districtId=\(f.districtId)")
            #expect(ok == .ok)
            #expect(report["microGrids"] as? Int == 3)
            #expect(report["coveredMicroGrids"] as? Int == 2)
            #expect((report["uncovered"] as? [[String: Any]])?.first?["microGridId"] as? Int == Int(f.microGridIds[2]))
        }
    }
}
