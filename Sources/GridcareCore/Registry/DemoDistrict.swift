import Foundation

/// A realistic, deterministic district: the data of the quick start and of every benchmark.
///
/// Records refer to each other by index into their own arrays; the store turns indexes into ids.
/// Shares follow published Chinese figures loosely (age pyramid of the 2020 census, hypertension about
/// a quarter of adults and half of the over-65s, diabetes about a tenth of adults): they are there to
/// make the data look like a real catchment, not to be epidemiology.
public struct DemoDistrict: Sendable {
    public struct AreaRow: Sendable {
        public var level: AreaLevel
        public var parent: Int?
        public var name: String
        public var institution: String?
    }
    public struct FacilityRow: Sendable {
        public var kind: FacilityKind
        public var area: Int
        public var centre: Int?
        public var name: String
        public var latitude: Double
        public var longitude: Double
    }
    public struct WorkerRow: Sendable {
        public var role: WorkerRole
        public var name: String
        public var phone: String
        public var centre: Int?
        public var hospital: Int?
        public var area: Int?
    }
    public struct TeamRow: Sendable {
        public var centre: Int
        public var name: String
        public var members: [(worker: Int, role: TeamRole)]
        public var microGrids: [Int]
    }
    public struct HouseholdRow: Sendable {
        public var microGrid: Int
        public var ref: String
        public var address: String
        public var latitude: Double
        public var longitude: Double
        public var token: String
    }
    public struct ResidentRow: Sendable {
        public var household: Int
        public var name: String
        public var sex: Sex
        public var birthDate: SimpleDate
        public var idNumber: String
        public var phone: String?
        public var conditions: [Condition]
        public var circumstances: [Circumstance]
    }
    public struct ContractRow: Sendable {
        public var resident: Int
        public var team: Int
        public var startsOn: SimpleDate
    }

    public var name: String
    public var areas: [AreaRow] = []
    public var facilities: [FacilityRow] = []
    public var workers: [WorkerRow] = []
    public var teams: [TeamRow] = []
    public var households: [HouseholdRow] = []
    public var residents: [ResidentRow] = []
    public var contracts: [ContractRow] = []

    /// Generates a district of about `residents` people; the same seed always gives the same district.
    public static func generate(residents target: Int, seed: UInt64, today: SimpleDate) -> DemoDistrict {
        var g = Generator(seed: seed, today: today)
        return g.run(target: max(target, 0))
    }
}

private struct Generator {
    var rng: SplitMix64
    let seed: UInt64
    let today: SimpleDate
    var out: DemoDistrict
    var idSequence: [Int: Int] = [:]
    /// Buildings of each micro-grid (by area index), for its building leaders.
    var buildingsOf: [Int: Int] = [:]
    let region: Int

    init(seed: UInt64, today: SimpleDate) {
        self.rng = SplitMix64(seed: seed)
        self.seed = seed
        self.today = today
        self.out = DemoDistrict(name: "演示区 \(seed)")
        // Sichuan's prefix with four digits from the seed, so districts of different seeds rarely share a region.
        self.region = 510_000 + Int(seed % 9_000) + 100
    }

