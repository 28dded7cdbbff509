import Foundation
import GridcareCore
import Logging
import PostgresNIO

/// Residents. The identity number is masked inside SQL, so the full number never leaves the database.
/// Every read, search and change, and every refused attempt, writes audit rows in the same transaction.
public struct ResidentStore: Sendable {
    let db: Database
    var audit: AuditLog { AuditLog(db) }
    public init(_ db: Database) { self.db = db }

    public struct Filter: Sendable {
        public var microGridId: Int64?
        public var gridId: Int64?
        public var districtId: Int64?
        public var teamId: Int64?
        public var householdId: Int64?
        public var namePrefix: String?
        public var minAge: Int?
        public var maxAge: Int?
        public var idNumber: IDCardNumber?
        /// These residents only (the names behind a list of contracts, say).
        public var ids: [Int64]?
        public init(
            microGridId: Int64? = nil,
            gridId: Int64? = nil,
            districtId: Int64? = nil,
            teamId: Int64? = nil,
            householdId: Int64? = nil,
            namePrefix: String? = nil,
            minAge: Int? = nil,
            maxAge: Int? = nil,
            idNumber: IDCardNumber? = nil,
            ids: [Int64]? = nil
        ) {
            self.ids = ids
            self.microGridId = microGridId
            self.gridId = gridId
            self.districtId = districtId
            self.teamId = teamId
            self.householdId = householdId
            self.namePrefix = namePrefix
            self.minAge = minAge
            self.maxAge = maxAge
            self.idNumber = idNumber
        }
    }

    /// A resident as stored: the sealed number is opened only by `resident(_:full:)`.
    struct Row: Sendable {
        var id: Int64, districtId: Int64, householdId: Int64, microGridId: Int64, name: String, sex: String, birthDate: String
        var sealed: Data, phone: String?, conditions: [String], circumstances: [String], teamId: Int64?, version: Int
        init(_ c: Columns) throws {
            id = try c("id")
            districtId = try c("district_id")
            householdId = try c("household_id")
            microGridId = try c("micro_grid_id")
            name = try c("name")
            sex = try c("sex")
            birthDate = try c("birth_date")
            sealed = try c("id_number_sealed")
            phone = try c("phone")
            conditions = try c("conditions")
            circumstances = try c("circumstances")
            teamId = try c("team_id")
            version = try c("version")
        }
    }
    /// A resident as every read of this store takes them (the view `resident_line`, 0038, which the one-call
    /// read selects from too).
    static let select = "SELECT r.* FROM resident_line r"
    /// The resident as the caller may see them: `full` only where `mayReveal` said so (and it is audited).
    func resident(_ r: Row, full: Bool = false) throws -> Resident {
        let number = try db.vault.open(r.sealed)
        let born = SimpleDate(iso: r.birthDate)!
        return Resident(
            id: r.id,
            districtId: r.districtId,
            householdId: r.householdId,
            microGridId: r.microGridId,
            name: r.name,
            sex: Sex(rawValue: r.sex)!,
            birthYear: born.year,
            idNumberMasked: number.masked,
            identity: full ? ResidentIdentity(idNumber: number.value, birthDate: born) : nil,
            phone: r.phone,
            conditions: r.conditions.compactMap(Condition.init(rawValue:)),
            circumstances: r.circumstances.compactMap(Circumstance.init(rawValue:)),
            teamId: r.teamId,
            version: r.version
        )
    }

    /// The hottest read of the service, so a named prepared statement: parsed and planned once per connection.
    struct ByID: OneParameterStatement {
        static let sql = ResidentStore.select + " WHERE r.id = $1"
        typealias Row = ResidentStore.Row
        /// The resident's id.
        var parameter: Int64
        func decodeRow(_ row: PostgresRow) throws -> Row { try Row(Columns(row)) }
    }

    func fetch(_ id: Int64, on conn: PostgresConnection, logger: Logger) async throws -> Resident? {
        try await conn.first(ByID(parameter: id), logger: logger).map { try resident($0) }
    }

