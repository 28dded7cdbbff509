/// Levels of the administrative hierarchy, top down; raw values are the database's.
public enum AreaLevel: String, Sendable, CaseIterable, Codable {
    case district, street, community, grid
    case microGrid = "micro_grid"
    case dedicatedGrid = "dedicated_grid"

    /// The level a parent of this level must have (nil for a district).
    public var parentLevel: AreaLevel? {
        switch self {
        case .district: nil
        case .street: .district
        case .community: .street
        case .grid: .community
        case .microGrid: .grid
        case .dedicatedGrid: .community
        }
    }
}

/// Health centres, village stations / studios and designated hospitals.
public enum FacilityKind: String, Sendable, CaseIterable, Codable {
    case healthCentre = "health_centre"
    case station
    case hospital
}

/// What a worker does; decides which team roles they can fill.
public enum WorkerRole: String, Sendable, CaseIterable, Codable {
    case doctor, nurse
    case publicHealth = "public_health"
    case partyMember = "party_member"
    case gridWorker = "grid_worker"
    case microGridWorker = "micro_grid_worker"
    case volunteer
    /// 楼栋长: a building or unit leader, one of a micro-grid's forces when everyone must be reached.
    case buildingLeader = "building_leader"
}

public enum Sex: String, Sendable, CaseIterable, Codable {
    case male, female
}

/// Health conditions that drive visit rules.
public enum Condition: String, Sendable, CaseIterable, Codable {
    case hypertension
    case type2Diabetes = "type2_diabetes"
    case severeMentalIllness = "severe_mental_illness"
    case disability, bedbound, pregnant
}

/// Living circumstances kept in the risk register.
public enum Circumstance: String, Sendable, CaseIterable, Codable {
    case emptyNest = "empty_nest"
    case livingAlone = "living_alone"
    case extremelyPoor = "extremely_poor"
    case leftBehindChild = "left_behind_child"
}
