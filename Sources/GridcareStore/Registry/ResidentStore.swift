import Foundation
import GridcareCore
import Logging
import PostgresNIO

/// Residents. The identity number is masked inside SQL, so the full number never leaves the database.
public struct ResidentStore: Sendable {
    let db: Database
    public init(_ db: Database) { self.db = db }

    public struct Filter: Sendable {
        public var microGridId: Int64?; public var gridId: Int64?; public var districtId: Int64?; public var teamId: Int64?
        public var householdId: Int64?; public var namePrefix: String?; public var minAge: Int?; public var maxAge: Int?
        public init(microGridId: Int64? = nil, gridId: Int64? = nil, districtId: Int64? = nil, teamId: Int64? = nil,
                    householdId: Int64? = nil, namePrefix: String? = nil, minAge: Int? = nil, maxAge: Int? = nil) {
            self.microGridId = microGridId; self.gridId = gridId; self.districtId = districtId; self.teamId = teamId
            self.householdId = householdId; self.namePrefix = namePrefix; self.minAge = minAge; self.maxAge = maxAge
        }
    }

    typealias Row = (Int64, Int64, Int64, Int64, String, String, String, String, String?, [String], [String], Int64?, Int)
    static let select = """
        SELECT r.id, r.district_id, r.household_id, h.micro_grid_id, r.name, r.sex::text, to_char(r.birth_date, 'YYYY-MM-DD'),
               left(r.id_number, 6) || '********' || right(r.id_number, 4), r.phone, r.conditions, r.circumstances,
               c.team_id, r.version
        FROM resident r
        JOIN household h ON h.id = r.household_id
        LEFT JOIN care_team_catchment c ON c.micro_grid_id = h.micro_grid_id
        """
    static func resident(_ r: Row) -> Resident {
        Resident(id: r.0, districtId: r.1, householdId: r.2, microGridId: r.3, name: r.4, sex: Sex(rawValue: r.5)!,
                 birthDate: SimpleDate(iso: r.6)!, idNumberMasked: r.7, phone: r.8,
                 conditions: r.9.compactMap(Condition.init(rawValue:)), circumstances: r.10.compactMap(Circumstance.init(rawValue:)),
                 teamId: r.11, version: r.12)
    }

    public func create(_ d: ResidentDraft, logger: Logger) async throws -> Resident {
        guard case .id(let householdId) = d.household else {
            throw ValidationFailure([FieldError("householdId", "is required")])
        }
        let rows = try await db.client.query("""
            INSERT INTO resident (district_id, household_id, name, sex, birth_date, id_number, phone, conditions, circumstances)
            SELECT h.district_id, h.id, \(d.name), \(d.sex.rawValue)::sex, \(d.birthDate.iso)::date, \(d.idNumber.value),
                   \(d.phone), \(d.conditions.map(\.rawValue)), \(d.circumstances.map(\.rawValue))
            FROM household h WHERE h.id = \(householdId)
            RETURNING id
            """, logger: logger)
        for try await id in rows.decode(Int64.self) { return try await get(id, logger: logger) }
        throw ValidationFailure([FieldError("householdId", "no such household")])
    }

    /// The hottest read of the service, so a named prepared statement: parsed and planned once per connection.
    struct ByID: PostgresPreparedStatement {
        static let sql = ResidentStore.select + " WHERE r.id = $1"
        typealias Row = ResidentStore.Row
        var id: Int64
        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(id)
            return bindings
        }
        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    public func get(_ id: Int64, logger: Logger) async throws -> Resident {
        for try await row in try await db.client.execute(ByID(id: id), logger: logger) { return Self.resident(row) }
        throw StoreError.notFound("resident")
    }

