/// What a signed-in user is, which decides the operations they may call and the rows they may see.
public enum Role: String, Sendable, CaseIterable, Codable {
    /// Runs the deployment: registry, teams, users; sees every district, or one when given one.
    case admin
    /// Doctors, nurses and public-health staff of a health centre: the residents of their centre's teams.
    case centreStaff = "centre_staff"
    /// Grid, micro-grid workers and party members: the residents of their care team's micro-grids.
    case gridWorker = "grid_worker"
    /// Staff of a designated hospital: only what is addressed to their hospital.
    case hospitalStaff = "hospital_staff"
    /// District managers: read and aggregate their whole district, identity numbers masked.
    case districtManager = "district_manager"

    /// The worker roles a user of this role may be linked to.
    public var workerRoles: Set<WorkerRole> {
        switch self {
        case .centreStaff: [.doctor, .nurse, .publicHealth]
        case .gridWorker: [.gridWorker, .microGridWorker, .partyMember]
        case .admin, .hospitalStaff, .districtManager: []
        }
    }
}
