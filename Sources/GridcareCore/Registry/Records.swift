/// Stored registry records as the store returns them; ids are database ids.
public struct Area: Sendable, Equatable {
    public var id: Int64
    public var level: AreaLevel
    public var parentId: Int64?
    public var districtId: Int64
    public var name: String
    public var code: String?
    public var institution: String?
    public var version: Int

    public init(
        id: Int64,
        level: AreaLevel,
        parentId: Int64?,
        districtId: Int64,
        name: String,
        code: String?,
        institution: String?,
        version: Int
    ) {
        self.id = id
        self.level = level
        self.parentId = parentId
        self.districtId = districtId
        self.name = name
        self.code = code
        self.institution = institution
        self.version = version
    }
}

public struct Facility: Sendable, Equatable {
    public var id: Int64
    public var kind: FacilityKind
    public var districtId: Int64
    public var areaId: Int64
    public var centreId: Int64?
    public var name: String
    public var address: String?
    public var latitude: Double?
    public var longitude: Double?
    public var timeZone: String
    public var version: Int

    public init(
        id: Int64,
        kind: FacilityKind,
        districtId: Int64,
        areaId: Int64,
        centreId: Int64?,
        name: String,
        address: String?,
        latitude: Double?,
        longitude: Double?,
        timeZone: String,
        version: Int
    ) {
        self.id = id
        self.kind = kind
        self.districtId = districtId
        self.areaId = areaId
        self.centreId = centreId
        self.name = name
        self.address = address
        self.latitude = latitude
        self.longitude = longitude
        self.timeZone = timeZone
        self.version = version
    }
}

public struct Worker: Sendable, Equatable {
    public var id: Int64
    public var districtId: Int64
    public var role: WorkerRole
    public var name: String
    public var phone: String?
    public var centreId: Int64?
    public var hospitalId: Int64?
    public var areaId: Int64?
    public var active: Bool
    public var version: Int

    public init(
        id: Int64,
        districtId: Int64,
        role: WorkerRole,
        name: String,
        phone: String?,
        centreId: Int64?,
        hospitalId: Int64?,
        areaId: Int64?,
        active: Bool,
        version: Int
    ) {
        self.id = id
        self.districtId = districtId
        self.role = role
        self.name = name
        self.phone = phone
        self.centreId = centreId
        self.hospitalId = hospitalId
        self.areaId = areaId
        self.active = active
        self.version = version
    }
}

public struct Household: Sendable, Equatable {
    public var id: Int64
    public var districtId: Int64
    public var microGridId: Int64
    public var externalRef: String?
    public var address: String
    public var latitude: Double
    public var longitude: Double
    public var codeToken: String
    public var version: Int

    public init(
        id: Int64,
        districtId: Int64,
        microGridId: Int64,
        externalRef: String?,
        address: String,
        latitude: Double,
        longitude: Double,
        codeToken: String,
        version: Int
    ) {
        self.id = id
        self.districtId = districtId
        self.microGridId = microGridId
        self.externalRef = externalRef
        self.address = address
        self.latitude = latitude
        self.longitude = longitude
        self.codeToken = codeToken
        self.version = version
    }
}

/// A resident as a list line shows them: no identity number at all, so listing a micro-grid opens no sealed one.
public struct ResidentBrief: Sendable, Equatable {
    public var id: Int64
    public var householdId: Int64
    public var microGridId: Int64
    public var name: String
    public var sex: Sex
    public var birthYear: Int
    public var conditions: [Condition]
    public init(id: Int64, householdId: Int64, microGridId: Int64, name: String, sex: Sex, birthYear: Int, conditions: [Condition]) {
        self.id = id
        self.householdId = householdId
        self.microGridId = microGridId
        self.name = name
        self.sex = sex
        self.birthYear = birthYear
        self.conditions = conditions
    }
}

/// A resident as a caller sees them: the birth year and the masked identity number for everyone, the
/// birth date and whole number only in the few views whose caller's work needs them (`identity`).
public struct Resident: Sendable, Equatable {
    public var id: Int64
    public var districtId: Int64
    public var householdId: Int64
    public var microGridId: Int64
    public var name: String
    public var sex: Sex
    public var birthYear: Int
    public var idNumberMasked: String
    /// The whole number and birth date: set only for a full-number view, which is audited as one.
    public var identity: ResidentIdentity?
    public var phone: String?
    public var conditions: [Condition]
    public var circumstances: [Circumstance]
    public var teamId: Int64?
    public var version: Int

    public init(
        id: Int64,
        districtId: Int64,
        householdId: Int64,
        microGridId: Int64,
        name: String,
        sex: Sex,
        birthYear: Int,
        idNumberMasked: String,
        identity: ResidentIdentity?,
        phone: String?,
        conditions: [Condition],
        circumstances: [Circumstance],
        teamId: Int64?,
        version: Int
    ) {
        self.id = id
        self.districtId = districtId
        self.householdId = householdId
        self.microGridId = microGridId
        self.name = name
        self.sex = sex
        self.birthYear = birthYear
        self.idNumberMasked = idNumberMasked
        self.identity = identity
        self.phone = phone
        self.conditions = conditions
        self.circumstances = circumstances
        self.teamId = teamId
        self.version = version
    }

    /// Whole years on `today` when the birth date is shown; otherwise the age reached in `today`'s year,
    /// which says no more than the birth year does (an exact age watched from day to day gives the date away).
    public func age(on today: SimpleDate) -> Int {
        identity.map { $0.birthDate.years(until: today) } ?? today.year - birthYear
    }
}

/// What only a full-number view shows.
public struct ResidentIdentity: Sendable, Equatable {
    public var idNumber: String
    public var birthDate: SimpleDate
    public init(idNumber: String, birthDate: SimpleDate) {
        self.idNumber = idNumber
        self.birthDate = birthDate
    }
}
