import GridcareAPI
import GridcareCore

/// Domain records in the API's shapes. Enum raw values are shared with the domain on purpose.
extension Components.Schemas.Area {
    init(_ a: Area) {
        self.init(
            id: a.id,
            level: a.level,
            parentId: a.parentId,
            districtId: a.districtId,
            name: a.name,
            code: a.code,
            institution: a.institution,
            version: a.version
        )
    }
}

extension Components.Schemas.Facility {
    init(_ f: Facility) {
        self.init(
            id: f.id,
            kind: f.kind,
            districtId: f.districtId,
            areaId: f.areaId,
            centreId: f.centreId,
            name: f.name,
            address: f.address,
            latitude: f.latitude,
            longitude: f.longitude,
            timeZone: f.timeZone,
            version: f.version
        )
    }
}

extension Components.Schemas.Worker {
    init(_ w: Worker) {
        self.init(
            id: w.id,
            districtId: w.districtId,
            role: w.role,
            name: w.name,
            phone: w.phone,
            centreId: w.centreId,
            hospitalId: w.hospitalId,
            areaId: w.areaId,
            active: w.active,
            version: w.version
        )
    }
}

extension Components.Schemas.Household {
    init(_ h: Household) {
        self.init(
            id: h.id,
            districtId: h.districtId,
            microGridId: h.microGridId,
            externalRef: h.externalRef,
            address: h.address,
            latitude: h.latitude,
            longitude: h.longitude,
            codeToken: h.codeToken,
            version: h.version
        )
    }
}

extension Components.Schemas.Resident {
    init(_ r: Resident, today: SimpleDate) {
        self.init(
            id: r.id,
            districtId: r.districtId,
            householdId: r.householdId,
            microGridId: r.microGridId,
            teamId: r.teamId,
            name: r.name,
            sex: r.sex,
            birthYear: r.birthYear,
            birthDate: r.identity?.birthDate.iso,
            age: r.age(on: today),
            idNumberMasked: r.idNumberMasked,
            idNumber: r.identity?.idNumber,
            phone: r.phone,
            conditions: r.conditions,
            circumstances: r.circumstances,
            version: r.version
        )
    }
}
