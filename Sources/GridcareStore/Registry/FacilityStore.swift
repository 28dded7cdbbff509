import Foundation
import GridcareCore
import Logging
import PostgresNIO

/// Health centres, stations and designated hospitals.
public struct FacilityStore: Sendable {
    let db: Database
    public init(_ db: Database) { self.db = db }

    public struct Draft: Sendable {
        public var kind: FacilityKind
        public var areaId: Int64
        public var centreId: Int64?
        public var name: String
        public var address: String?
        public var latitude: Double?
        public var longitude: Double?
        public var timeZone: String?
        public init(
            kind: FacilityKind,
            areaId: Int64,
            centreId: Int64?,
            name: String,
            address: String?,
            latitude: Double?,
            longitude: Double?,
            timeZone: String?
        ) {
            self.kind = kind
            self.areaId = areaId
            self.centreId = centreId
            self.name = name
            self.address = address
            self.latitude = latitude
            self.longitude = longitude
            self.timeZone = timeZone
        }
    }

    static let columns = "id, kind::text, district_id, area_id, centre_id, name, address, latitude, longitude, time_zone, version"
    static func facility(_ c: Columns) throws -> Facility {
        Facility(
            id: try c("id"),
            kind: FacilityKind(rawValue: try c("kind"))!,
            districtId: try c("district_id"),
            areaId: try c("area_id"),
            centreId: try c("centre_id"),
            name: try c("name"),
            address: try c("address"),
            latitude: try c("latitude"),
            longitude: try c("longitude"),
            timeZone: try c("time_zone"),
            version: try c("version")
        )
    }

    public func create(_ d: Draft, logger: Logger) async throws -> Facility {
        var c = FieldChecker()
        c.text(d.name, "name", max: 200)
        c.text(d.address, "address", max: 300, required: false)
        c.coordinate(latitude: d.latitude, longitude: d.longitude)
        c.require(
            (d.kind == .station) == (d.centreId != nil),
            "centreId",
            d.kind == .station ? "is required for a station" : "is only for stations"
        )
        if let tz = d.timeZone { c.require(TimeZone(identifier: tz) != nil, "timeZone", "is not an IANA time zone") }
        try c.finish()
        if let centre = d.centreId {
            let ok = try await !db.query(
                """
                SELECT 1 FROM facility f JOIN area a ON a.id = \(d.areaId)
                WHERE f.id = \(centre) AND f.kind = 'health_centre' AND f.district_id = a.district_id
                """,
                logger: logger
            ).isEmpty
            guard ok else { throw ValidationFailure([FieldError("centreId", "is not a health centre of the same district")]) }
        }
        if let row = try await db.first(
            """
            INSERT INTO facility (kind, district_id, area_id, centre_id, name, address, latitude, longitude, time_zone)
            SELECT \(d.kind.rawValue)::facility_kind, a.district_id, a.id, \(d.centreId), \(d.name.trimmed), \(d.address),
                   \(d.latitude), \(d.longitude), coalesce(\(d.timeZone), 'Asia/Shanghai')
            FROM area a WHERE a.id = \(d.areaId)
            RETURNING \(unescaped: Self.columns)
            """,
            logger: logger,
            Self.facility
        ) {
            return row
        }
        throw ValidationFailure([FieldError("areaId", "no such area")])
    }

    public func get(_ id: Int64, logger: Logger) async throws -> Facility {
        try await db.first("SELECT \(unescaped: Self.columns) FROM facility WHERE id = \(id)", logger: logger, Self.facility).orThrow(
            StoreError.notFound("facility")
        )
    }

    public func list(kind: FacilityKind?, districtId: Int64?, centreId: Int64?, page: PageRequest, logger: Logger) async throws -> Page<Facility> {
        let rows = try await db.rows(
            """
            SELECT \(unescaped: Self.columns) FROM facility
            WHERE id > \(page.afterId)
              AND (\(kind?.rawValue)::facility_kind IS NULL OR kind = \(kind?.rawValue)::facility_kind)
              AND (\(districtId)::bigint IS NULL OR district_id = \(districtId))
              AND (\(centreId)::bigint IS NULL OR centre_id = \(centreId))
            ORDER BY id LIMIT \(page.fetch)
            """,
            logger: logger,
            Self.facility
        )
        return page.page(rows, id: \.id)
    }

    public func update(
        _ id: Int64,
        name: String?,
        address: String?,
        latitude: Double?,
        longitude: Double?,
        ifVersion: Int?,
        logger: Logger
    ) async throws -> Facility {
        var c = FieldChecker()
        if let name { c.text(name, "name", max: 200) }
        c.text(address, "address", max: 300, required: false)
        c.coordinate(latitude: latitude, longitude: longitude)
        try c.finish()
        if let row = try await db.first(
            """
            UPDATE facility SET name = coalesce(\(name?.trimmed), name), address = coalesce(\(address), address),
                   latitude = coalesce(\(latitude), latitude), longitude = coalesce(\(longitude), longitude),
                   version = version + 1, updated_at = now()
            WHERE id = \(id) AND (\(ifVersion)::int IS NULL OR version = \(ifVersion))
            RETURNING \(unescaped: Self.columns)
            """,
            logger: logger,
            Self.facility
        ) {
            return row
        }
        throw StoreError.versionMismatch(current: try await get(id, logger: logger).version)
    }
}
