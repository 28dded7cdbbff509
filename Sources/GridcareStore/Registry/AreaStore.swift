import Foundation
import GridcareCore
import Logging
import PostgresNIO

/// Districts, streets, communities, grids, micro-grids and dedicated grids.
public struct AreaStore: Sendable {
    let db: Database
    public init(_ db: Database) { self.db = db }

    public struct Filter: Sendable {
        public var level: AreaLevel?
        public var parentId: Int64?
        public var districtId: Int64?
        public var namePrefix: String?
        /// These areas only (a grid worker's own micro-grids, say).
        public var ids: [Int64]?
        public init(level: AreaLevel? = nil, parentId: Int64? = nil, districtId: Int64? = nil, namePrefix: String? = nil, ids: [Int64]? = nil) {
            self.ids = ids
            self.level = level
            self.parentId = parentId
            self.districtId = districtId
            self.namePrefix = namePrefix
        }
    }

    static let columns = "id, level::text, parent_id, district_id, name, code, institution, version"

    static func area(_ c: Columns) throws -> Area {
        Area(
            id: try c("id"),
            level: AreaLevel(rawValue: try c("level"))!,
            parentId: try c("parent_id"),
            districtId: try c("district_id"),
            name: try c("name"),
            code: try c("code"),
            institution: try c("institution"),
            version: try c("version")
        )
    }

    public func create(
        level: AreaLevel,
        parentId: Int64?,
        name: String,
        code: String?,
        institution: String?,
        logger: Logger
    ) async throws -> Area {
        var c = FieldChecker()
        c.text(name, "name", max: 200)
        c.text(code, "code", max: 32, required: false)
        c.require(
            (level == .district) == (parentId == nil),
            "parentId",
            level == .district ? "a district has no parent" : "is required for a \(level.rawValue)"
        )
        c.require(
            (level == .dedicatedGrid) == (institution != nil),
            "institution",
            level == .dedicatedGrid ? "is required for a dedicated grid" : "is only for dedicated grids"
        )
        try c.finish()
        let insert: PostgresQuery
        if let parentId {
            insert = """
                INSERT INTO area (level, parent_id, district_id, name, code, institution)
                SELECT \(level.rawValue)::area_level, p.id, p.district_id, \(name.trimmed), \(code), \(institution)
                FROM area p WHERE p.id = \(parentId)
                RETURNING \(unescaped: Self.columns)
                """
        } else {
            insert = """
                WITH n AS (SELECT nextval(pg_get_serial_sequence('area', 'id')) AS id)
                INSERT INTO area (id, level, district_id, name, code)
                SELECT n.id, 'district', n.id, \(name.trimmed), \(code) FROM n
                RETURNING \(unescaped: Self.columns)
                """
        }
        if let row = try await db.first(insert, logger: logger, Self.area) { return row }
        throw ValidationFailure([FieldError("parentId", "no such area")])
    }

    public func get(_ id: Int64, logger: Logger) async throws -> Area {
        try await db.first("SELECT \(unescaped: Self.columns) FROM area WHERE id = \(id)", logger: logger, Self.area).orThrow(
            StoreError.notFound("area")
        )
    }

    public func list(_ f: Filter, page: PageRequest, logger: Logger) async throws -> Page<Area> {
        let rows = try await db.rows(
            """
            SELECT \(unescaped: Self.columns) FROM area
            WHERE id > \(page.afterId)
              AND (\(f.level?.rawValue)::area_level IS NULL OR level = \(f.level?.rawValue)::area_level)
              AND (\(f.parentId)::bigint IS NULL OR parent_id = \(f.parentId))
              AND (\(f.districtId)::bigint IS NULL OR district_id = \(f.districtId))
              AND (\(f.namePrefix)::text IS NULL OR name LIKE \(f.namePrefix.map(likePrefix)) || '%')
              AND (\(f.ids)::bigint[] IS NULL OR id = ANY(\(f.ids)))
            ORDER BY id LIMIT \(page.fetch)
            """,
            logger: logger,
            Self.area
        )
        return page.page(rows, id: \.id)
    }

    public func update(_ id: Int64, name: String?, code: String?, ifVersion: Int?, logger: Logger) async throws -> Area {
        var c = FieldChecker()
        if let name { c.text(name, "name", max: 200) }
        c.text(code, "code", max: 32, required: false)
        try c.finish()
        if let row = try await db.first(
            """
            UPDATE area SET name = coalesce(\(name?.trimmed), name), code = coalesce(\(code), code),
                   version = version + 1, updated_at = now()
            WHERE id = \(id) AND (\(ifVersion)::int IS NULL OR version = \(ifVersion))
            RETURNING \(unescaped: Self.columns)
            """,
            logger: logger,
            Self.area
        ) {
            return row
        }
        let current = try await get(id, logger: logger)
        throw StoreError.versionMismatch(current: current.version)
    }
}