    mutating func pick<T>(_ items: [T]) -> T { items[Int(rng.next() % UInt64(items.count))] }
    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(rng.next() % UInt64(range.count)) }

    mutating func run(target: Int) -> DemoDistrict {
        let district = add(.district, nil, out.name)
        // Anchor near Chengdu; every seed shifts the district a little so maps do not overlap exactly.
        let baseLat = 30.55 + Double(seed % 50) * 0.004
        let baseLon = 103.95 + Double(seed % 37) * 0.005
        out.facilities.reserveCapacity(64)
        for h in 0..<3 {
            out.facilities.append(
                .init(
                    kind: .hospital,
                    area: district,
                    centre: nil,
                    name: ["第一人民医院", "中医医院", "妇幼保健院"][h],
                    latitude: baseLat + Double(h) * 0.01,
                    longitude: baseLon - 0.01
                )
            )
            for _ in 0..<2 { addWorker(.doctor, hospital: out.facilities.count - 1) }
        }
        var streetIndex = 0
        func needMore(_ out: DemoDistrict) -> Bool { out.residents.count < target }
        while needMore(out) {
            streetIndex += 1
            let sLat = baseLat + Double(streetIndex % 5) * 0.03
            let sLon = baseLon + Double(streetIndex / 5) * 0.03
            let street = add(.street, district, "\(pick(Names.places))街道\(streetIndex)")
            let centre = out.facilities.count
            out.facilities.append(
                .init(
                    kind: .healthCentre,
                    area: street,
                    centre: nil,
                    name: "\(out.areas[street].name)社区卫生服务中心",
                    latitude: sLat,
                    longitude: sLon
                )
            )
            var streetMicroGrids: [Int] = []
            let communities = int(6...10)
            var communityNames = Set<String>()
            for c in 0..<communities where needMore(out) {
                let cLat = sLat + Double(c % 3) * 0.008
                let cLon = sLon + Double(c / 3) * 0.008
                var communityName: String
                repeat { communityName = "\(pick(Names.places))\(c % 2 == 0 ? "社区" : "村")" } while !communityNames.insert(communityName).inserted
                let community = add(.community, street, communityName)
                out.facilities.append(
                    .init(
                        kind: .station,
                        area: community,
                        centre: centre,
                        name: "\(out.areas[street].name)\(communityName)卫生站",
                        latitude: cLat,
                        longitude: cLon
                    )
                )
                if rng.chance(0.3) { _ = add(.dedicatedGrid, community, "\(out.areas[community].name)学校专属网格", institution: "school") }
                for gi in 0..<int(3...5) where needMore(out) {
                    let grid = add(.grid, community, "第\(gi + 1)网格")
                    for mi in 0..<int(6...10) where needMore(out) {
                        let microGrid = add(.microGrid, grid, "第\(gi + 1)-\(mi + 1)微网格")
                        let mLat = cLat + Double(gi) * 0.002 + Double(mi % 3) * 0.0008
                        let mLon = cLon + Double(mi / 3) * 0.0008
                        // The last micro-grid is sized to what is left, but never below 30 households.
                        let remaining = Double(target - out.residents.count) / 2.7
                        let households = min(int(30...100), max(30, Int(remaining.rounded(.up))))
                        populate(microGrid: microGrid, lat: mLat, lon: mLon, households: households)
                        streetMicroGrids.append(microGrid)
                    }
                }
            }
            formTeams(centre: centre, microGrids: streetMicroGrids)
        }
        trimResidents(to: target)
        signContracts()
        addForces()
        return out
    }

    mutating func add(_ level: AreaLevel, _ parent: Int?, _ name: String, institution: String? = nil) -> Int {
        out.areas.append(.init(level: level, parent: parent, name: name, institution: institution))
        return out.areas.count - 1
    }

    @discardableResult
    mutating func addWorker(_ role: WorkerRole, centre: Int? = nil, hospital: Int? = nil, area: Int? = nil) -> Int {
        out.workers.append(
            .init(
                role: role,
                name: personName(male: rng.chance(0.5)),
                phone: mobile(),
                centre: centre,
                hospital: hospital,
                area: area
            )
        )
        return out.workers.count - 1
    }

    /// About thirty micro-grids a team, each with its own micro-grid worker, as in Chengdu's street centres.
    mutating func formTeams(centre: Int, microGrids: [Int]) {
        var start = 0
        var n = 0
        while start < microGrids.count {
            let slice = Array(microGrids[start..<min(start + 30, microGrids.count)])
            start += slice.count
            n += 1
            var members: [(worker: Int, role: TeamRole)] = [
                (addWorker(.doctor, centre: centre), .doctor),
                (addWorker(.nurse, centre: centre), .nurse),
                (addWorker(.publicHealth, centre: centre), .publicHealth),
                (addWorker(.partyMember, area: out.areas[slice[0]].parent), .partyMember),
            ]
            if slice.count > 12 { members.append((addWorker(.doctor, centre: centre), .doctor)) }
            for mg in slice { members.append((addWorker(.microGridWorker, area: mg), .gridWorker)) }
            out.teams.append(.init(centre: centre, name: "家庭医生团队\(n)", members: members, microGrids: slice))
        }
    }

    /// Each micro-grid's forces beside its worker (网格力量): party members who 包户, about one for every
    /// 20 households; a building leader for most buildings; up to three volunteers. About one micro-grid
    /// in twelve is thin (newly drawn, or an old neighbourhood without leaders yet) with at most one
    /// helper, so the mobilisation report separates the micro-grids that need help from those that do
    /// not. Drawn last, so the rest of a seed's district is what it was before forces were added.
    mutating func addForces() {
        var householdsOf: [Int: Int] = [:]
        for h in out.households { householdsOf[h.microGrid, default: 0] += 1 }
        for mg in out.areas.indices where out.areas[mg].level == .microGrid {
            if rng.chance(0.08) {
                if rng.chance(0.5) { addWorker(.buildingLeader, area: mg) }
                continue
            }
            for _ in 0..<max(1, ((householdsOf[mg] ?? 0) + int(0...19)) / 20) { addWorker(.partyMember, area: mg) }
            for _ in 0..<(buildingsOf[mg] ?? 1) where rng.chance(0.8) { addWorker(.buildingLeader, area: mg) }
            for _ in 0..<int(0...3) { addWorker(.volunteer, area: mg) }
        }
    }

    mutating func populate(microGrid: Int, lat: Double, lon: Double, households: Int) {
        // Households cluster in a few buildings, each a few metres across.
        let buildings = (0..<int(2...6)).map { _ in (lat + rng.gaussian(sd: 0.0006), lon + rng.gaussian(sd: 0.0006)) }
        buildingsOf[microGrid] = buildings.count
        let street = pick(Names.roads)
        for h in 0..<households {
            let b = h % buildings.count
            let (bLat, bLon) = buildings[b]
            let index = out.households.count
            out.households.append(
                .init(
                    microGrid: microGrid,
                    ref: "D\(seed)-H\(index + 1)",
                    address: "\(street)\(b + 1)栋\(h / buildings.count + 1)号",
                    latitude: bLat + rng.gaussian(sd: 0.00005),
                    longitude: bLon + rng.gaussian(sd: 0.00005),
                    token: token()
                )
            )
            addFamily(household: index)
        }
    }

    mutating func addFamily(household: Int) {
        // Household sizes of an urban Chinese district: many one- and two-person elderly households.
        let r = rng.unit()
        let size = r < 0.18 ? 1 : r < 0.45 ? 2 : r < 0.72 ? 3 : r < 0.9 ? 4 : 5
        let elderlyHousehold = rng.chance(size <= 2 ? 0.55 : 0.12)
        let surname = pick(Names.surnames)
        var members: [DemoDistrict.ResidentRow] = []
        for m in 0..<size {
            let age: Int
            if elderlyHousehold && m < 2 { age = int(65...92) } else if m < 2 { age = int(25...64) } else { age = sampleAge() }
            members.append(
                resident(
                    household: household,
                    surname: surname,
                    age: age,
                    male: m == 0 ? rng.chance(0.5) : (m == 1 ? !members[0].sex.isMale : rng.chance(0.51))
                )
            )
        }
        let allElderly = members.allSatisfy { $0.birthDate.years(until: today) >= 65 }
        for i in members.indices {
            let age = members[i].birthDate.years(until: today)
            if age >= 65 && allElderly {
                members[i].circumstances.append(size == 1 ? .livingAlone : .emptyNest)
            }
            if age < 16 && rng.chance(0.06) { members[i].circumstances.append(.leftBehindChild) }
            if rng.chance(0.01) { members[i].circumstances.append(.extremelyPoor) }
        }
        out.residents += members
    }

    mutating func sampleAge() -> Int {
        // 2020 census: about 18% under 15, 68% aged 15–64, 14% aged 65 and over.
        let r = rng.unit()
        if r < 0.18 { return int(0...14) }
        if r < 0.86 { return int(15...64) }
        return int(65...95)
    }

    mutating func resident(household: Int, surname: String, age: Int, male: Bool) -> DemoDistrict.ResidentRow {
        let birthDay = today.adding(days: -(age * 365 + int(0...364)))
        let birth = birthDay > today ? today : birthDay
        let key = birth.dayNumber
        let n = idSequence[key, default: 0]
        idSequence[key] = n + 1
        // The sequence's last digit is odd for men; n counts per birth day so numbers never repeat.
        let sequence = (n * 2 + (male ? 1 : 0)) % 1000
        let id = IDCardNumber.make(region: region + (n / 500) % 3, birth: birth, sequence: sequence)
        var conditions: [Condition] = []
        let adult = age >= 18
        if adult && rng.chance(age >= 65 ? 0.5 : age >= 45 ? 0.28 : 0.08) { conditions.append(.hypertension) }
        if adult && rng.chance(age >= 65 ? 0.2 : 0.07) { conditions.append(.type2Diabetes) }
        if adult && rng.chance(0.006) { conditions.append(.severeMentalIllness) }
        if rng.chance(age >= 65 ? 0.12 : 0.04) {
            conditions.append(.disability)
            if age >= 65 && rng.chance(0.3) { conditions.append(.bedbound) }
        }
        if !male && (20...40).contains(age) && rng.chance(0.03) { conditions.append(.pregnant) }
        return .init(
            household: household,
            name: surname + personGiven(male: male),
            sex: male ? .male : .female,
            birthDate: birth,
            idNumber: id.value,
            phone: age >= 12 ? mobile() : nil,
            conditions: conditions,
            circumstances: []
        )
    }

    /// Families are generated whole; the last ones may overshoot, so drop residents past the target. Their
    /// households stay, as vacant flats, so the last micro-grid keeps its size.
    mutating func trimResidents(to target: Int) {
        if out.residents.count > target { out.residents.removeLast(out.residents.count - target) }
    }

    /// About 45% of residents sign, and most of the key population (65+, chronic disease, disabled).
    mutating func signContracts() {
        let teamOfMicroGrid = Dictionary(uniqueKeysWithValues: out.teams.enumerated().flatMap { t, team in team.microGrids.map { ($0, t) } })
        for (i, r) in out.residents.enumerated() {
            let key = r.birthDate.years(until: today) >= 65 || !r.conditions.isEmpty
            guard rng.chance(key ? 0.8 : 0.3) else { continue }
            guard let team = teamOfMicroGrid[out.households[r.household].microGrid] else { continue }
            out.contracts.append(.init(resident: i, team: team, startsOn: today.adding(days: -int(0...300))))
        }
    }

    mutating func personName(male: Bool) -> String { pick(Names.surnames) + personGiven(male: male) }
    mutating func personGiven(male: Bool) -> String {
        let pool = male ? Names.maleGiven : Names.femaleGiven
        return rng.chance(0.7) ? pick(pool) + pick(pool) : pick(pool)
    }
    mutating func mobile() -> String { "1" + pick(["35", "38", "39", "58", "80", "86", "89"]) + pad(int(0...99_999_999), 8) }
    mutating func token() -> String {
        let alphabet = Array("ABCDEFGHJKMNPQRSTVWXYZ23456789")
        return String((0..<16).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
    }
}

