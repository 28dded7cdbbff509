/// A household to be created, checked field by field.
public struct HouseholdDraft: Sendable, Equatable {
    public var microGridId: Int64
    public var externalRef: String?
    public var address: String
    public var latitude: Double
    public var longitude: Double

    public init(microGridId: Int64, externalRef: String?, address: String, latitude: Double, longitude: Double) {
        self.microGridId = microGridId
        self.externalRef = externalRef
        self.address = address
        self.latitude = latitude
        self.longitude = longitude
    }

    public func validate() throws(ValidationFailure) {
        var c = FieldChecker()
        c.text(address, "address", max: 300)
        c.text(externalRef, "externalRef", max: 64, required: false)
        c.coordinate(latitude: latitude, longitude: longitude)
        try c.finish()
    }
}

/// Where a new resident lives: an existing household, or one named by its import reference.
public enum HouseholdLink: Sendable, Equatable, Hashable {
    case id(Int64)
    case ref(String)
}

/// A resident to be created. The birth date and sex must agree with the ID-card number, which encodes
/// both: a mismatch is almost always a typing error worth catching at the door.
public struct ResidentDraft: Sendable, Equatable {
    public var household: HouseholdLink
    public var name: String
    public var sex: Sex
    public var birthDate: SimpleDate
    public var idNumber: IDCardNumber
    public var phone: String?
    public var conditions: [Condition]
    public var circumstances: [Circumstance]

    public init(
        household: HouseholdLink,
        name: String,
        sex: Sex,
        birthDate: SimpleDate,
        idNumber: IDCardNumber,
        phone: String?,
        conditions: [Condition],
        circumstances: [Circumstance]
    ) {
        self.household = household
        self.name = name
        self.sex = sex
        self.birthDate = birthDate
        self.idNumber = idNumber
        self.phone = phone
        self.conditions = conditions
        self.circumstances = circumstances
    }

    /// Builds a draft from loosely typed input (an API body or a CSV row), collecting every problem.
    public static func make(
        household: HouseholdLink?,
        name: String?,
        sex: String?,
        birthDate: String?,
        idNumber: String?,
        phone: String?,
        conditions: [String],
        circumstances: [String],
        today: SimpleDate
    ) throws(ValidationFailure) -> ResidentDraft {
        var c = FieldChecker()
        if household == nil { c.add(FieldError("householdId", "is required")) }
        c.text(name, "name", max: 100)
        let parsedSex = sex.flatMap(Sex.init(rawValue:))
        if parsedSex == nil { c.add(FieldError("sex", sex == nil ? "is required" : "must be male or female")) }
        let parsedBirth = birthDate.flatMap(SimpleDate.init(iso:))
        if let parsedBirth {
            c.require(parsedBirth <= today, "birthDate", "is in the future")
            c.require(parsedBirth.year >= 1880, "birthDate", "is before 1880")
        } else {
            c.add(FieldError("birthDate", birthDate == nil ? "is required" : "must be a date YYYY-MM-DD"))
        }
        var id: IDCardNumber?
        if let idNumber {
            do { id = try IDCardNumber(idNumber) } catch { c.add(error) }
        } else {
            c.add(FieldError("idNumber", "is required"))
        }
        if let id, let parsedBirth, id.birthDate != parsedBirth {
            c.add(FieldError("birthDate", "does not match the birth date in the ID-card number"))
        }
        if let id, let parsedSex, id.isMale != (parsedSex == .male) {
            c.add(FieldError("sex", "does not match the sex encoded in the ID-card number"))
        }
        if let phone { c.require(Self.isPlausiblePhone(phone), "phone", "must be 5–20 digits, spaces, + or -") }
        var parsedConditions: [Condition] = []
        for raw in conditions {
            if let v = Condition(rawValue: raw) {
                parsedConditions.append(v)
            } else {
                c.add(
                    FieldError(
                        "conditions",
                        "unknown condition \"\(raw)\"; expected one of \(Condition.allCases.map(\.rawValue).joined(separator: ", "))"
                    )
                )
            }
        }
        var parsedCircumstances: [Circumstance] = []
        for raw in circumstances {
            if let v = Circumstance(rawValue: raw) {
                parsedCircumstances.append(v)
            } else {
                c.add(
                    FieldError(
                        "circumstances",
                        "unknown circumstance \"\(raw)\"; expected one of \(Circumstance.allCases.map(\.rawValue).joined(separator: ", "))"
                    )
                )
            }
        }
        try c.finish()
        return ResidentDraft(
            household: household!,
            name: name!.trimmed,
            sex: parsedSex!,
            birthDate: parsedBirth!,
            idNumber: id!,
            phone: phone,
            conditions: distinctSorted(parsedConditions),
            circumstances: distinctSorted(parsedCircumstances)
        )
    }

    public static func isPlausiblePhone(_ phone: String) -> Bool {
        (5...20).contains(phone.utf8.count)
            && phone.utf8.allSatisfy { isDigit($0) || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: " ") }
    }
}

/// Removes repeats and orders by raw value, so the same set is always stored the same way.
func distinctSorted<T: RawRepresentable & Hashable>(_ values: [T]) -> [T] where T.RawValue == String {
    values.count < 2 ? values : Array(Set(values)).sorted { $0.rawValue < $1.rawValue }
}