    public func list(_ f: Filter, today: SimpleDate, page: PageRequest, logger: Logger) async throws -> Page<Resident> {
        // Age bounds become birth-date bounds so the index on (district_id, birth_date) can serve them.
        let bornOnOrBefore = f.minAge.map { today.adding(years: -$0).iso }
        let bornAfter = f.maxAge.map { today.adding(years: -($0 + 1)).iso }
        let rows = try await db.client.query("""
            \(unescaped: Self.select)
            WHERE r.id > \(page.afterId)
              AND (\(f.microGridId)::bigint IS NULL OR h.micro_grid_id = \(f.microGridId))
              AND (\(f.gridId)::bigint IS NULL OR h.micro_grid_id IN (SELECT id FROM area WHERE parent_id = \(f.gridId)))
              AND (\(f.districtId)::bigint IS NULL OR r.district_id = \(f.districtId))
              AND (\(f.teamId)::bigint IS NULL OR c.team_id = \(f.teamId))
              AND (\(f.householdId)::bigint IS NULL OR r.household_id = \(f.householdId))
              AND (\(f.namePrefix)::text IS NULL OR r.name LIKE \(f.namePrefix.map(likePrefix)) || '%')
              AND (\(bornOnOrBefore)::date IS NULL OR r.birth_date <= \(bornOnOrBefore)::date)
              AND (\(bornAfter)::date IS NULL OR r.birth_date > \(bornAfter)::date)
            ORDER BY r.id LIMIT \(page.fetch)
            """, logger: logger)
        return page.page(try await rows.decode(Row.self).all().map(Self.resident), id: \.id)
    }

    /// Whether a resident with this identity number exists (for duplicate checks that must not leak the row).
    public func exists(idNumber: IDCardNumber, logger: Logger) async throws -> Int64? {
        let rows = try await db.client.query("SELECT id FROM resident WHERE id_number = \(idNumber.value)", logger: logger)
        for try await id in rows.decode(Int64.self) { return id }
        return nil
    }

    public struct Change: Sendable {
        public var name: String?; public var phone: String?; public var householdId: Int64?
        public var conditions: [Condition]?; public var circumstances: [Circumstance]?
        public init(name: String? = nil, phone: String? = nil, householdId: Int64? = nil,
                    conditions: [Condition]? = nil, circumstances: [Circumstance]? = nil) {
            self.name = name; self.phone = phone; self.householdId = householdId
            self.conditions = conditions; self.circumstances = circumstances
        }
    }

    public func update(_ id: Int64, _ change: Change, ifVersion: Int?, logger: Logger) async throws -> Resident {
        var c = FieldChecker()
        if let name = change.name { c.text(name, "name", max: 100) }
        if let phone = change.phone { c.require(ResidentDraft.isPlausiblePhone(phone), "phone", "must be 5–20 digits, spaces, + or -") }
        try c.finish()
        if let householdId = change.householdId {
            let ok = try await db.client.query("""
                SELECT 1 FROM household h JOIN resident r ON r.id = \(id)
                WHERE h.id = \(householdId) AND h.district_id = r.district_id
                """, logger: logger).collect().count > 0
            if !ok {
                _ = try await get(id, logger: logger)
                throw ValidationFailure([FieldError("householdId", "is not a household of the resident's district")])
            }
        }
        let rows = try await db.client.query("""
            UPDATE resident SET name = coalesce(\(change.name?.trimmed), name), phone = coalesce(\(change.phone), phone),
                   household_id = coalesce(\(change.householdId), household_id),
                   conditions = coalesce(\(change.conditions?.map(\.rawValue)), conditions),
                   circumstances = coalesce(\(change.circumstances?.map(\.rawValue)), circumstances),
                   version = version + 1, updated_at = now()
            WHERE id = \(id) AND (\(ifVersion)::int IS NULL OR version = \(ifVersion))
            RETURNING id
            """, logger: logger)
        for try await rid in rows.decode(Int64.self) { return try await get(rid, logger: logger) }
        throw StoreError.versionMismatch(current: try await get(id, logger: logger).version)
    }
}