    /// Not found and not visible are one answer, and both are audited as denied.
    func denied(_ id: Int64, _ action: AuditAction, on conn: PostgresConnection, logger: Logger) async throws -> Refusable<Resident> {
        try await audit.record(action, residents: [id], outcome: .denied, on: conn, logger: logger)
        return .refused(StoreError.notFound("resident"))
    }

    public func create(_ d: ResidentDraft, logger: Logger) async throws -> Resident {
        guard case .id(let householdId) = d.household else {
            throw ValidationFailure([FieldError("householdId", "is required")])
        }
        return try await db.audited(logger: logger) { conn in
            guard try await conn.first("SELECT 1 FROM household WHERE id = \(householdId)", as: Int.self, logger: logger) != nil else {
                try await audit.record(.create, residents: [], outcome: .denied, detail: "household \(householdId)", on: conn, logger: logger)
                return .refused(ValidationFailure([FieldError("householdId", "no such household")]))
            }
            let index = db.vault.blindIndex(d.idNumber)
            let sealed = db.vault.seal(d.idNumber)
            func insert(_ registration: String) async throws -> Int64? {
                try await conn.first(
                    """
                    INSERT INTO resident (district_id, household_id, micro_grid_id, name, sex, birth_date, id_number_sealed, id_number_index,
                                          registration, phone, conditions, circumstances)
                    SELECT h.district_id, h.id, h.micro_grid_id, \(d.name), \(d.sex.rawValue)::sex, \(d.birthDate)::date,
                           \(sealed), \(index), \(registration), \(d.phone), \(d.conditions.map(\.rawValue)), \(d.circumstances.map(\.rawValue))
                    FROM household h WHERE h.id = \(householdId)
                    ON CONFLICT (id_number_index) WHERE registration = 'active' DO NOTHING
                    RETURNING id
                    """,
                    as: Int64.self,
                    logger: logger
                )
            }
            // ON CONFLICT instead of a failed insert: the refusal's audit row must commit.
            var id = try await insert("active")
            if id == nil {
                // The number is an active resident's. One the caller sees is a plain duplicate (409). One they do
                // not see must not be confirmed: the registration is made exactly as a new one is, held for an
                // administrator's review, and answered alike.
                if try await conn.first(
                    "SELECT 1 FROM resident WHERE id_number_index = \(index) AND registration = 'active'",
                    as: Int.self,
                    logger: logger
                ) != nil {
                    try await audit.record(
                        .create,
                        residents: [],
                        outcome: .refused,
                        detail: "identity number already registered",
                        on: conn,
                        logger: logger
                    )
                    return .refused(StoreError.conflict(field: "idNumber", reason: "a resident with this ID-card number is already registered"))
                }
                id = try await insert("pending_review")
                if let id { try await conn.query("SELECT gridcare_hold_registration(\(id))", logger: logger) }
            }
            guard let id else { throw StoreError.notFound("household") }
            try await audit.record(.create, residents: [id], on: conn, logger: logger)
            return .done(try await fetch(id, on: conn, logger: logger)!)
        }
    }

    /// One resident. Clinical staff of the resident's own team see the whole number and birth date, and that
    /// view is audited as a reveal; everyone else sees the masked number and the birth year. The read and its
    /// audit row are one statement (ReadInOneCall); a reveal's row is written, in a statement of its own,
    /// before the whole number is returned.
    public func get(_ id: Int64, logger: Logger) async throws -> Resident {
        let inStatement = audit.writesInStatement
        let read = try await db.withConnection(logger: logger) { conn in
            let found = try await conn.first(ReadInOneCall(id: id, scope: db.scope, operation: db.operation, audit: inStatement), logger: logger)
            if !inStatement { try await audit.record(.read, residents: [id], outcome: found == nil ? .denied : .ok, on: conn, logger: logger) }
            return found
        }
        guard let (row, teamClinician) = read else { throw StoreError.notFound("resident") }
        guard let s = db.scope, AccessRules.mayRevealIdentity(as: s.role, ofOwnTeam: teamClinician) else { return try resident(row) }
        try await audit.record(.reveal, residents: [id], outcome: .ok, detail: "identity number and birth date", logger: logger)
        return try resident(row, full: true)
    }

