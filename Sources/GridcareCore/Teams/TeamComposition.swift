/// A team role: who fills which seat of a 1+1+N care team.
public enum TeamRole: String, Sendable, CaseIterable, Codable {
    case doctor, nurse
    case publicHealth = "public_health"
    case partyMember = "party_member"
    case gridWorker = "grid_worker"

    /// The worker roles that may take this seat.
    public var eligibleWorkerRoles: Set<WorkerRole> {
        switch self {
        case .doctor: [.doctor]
        case .nurse: [.nurse]
        case .publicHealth: [.publicHealth]
        case .partyMember: [.partyMember]
        case .gridWorker: [.gridWorker, .microGridWorker]
        }
    }
}

/// One seat of a team as the 1+1+N rule sees it.
public struct TeamSeat: Sendable, Equatable {
    public var workerId: Int64
    public var teamRole: TeamRole
    public var workerRole: WorkerRole
    public var active: Bool

    public init(workerId: Int64, teamRole: TeamRole, workerRole: WorkerRole, active: Bool = true) {
        self.workerId = workerId
        self.teamRole = teamRole
        self.workerRole = workerRole
        self.active = active
    }
}

/// The 1+1+N rule: a doctor team with at least one doctor, exactly one party member, and at least one
/// micro-grid worker. This is the only place that knows it; the store and the coverage report ask here.
public enum TeamComposition {
    /// Every way `seats` break the rule, in words a person can act on; empty when the team is whole.
    public static func violations(_ seats: [TeamSeat]) -> [String] {
        var problems: [String] = []
        for seat in seats where !seat.teamRole.eligibleWorkerRoles.contains(seat.workerRole) {
            problems.append("worker \(seat.workerId) is a \(seat.workerRole.rawValue) and cannot sit as \(seat.teamRole.rawValue)")
        }
        let active = seats.filter { $0.active && $0.teamRole.eligibleWorkerRoles.contains($0.workerRole) }
        if !active.contains(where: { $0.teamRole == .doctor }) {
            problems.append("has no active doctor")
        }
        let party = active.filter { $0.teamRole == .partyMember }.count
        if party != 1 {
            problems.append("has \(party) active party members, needs exactly 1")
        }
        if !active.contains(where: { $0.teamRole == .gridWorker }) {
            problems.append("has no active micro-grid worker")
        }
        return problems
    }

    /// Refuses a member list that breaks the rule or names a worker twice.
    public static func validate(_ seats: [TeamSeat]) throws(ValidationFailure) {
        var errors = violations(seats).map { FieldError("members", $0) }
        var seen = Set<Int64>()
        for seat in seats where !seen.insert(seat.workerId).inserted {
            errors.append(FieldError("members", "worker \(seat.workerId) is listed twice"))
        }
        try ValidationFailure.check(errors)
    }
}

/// A stored care team with its members and catchment.
public struct CareTeam: Sendable, Equatable {
    public var id: Int64
    public var districtId: Int64
    public var centreId: Int64
    public var name: String
    public var members: [TeamSeat]
    public var microGridIds: [Int64]
    public var version: Int

    public init(
        id: Int64,
        districtId: Int64,
        centreId: Int64,
        name: String,
        members: [TeamSeat],
        microGridIds: [Int64],
        version: Int
    ) {
        self.id = id
        self.districtId = districtId
        self.centreId = centreId
        self.name = name
        self.members = members
        self.microGridIds = microGridIds
        self.version = version
    }
}
