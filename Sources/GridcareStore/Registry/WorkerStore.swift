import Foundation
import GridcareCore
import Logging
import PostgresNIO

/// Doctors, nurses, public-health staff, party members, grid workers and volunteers.
public struct WorkerStore: Sendable {
    let db: Database
    public init(_ db: Database) { self.db = db }

    public struct Draft: Sendable {
        public var districtId: Int64
        public var role: WorkerRole
        public var name: String
        public var phone: String?
        public var centreId: Int64?
        public var hospitalId: Int64?
        public var areaId: Int64?
        public init(
            districtId: Int64,
            role: WorkerRole,
            name: String,
            phone: String?,
            centreId: Int64?,
            hospitalId: Int64?,
            areaId: Int64?
        ) {
            self.districtId = districtId
            self.role = role
            self.name = name
            self.phone = phone
            self.centreId = centreId
            self.hospitalId = hospitalId
            self.areaId = areaId
        }
    }

    static let columns = "id, district_id, role::text, name, phone, centre_id, hospital_id, area_id, active, version"
    static func worker(_ c: Columns) throws -> Worker {
        Worker(
            id: try c("id"),
            districtId: try c("district_id"),
            role: WorkerRole(rawValue: try c("role"))!,
            name: try c("name"),
            phone: try c("phone"),
            centreId: try c("centre_id"),
            hospitalId: try c("hospital_id"),
            areaId: try c("area_id"),
            active: try c("active"),
            version: try c("version")
        )
    }

    public func create(_ d: Draft, logger: Logger) async throws -> Worker {
        var c = FieldChecker()
        c.text(d.name, "name", max: 100)
        if let phone = d.phone { c.require(ResidentDraft.isPlausiblePhone(phone), "phone", "must be 5–20 digits, spaces, + or -") }
        try c.finish()
        // Each reference must exist, be of the right kind and sit in the worker's district.
        let checks = try await db.rows(
            """
            SELECT
              EXISTS (SELECT 1 FROM area WHERE id = \(d.districtId) AND level = 'district'),
              \(d.centreId)::bigint IS NULL OR EXISTS (SELECT 1 FROM facility WHERE id = \(d.centreId) AND kind = 'health_centre' AND district_id = \(d.districtId)),
              \(d.hospitalId)::bigint IS NULL OR EXISTS (SELECT 1 FROM facility WHERE id = \(d.hospitalId) AND kind = 'hospital' AND district_id = \(d.districtId)),
              \(d.areaId)::bigint IS NULL OR EXISTS (SELECT 1 FROM area WHERE id = \(d.areaId) AND district_id = \(d.districtId))
            """,
            as: (Bool, Bool, Bool, Bool).self,
            logger: logger
        )[0]
        c.require(checks.0, "districtId", "no such district")
        c.require(checks.1, "centreId", "is not a health centre of this district")
        c.require(checks.2, "hospitalId", "is not a hospital of this district")
        c.require(checks.3, "areaId", "is not an area of this district")
        try c.finish()
        let rows = try await db.rows(
            """
            INSERT INTO worker (district_id, role, name, phone, centre_id, hospital_id, area_id)
            VALUES (\(d.districtId), \(d.role.rawValue)::worker_role, \(d.name.trimmed), \(d.phone), \(d.centreId), \(d.hospitalId), \(d.areaId))
            RETURNING \(unescaped: Self.columns)
            """,
            logger: logger,
            Self.worker
        )
        return rows[0]
    }

    public func get(_ id: Int64, logger: Logger) async throws -> Worker {
        try await db.first("SELECT \(unescaped: Self.columns) FROM worker WHERE id = \(id)", logger: logger, Self.worker).orThrow(
            StoreError.notFound("worker")
        )
    }

    public func list(
        role: WorkerRole?,
        districtId: Int64?,
        centreId: Int64?,
        areaId: Int64?,
        namePrefix: String?,
        ids: [Int64]? = nil,
        page: PageRequest,
        logger: Logger
    ) async throws -> Page<Worker> {
        let rows = try await db.rows(
            """
            SELECT \(unescaped: Self.columns) FROM worker
            WHERE id > \(page.afterId)
              AND (\(role?.rawValue)::worker_role IS NULL OR role = \(role?.rawValue)::worker_role)
              AND (\(districtId)::bigint IS NULL OR district_id = \(districtId))
              AND (\(centreId)::bigint IS NULL OR centre_id = \(centreId))
              AND (\(areaId)::bigint IS NULL OR area_id = \(areaId))
              AND (\(namePrefix)::text IS NULL OR name LIKE \(namePrefix.map(likePrefix)) || '%')
              AND (\(ids)::bigint[] IS NULL OR id = ANY(\(ids)))
            ORDER BY id LIMIT \(page.fetch)
            """,
            logger: logger,
            Self.worker
        )
        return page.page(rows, id: \.id)
    }

    public func update(_ id: Int64, name: String?, phone: String?, active: Bool?, ifVersion: Int?, logger: Logger) async throws -> Worker {
        var c = FieldChecker()
        if let name { c.text(name, "name", max: 100) }
        if let phone { c.require(ResidentDraft.isPlausiblePhone(phone), "phone", "must be 5–20 digits, spaces, + or -") }
        try c.finish()
        if let row = try await db.first(
            """
            UPDATE worker SET name = coalesce(\(name?.trimmed), name), phone = coalesce(\(phone), phone),
                   active = coalesce(\(active), active), version = version + 1, updated_at = now()
            WHERE id = \(id) AND (\(ifVersion)::int IS NULL OR version = \(ifVersion))
            RETURNING \(unescaped: Self.columns)
            """,
            logger: logger,
            Self.worker
        ) {
            return row
        }
        throw StoreError.versionMismatch(current: try await get(id, logger: logger).version)
    }
}