private extension Sex {
    var isMale: Bool { self == .male }
}

private enum Names {
    static let surnames = [
        "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗", "高", "郑", "梁", "谢", "宋", "唐", "许", "邓", "冯",
        "韩", "曹", "曾", "彭", "萧", "蔡", "潘", "田", "董", "袁", "于", "余", "叶", "蒋", "杜", "苏", "魏", "程", "吕", "丁", "沈", "任",
    ]
    static let maleGiven = [
        "伟", "强", "磊", "军", "勇", "杰", "涛", "明", "超", "刚", "平", "辉", "鹏", "华", "飞", "鑫", "波", "斌", "宇", "浩", "凯", "健", "俊", "帆", "建", "国", "峰", "林",
        "文", "成",
    ]
    static let femaleGiven = [
        "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "秀", "英", "玲", "桂", "兰", "萍", "红", "梅", "琳", "燕", "雪", "慧", "婷", "颖", "倩", "洁", "佳", "琴", "云", "莉",
        "欣", "蓉",
    ]
    static let places = [
        "石桥", "红星", "柳林", "新华", "双流", "青龙", "白马", "金沙", "锦江", "龙泉", "桂溪", "三圣", "万安", "永宁", "安仁", "元通", "怀远", "崇阳", "羊马", "江源", "廖家", "大划", "街子",
        "文井", "观胜", "道明", "隆兴", "王场", "梓潼", "东湖",
    ]
    static let roads = ["人民路", "建设路", "解放路", "光华街", "文化路", "府河路", "兴业街", "长顺街", "青羊路", "顺城街", "桂花巷", "学府路", "滨河路", "东风路", "和平街"]
}
