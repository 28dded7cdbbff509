import Foundation
import GridcareCore
import GridcareServer
import GridcareStore
import GridcareTestSupport
import HTTPTypes
import HummingbirdTesting
import Testing

/// Centre staff manage their own centre's teams (members, catchment, a new team), through the API and the
/// console alike; another centre's team of the same district is visible to them but not theirs to change.
@Suite struct TeamManagementTests {
    /// A second health centre of the fixture's district, with a team of its own.
    static func otherCentresTeam(_ db: Database, _ f: Fixture) async throws -> CareTeam {
        let centre = try await FacilityStore(db).create(
            .init(
                kind: .healthCentre,
                areaId: f.streetId,
                centreId: nil,
                name: "东门社区卫生服务中心",
                address: nil,
                latitude: 30.67,
                longitude: 104.07,
                timeZone: nil
            ),
            logger: quiet
        )
        let workers = WorkerStore(db)
        func worker(_ role: WorkerRole, _ name: String, centre: Int64? = nil, area: Int64? = nil) async throws -> Int64 {
            try await workers.create(
                .init(districtId: f.districtId, role: role, name: name, phone: nil, centreId: centre, hospitalId: nil, areaId: area),
                logger: quiet
            ).id
        }
        let doctor = try await worker(.doctor, "赵医生", centre: centre.id)
        let party = try await worker(.partyMember, "钱书记", area: f.communityId)
        let grid = try await worker(.microGridWorker, "孙网格员", area: f.microGridIds[2])
        return try await TeamStore(db).create(
            centreId: centre.id,
            name: "东门家庭医生团队",
            members: [.init(workerId: doctor, role: .doctor), .init(workerId: party, role: .partyMember), .init(workerId: grid, role: .gridWorker)],
            microGridIds: [],
            logger: quiet
        )
    }

    @Test func centreStaffChangeTheirOwnCentresTeamsOnly() async throws {
        try await withScopedAPI { client, f, users, db in
            let other = try await Self.otherCentresTeam(db, f)
            let doctor = users[.centreStaff]
            // Their own team: a micro-grid joins the catchment and leaves it again.
            let (added, team, _) = try await client.call(
                .post,
                "/v1/care-teams/\(f.teamId)/catchment",
                json: ["microGridIds": [f.microGridIds[2]]],
                token: doctor
            )
            #expect(added == .ok && (team["microGridIds"] as? [NSNumber])?.map(\.int64Value).sorted() == f.microGridIds.sorted())
            #expect(try await client.call(.delete, "/v1/care-teams/\(f.teamId)/catchment/\(f.microGridIds[2])", token: doctor).0 == .ok)
            #expect(try await client.call(.patch, "/v1/care-teams/\(f.teamId)", json: ["name": "石桥第一团队"], token: doctor).0 == .ok)
            // Another centre's team: seen, not changed.
            #expect(try await client.call(.get, "/v1/care-teams/\(other.id)", token: doctor).0 == .ok)
            let (refused, problem, _) = try await client.call(
                .post,
                "/v1/care-teams/\(other.id)/catchment",
                json: ["microGridIds": [f.microGridIds[2]]],
                token: doctor
            )
            #expect(refused == .forbidden && (problem["detail"] as? String)?.contains("own health centre") == true)
            #expect(try await client.call(.patch, "/v1/care-teams/\(other.id)", json: ["name": "改名"], token: doctor).0 == .forbidden)
            #expect(try await TeamStore(db).get(other.id, logger: quiet).microGridIds.isEmpty)
            #expect(try await TeamStore(db).get(other.id, logger: quiet).name == "东门家庭医生团队")
            // A new team for another centre is refused; grid workers manage no team.
            let body: [String: Any] = [
                "centreId": other.centreId, "name": "新团队",
                "members": other.members.map { ["workerId": $0.workerId, "role": $0.teamRole.rawValue] }, "microGridIds": [Int64](),
            ]
            #expect(try await client.call(.post, "/v1/care-teams", json: body, token: doctor).0 == .forbidden)
            #expect(
                try await client.call(
                    .post,
                    "/v1/care-teams/\(f.teamId)/catchment",
                    json: ["microGridIds": [f.microGridIds[2]]],
                    token: users[.gridWorker]
                ).0 == .forbidden
            )
        }
    }
}