    public func list(_ f: Filter, today: SimpleDate, page: PageRequest, logger: Logger) async throws -> Page<Resident> {
        try await search(f, today: today, page: page, logger: logger) { try resident($0) }
    }

    /// The same search as `list`, each resident as a list line shows them: no sealed number is opened.
    public func briefs(_ f: Filter, today: SimpleDate, page: PageRequest, logger: Logger) async throws -> Page<ResidentBrief> {
        try await search(f, today: today, page: page, logger: logger) { r in
            ResidentBrief(
                id: r.id,
                householdId: r.householdId,
                microGridId: r.microGridId,
                name: r.name,
                sex: Sex(rawValue: r.sex)!,
                birthYear: SimpleDate(iso: r.birthDate)!.year,
                conditions: r.conditions.compactMap(Condition.init(rawValue:))
            )
        }
    }

    /// Every search of residents, audited: `make` decides how much of each row the caller gets.
    func search<T: Sendable>(
        _ f: Filter,
        today: SimpleDate,
        page: PageRequest,
        logger: Logger,
        _ make: @escaping @Sendable (Row) throws -> T
    ) async throws -> Page<T> {
        // Ages are the age reached this calendar year (what a list shows), as birth-date bounds so the index on
        // (district_id, birth_date) can serve them: an exact age would let a caller find birthdays by asking daily.
        let bornOnOrBefore = f.minAge.map { SimpleDate(year: today.year - $0, month: 12, day: 31)!.iso }
        let bornAfter = f.maxAge.map { SimpleDate(year: today.year - $0 - 1, month: 12, day: 31)!.iso }
        let index = f.idNumber.map(db.vault.blindIndex)
        // The caller's scope as plain predicates, which the planner can use indexes for; the row-level
        // security policy enforces the same scope again.
        let districtScope = db.scope?.districtId
        let gridScope = db.scope?.microGridIds
        // The page's ids first, from what resident_micro_grid_id_idx holds where the filters allow it; then
        // only the kept rows are read whole (0038 says why). A caller scoped to micro-grids (a grid worker)
        // takes each micro-grid's first ids from its own range of that index and keeps the lowest: at most
        // a page per micro-grid is read, not every resident in scope. Any other caller has one pass (g is
        // one row), where the planner walks the primary key and stops at a page.
        let perGrid = gridScope != nil
        return try await db.transaction(logger: logger) { conn in
            let rows = try await conn.rows(
                """
                WITH page AS (
                SELECT p.id FROM unnest(coalesce(\(gridScope)::bigint[], '{NULL}')) AS g(id), LATERAL (
                SELECT r.id FROM resident r
                WHERE \(unescaped: perGrid ? "r.micro_grid_id = g.id" : "TRUE") AND r.id > \(page.afterId)
                  AND (\(districtScope)::bigint IS NULL OR r.district_id = \(districtScope))
                  AND (\(gridScope)::bigint[] IS NULL OR r.micro_grid_id = ANY(\(gridScope)))
                  AND (\(f.microGridId)::bigint IS NULL OR r.micro_grid_id = \(f.microGridId))
                  AND (\(f.gridId)::bigint IS NULL OR r.micro_grid_id IN (SELECT id FROM area WHERE parent_id = \(f.gridId)))
                  AND (\(f.districtId)::bigint IS NULL OR r.district_id = \(f.districtId))
                  AND (\(f.teamId)::bigint IS NULL
                       OR r.micro_grid_id IN (SELECT micro_grid_id FROM care_team_catchment WHERE team_id = \(f.teamId)))
                  AND (\(f.householdId)::bigint IS NULL OR r.household_id = \(f.householdId))
                  AND (\(f.ids)::bigint[] IS NULL OR r.id = ANY(\(f.ids)))
                  AND (\(index)::bytea IS NULL OR r.id_number_index = \(index))
                  AND (\(f.namePrefix)::text IS NULL OR r.name LIKE \(f.namePrefix.map(likePrefix)) || '%')
                  AND (\(bornOnOrBefore)::date IS NULL OR r.birth_date <= \(bornOnOrBefore)::date)
                  AND (\(bornAfter)::date IS NULL OR r.birth_date > \(bornAfter)::date)
                ORDER BY r.id LIMIT \(page.fetch)) p
                ORDER BY p.id LIMIT \(page.fetch))
                \(unescaped: Self.select) JOIN page ON page.id = r.id ORDER BY r.id
                """,
                logger: logger,
                Row.init
            )
            let result = page.page(rows, id: \.id)
            try await audit.record(
                .search,
                residents: result.items.map(\.id),
                detail: result.items.isEmpty ? "no results" : nil,
                on: conn,
                logger: logger
            )
            return Page(items: try result.items.map(make), nextCursor: result.nextCursor)
        }
    }

