/// A micro-grid's forces (网格力量): the people it can send out when every household must be reached —
/// its grid or micro-grid worker, the party members who 包户 there, its building leaders and its
/// registered volunteers, each an active worker whose area is the micro-grid.
public struct MobilisationForces: Sendable, Equatable {
    /// The worker roles that count; doctors, nurses and public-health staff serve the whole team and do not.
    public static let roles: [WorkerRole] = [.microGridWorker, .gridWorker, .partyMember, .buildingLeader, .volunteer]

    public private(set) var byRole: [WorkerRole: Int] = [:]

    public init(_ byRole: [WorkerRole: Int] = [:]) {
        for (role, n) in byRole where Self.roles.contains(role) && n > 0 { self.byRole[role] = n }
    }

    public subscript(role: WorkerRole) -> Int { byRole[role] ?? 0 }
    /// Grid and micro-grid workers together: the micro-grid's own worker(s).
    public var workers: Int { self[.gridWorker] + self[.microGridWorker] }
    public var total: Int { byRole.values.reduce(0, +) }
}
