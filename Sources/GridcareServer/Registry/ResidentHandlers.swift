import GridcareAPI
import GridcareCore
import GridcareStore

extension APIHandler {
    var residents: ResidentStore { ResidentStore(db) }

    func listResidents(_ input: Operations.ListResidents.Input) async throws -> Operations.ListResidents.Output {
        let q = input.query
        for (name, age) in [("minAge", q.minAge), ("maxAge", q.maxAge)] where age.map({ !(0...150).contains($0) }) ?? false {
            throw FieldError(name, "must be 0–150")
        }
        if let lo = q.minAge, let hi = q.maxAge, lo > hi {
            throw FieldError("maxAge", "must not be below minAge")
        }
        let idNumber = try q.idNumber.map { raw throws(FieldError) in try IDCardNumber(raw) }
        let filter = ResidentStore.Filter(
            microGridId: q.microGridId,
            gridId: q.gridId,
            districtId: q.districtId,
            teamId: q.teamId,
            householdId: q.householdId,
            namePrefix: q.name,
            minAge: q.minAge,
            maxAge: q.maxAge,
            idNumber: idNumber
        )
        let today = self.today
        let page = try await residents.list(filter, today: today, page: try pageRequest(cursor: q.cursor, limit: q.limit), logger: logger)
        return .ok(.init(body: .json(.init(items: page.items.map { .init($0, today: today) }, nextCursor: page.nextCursor))))
    }

    func createResident(_ input: Operations.CreateResident.Input) async throws -> Operations.CreateResident.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        try distinct(b.conditions?.map(\.rawValue), "conditions")
        try distinct(b.circumstances?.map(\.rawValue), "circumstances")
        let draft = try ResidentDraft.make(
            household: .id(b.householdId),
            name: b.name,
            sex: b.sex.rawValue,
            birthDate: b.birthDate,
            idNumber: b.idNumber,
            phone: b.phone,
            conditions: (b.conditions ?? []).map(\.rawValue),
            circumstances: (b.circumstances ?? []).map(\.rawValue),
            today: today
        )
        return .created(.init(body: .json(.init(try await residents.create(draft, logger: logger), today: today))))
    }

    func checkIdNumber(_ input: Operations.CheckIdNumber.Input) async throws -> Operations.CheckIdNumber.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        let id = try await residents.find(idNumber: try IDCardNumber(b.idNumber), logger: logger)
        return .ok(.init(body: .json(.init(registered: id != nil, residentId: id))))
    }

    func getResident(_ input: Operations.GetResident.Input) async throws -> Operations.GetResident.Output {
        let r = Components.Schemas.Resident(try await residents.get(input.path.id, logger: logger), today: today)
        return .ok(.init(headers: .init(eTag: etag(r.version)), body: .json(r)))
    }

    func updateResident(_ input: Operations.UpdateResident.Input) async throws -> Operations.UpdateResident.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        try distinct(b.conditions?.map(\.rawValue), "conditions")
        try distinct(b.circumstances?.map(\.rawValue), "circumstances")
        let change = ResidentStore.Change(
            name: b.name,
            phone: b.phone,
            householdId: b.householdId,
            conditions: b.conditions,
            circumstances: b.circumstances
        )
        let r = try await residents.update(input.path.id, change, ifVersion: try version(ifMatch: input.headers.ifMatch), logger: logger)
        return .ok(.init(headers: .init(eTag: etag(r.version)), body: .json(.init(r, today: today))))
    }
}
