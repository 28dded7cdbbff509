import GridcareCore
import GridcareStore
import Logging

/// A small district built through the stores: one street, one community, one grid with three
/// micro-grids; a centre, a station and a hospital; a 1+1+N team covering the first two micro-grids
/// (the third is left uncovered on purpose); two households in the first micro-grid.
public struct Fixture: Sendable {
    public var districtId: Int64
    public var streetId: Int64
    public var communityId: Int64
    public var gridId: Int64
    public var microGridIds: [Int64]
    public var centreId: Int64
    public var stationId: Int64
    public var hospitalId: Int64
    public var doctorId: Int64
    public var nurseId: Int64
    public var partyMemberId: Int64
    public var gridWorkerIds: [Int64]
    public var teamId: Int64
    public var householdIds: [Int64]

    static let logger = Logger(label: "fixture", factory: { _ in SwiftLogNoOpLogHandler() })

    public static func make(_ db: Database, name: String = "测试区") async throws -> Fixture {
        let l = logger
        let areas = AreaStore(db)
        let district = try await areas.create(level: .district, parentId: nil, name: name, code: nil, institution: nil, logger: l)
        let street = try await areas.create(level: .street, parentId: district.id, name: "石桥街道", code: nil, institution: nil, logger: l)
        let community = try await areas.create(level: .community, parentId: street.id, name: "石桥村", code: nil, institution: nil, logger: l)
        let grid = try await areas.create(level: .grid, parentId: community.id, name: "第1网格", code: nil, institution: nil, logger: l)
        var microGrids: [Int64] = []
        for i in 1...3 {
            microGrids.append(
                try await areas.create(level: .microGrid, parentId: grid.id, name: "第1-\(i)微网格", code: nil, institution: nil, logger: l).id
            )
        }
        let facilities = FacilityStore(db)
        let centre = try await facilities.create(
            .init(
                kind: .healthCentre,
                areaId: street.id,
                centreId: nil,
                name: "石桥社区卫生服务中心",
                address: nil,
                latitude: 30.66,
                longitude: 104.06,
                timeZone: nil
            ),
            logger: l
        )
        let station = try await facilities.create(
            .init(
                kind: .station,
                areaId: community.id,
                centreId: centre.id,
                name: "石桥村卫生站",
                address: nil,
                latitude: 30.661,
                longitude: 104.061,
                timeZone: nil
            ),
            logger: l
        )
        let hospital = try await facilities.create(
            .init(
                kind: .hospital,
                areaId: district.id,
                centreId: nil,
                name: "第一人民医院",
                address: nil,
                latitude: 30.67,
                longitude: 104.07,
                timeZone: nil
            ),
            logger: l
        )
        let workers = WorkerStore(db)
        func worker(_ role: WorkerRole, _ name: String, centre: Int64? = nil, area: Int64? = nil) async throws -> Int64 {
            try await workers.create(
                .init(
                    districtId: district.id,
                    role: role,
                    name: name,
                    phone: "13800000000",
                    centreId: centre,
                    hospitalId: nil,
                    areaId: area
                ),
                logger: l
            ).id
        }
        let doctor = try await worker(.doctor, "李医生", centre: centre.id)
        let nurse = try await worker(.nurse, "王护士", centre: centre.id)
        let party = try await worker(.partyMember, "张书记", area: community.id)
        var gridWorkers: [Int64] = []
        for (i, mg) in microGrids.enumerated() { gridWorkers.append(try await worker(.microGridWorker, "网格员\(i + 1)", area: mg)) }
        let team = try await TeamStore(db).create(
            centreId: centre.id,
            name: "石桥家庭医生团队",
            members: [
                .init(workerId: doctor, role: .doctor), .init(workerId: nurse, role: .nurse),
                .init(workerId: party, role: .partyMember), .init(workerId: gridWorkers[0], role: .gridWorker),
                .init(workerId: gridWorkers[1], role: .gridWorker),
            ],
            microGridIds: Array(microGrids.prefix(2)),
            logger: l
        )
        let households = HouseholdStore(db)
        var householdIds: [Int64] = []
        for i in 1...2 {
            householdIds.append(
                try await households.create(
                    .init(
                        microGridId: microGrids[0],
                        externalRef: "H\(i)",
                        address: "人民路\(i)号",
                        latitude: 30.66 + Double(i) * 0.0001,
                        longitude: 104.06
                    ),
                    logger: l
                ).id
            )
        }
        return Fixture(
            districtId: district.id,
            streetId: street.id,
            communityId: community.id,
            gridId: grid.id,
            microGridIds: microGrids,
            centreId: centre.id,
            stationId: station.id,
            hospitalId: hospital.id,
            doctorId: doctor,
            nurseId: nurse,
            partyMemberId: party,
            gridWorkerIds: gridWorkers,
            teamId: team.id,
            householdIds: householdIds
        )
    }

    /// A second team of the same centre covering the third micro-grid: the fixture's doctor and party
    /// member, and the third micro-grid's worker. Where a contract is switched to.
    public func secondTeam(_ db: Database, name: String = "第二团队") async throws -> CareTeam {
        try await TeamStore(db).create(
            centreId: centreId,
            name: name,
            members: [
                .init(workerId: doctorId, role: .doctor), .init(workerId: partyMemberId, role: .partyMember),
                .init(workerId: gridWorkerIds[2], role: .gridWorker),
            ],
            microGridIds: [microGridIds[2]],
            logger: Self.logger
        )
    }

    /// A resident draft with a valid ID-card number; `n` makes the number unique.
    public static func residentDraft(
        household: Int64,
        n: Int,
        name: String = "陈阿婆",
        born: SimpleDate = SimpleDate(year: 1950, month: 3, day: 9)!,
        male: Bool = false,
        conditions: [Condition] = []
    ) -> ResidentDraft {
        let id = IDCardNumber.make(region: 510104, birth: born, sequence: (n * 2 + (male ? 1 : 0)) % 1000)
        return ResidentDraft(
            household: .id(household),
            name: name,
            sex: male ? .male : .female,
            birthDate: born,
            idNumber: id,
            phone: "13912345678",
            conditions: conditions,
            circumstances: []
        )
    }
}
