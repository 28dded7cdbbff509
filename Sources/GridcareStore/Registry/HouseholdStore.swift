import Foundation
import GridcareCore
import Logging
import PostgresNIO

/// Households: an address and a location in one micro-grid, with a printable code token.
public struct HouseholdStore: Sendable {
    let db: Database
    public init(_ db: Database) { self.db = db }

    typealias Row = (Int64, Int64, Int64, String?, String, Double, Double, String, Int)
    static let columns = "id, district_id, micro_grid_id, external_ref, address, latitude, longitude, code_token, version"
    static func household(_ r: Row) -> Household {
        Household(id: r.0, districtId: r.1, microGridId: r.2, externalRef: r.3, address: r.4, latitude: r.5,
                  longitude: r.6, codeToken: r.7, version: r.8)
    }

    /// A random token for the household's QR code: 16 characters without look-alikes (0/O, 1/I/L).
    /// Two 64-bit draws from the system's secure generator give the 16 characters (about 78 bits).
    public static func newCodeToken() -> String {
        var rng = SystemRandomNumberGenerator()
        var words = [rng.next(), rng.next()]
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<16 {
            let w = i % 2
            bytes[i] = tokenAlphabet[Int(words[w] % UInt64(tokenAlphabet.count))]
            words[w] /= UInt64(tokenAlphabet.count)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static let tokenAlphabet = Array("ABCDEFGHJKMNPQRSTVWXYZ23456789".utf8)

    public func create(_ d: HouseholdDraft, logger: Logger) async throws -> Household {
        try d.validate()
        // A micro-grid outside the caller's scope is, to them, no micro-grid at all.
        let gridScope = db.scope?.microGridIds
        if let row = try await db.first("""
            INSERT INTO household (district_id, micro_grid_id, external_ref, address, latitude, longitude, code_token)
            SELECT a.district_id, a.id, \(d.externalRef), \(d.address.trimmed), \(d.latitude), \(d.longitude), \(Self.newCodeToken())
            FROM area a WHERE a.id = \(d.microGridId) AND a.level = 'micro_grid'
              AND (\(gridScope)::bigint[] IS NULL OR a.id = ANY(\(gridScope)))
            RETURNING \(unescaped: Self.columns)
            """, as: Row.self, logger: logger) {
            return Self.household(row)
        }
        throw ValidationFailure([FieldError("microGridId", "no such micro-grid")])
    }

    public func get(_ id: Int64, logger: Logger) async throws -> Household {
        try await db.first("SELECT \(unescaped: Self.columns) FROM household WHERE id = \(id)", as: Row.self, logger: logger)
            .map(Self.household).orThrow(StoreError.notFound("household"))
    }

    /// The household a scanned QR code names.
    public func byCode(_ token: String, logger: Logger) async throws -> Household {
        try await db.first("SELECT \(unescaped: Self.columns) FROM household WHERE code_token = \(token)", as: Row.self, logger: logger)
            .map(Self.household).orThrow(StoreError.notFound("household"))
    }

    public func list(microGridId: Int64?, gridId: Int64?, districtId: Int64?, page: PageRequest, logger: Logger) async throws -> Page<Household> {
        // The caller's scope, repeated here as an indexable first wall; row-level security is the second.
        let districtScope = db.scope?.districtId
        let gridScope = db.scope?.microGridIds
        let rows = try await db.rows("""
            SELECT \(unescaped: Self.columns) FROM household h
            WHERE h.id > \(page.afterId)
              AND (\(microGridId)::bigint IS NULL OR h.micro_grid_id = \(microGridId))
              AND (\(gridId)::bigint IS NULL OR h.micro_grid_id IN (SELECT id FROM area WHERE parent_id = \(gridId)))
              AND (\(districtId)::bigint IS NULL OR h.district_id = \(districtId))
              AND (\(districtScope)::bigint IS NULL OR h.district_id = \(districtScope))
              AND (\(gridScope)::bigint[] IS NULL OR h.micro_grid_id = ANY(\(gridScope)))
            ORDER BY h.id LIMIT \(page.fetch)
            """, as: Row.self, logger: logger)
        return page.page(rows.map(Self.household), id: \.id)
    }

    public func update(_ id: Int64, address: String?, latitude: Double?, longitude: Double?, microGridId: Int64?,
                       ifVersion: Int?, logger: Logger) async throws -> Household {
        var c = FieldChecker()
        c.text(address, "address", max: 300, required: false)
        c.coordinate(latitude: latitude, longitude: longitude)
        try c.finish()
        if let microGridId {
            // A household moves only within its district: district_id is the sharding key.
            let gridScope = db.scope?.microGridIds
            let ok = try await !db.query("""
                SELECT 1 FROM area a JOIN household h ON h.id = \(id)
                WHERE a.id = \(microGridId) AND a.level = 'micro_grid' AND a.district_id = h.district_id
                  AND (\(gridScope)::bigint[] IS NULL OR a.id = ANY(\(gridScope)))
                """, logger: logger).isEmpty
            if !ok {
                _ = try await get(id, logger: logger)
                throw ValidationFailure([FieldError("microGridId", "is not a micro-grid of the household's district")])
            }
        }
        if let row = try await db.first("""
            UPDATE household SET address = coalesce(\(address?.trimmed), address), latitude = coalesce(\(latitude), latitude),
                   longitude = coalesce(\(longitude), longitude), micro_grid_id = coalesce(\(microGridId), micro_grid_id),
                   version = version + 1, updated_at = now()
            WHERE id = \(id) AND (\(ifVersion)::int IS NULL OR version = \(ifVersion))
            RETURNING \(unescaped: Self.columns)
            """, as: Row.self, logger: logger) {
            return Self.household(row)
        }
        throw StoreError.versionMismatch(current: try await get(id, logger: logger).version)
    }
}