    /// The id of the resident with this identity number, when the caller may see them: a resident outside
    /// the scope and a missing one give the same nil.
    public func find(idNumber: IDCardNumber, logger: Logger) async throws -> Int64? {
        try await db.transaction(logger: logger) { conn in
            let id = try await conn.first(
                """
                SELECT id FROM resident WHERE id_number_index = \(db.vault.blindIndex(idNumber)) ORDER BY registration <> 'active', id LIMIT 1
                """,
                as: Int64.self,
                logger: logger
            )
            try await audit.record(.search, residents: id.map { [$0] } ?? [], detail: id == nil ? "no results" : nil, on: conn, logger: logger)
            return id
        }
    }

    public struct Change: Sendable {
        public var name: String?
        public var phone: String?
        public var householdId: Int64?
        public var conditions: [Condition]?
        public var circumstances: [Circumstance]?
        public init(
            name: String? = nil,
            phone: String? = nil,
            householdId: Int64? = nil,
            conditions: [Condition]? = nil,
            circumstances: [Circumstance]? = nil
        ) {
            self.name = name
            self.phone = phone
            self.householdId = householdId
            self.conditions = conditions
            self.circumstances = circumstances
        }
    }

    public func update(_ id: Int64, _ change: Change, ifVersion: Int?, logger: Logger) async throws -> Resident {
        var c = FieldChecker()
        if let name = change.name { c.text(name, "name", max: 100) }
        if let phone = change.phone { c.require(ResidentDraft.isPlausiblePhone(phone), "phone", "must be 5–20 digits, spaces, + or -") }
        try c.finish()
        return try await db.audited(logger: logger) { conn in
            guard let current = try await fetch(id, on: conn, logger: logger) else { return try await denied(id, .update, on: conn, logger: logger) }
            var moveTo: Int64?
            if let householdId = change.householdId {
                // A household outside the caller's scope reads as one of another district: not a place to move to.
                moveTo = try await conn.first(
                    """
                    SELECT micro_grid_id FROM household WHERE id = \(householdId) AND district_id = \(current.districtId)
                    """,
                    as: Int64.self,
                    logger: logger
                )
                if moveTo == nil {
                    try await audit.record(.update, residents: [id], outcome: .refused, detail: "household \(householdId)", on: conn, logger: logger)
                    return .refused(ValidationFailure([FieldError("householdId", "is not a household of the resident's district")]))
                }
            }
            let updated = try await conn.first(
                """
                UPDATE resident SET name = coalesce(\(change.name?.trimmed), name), phone = coalesce(\(change.phone), phone),
                       household_id = coalesce(\(change.householdId), household_id),
                       micro_grid_id = coalesce(\(moveTo), micro_grid_id),
                       conditions = coalesce(\(change.conditions?.map(\.rawValue)), conditions),
                       circumstances = coalesce(\(change.circumstances?.map(\.rawValue)), circumstances),
                       version = version + 1, updated_at = now()
                WHERE id = \(id) AND (\(ifVersion)::int IS NULL OR version = \(ifVersion))
                RETURNING id
                """,
                as: Int64.self,
                logger: logger
            )
            guard updated != nil else {
                try await audit.record(.update, residents: [id], outcome: .refused, detail: "stale version", on: conn, logger: logger)
                return .refused(StoreError.versionMismatch(current: current.version))
            }
            try await audit.record(.update, residents: [id], on: conn, logger: logger)
            return .done(try await fetch(id, on: conn, logger: logger)!)
        }
    }
}
