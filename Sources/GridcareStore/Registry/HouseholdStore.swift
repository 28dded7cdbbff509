import Foundation
import GridcareCore
import Logging
import PostgresNIO

/// Households: an address and a location in one micro-grid, with a printable code token.
public struct HouseholdStore: Sendable {
    let db: Database
    var audit: AuditLog { AuditLog(db) }
    public init(_ db: Database) { self.db = db }

    static let columns = "id, district_id, micro_grid_id, external_ref, address, latitude, longitude, code_token, version"
    static func household(_ c: Columns) throws -> Household {
        Household(
            id: try c("id"),
            districtId: try c("district_id"),
            microGridId: try c("micro_grid_id"),
            externalRef: try c("external_ref"),
            address: try c("address"),
            latitude: try c("latitude"),
            longitude: try c("longitude"),
            codeToken: try c("code_token"),
            version: try c("version")
        )
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
        return try await db.audited(logger: logger) { conn in
            guard
                let row = try await conn.first(
                    """
                    INSERT INTO household (district_id, micro_grid_id, external_ref, address, latitude, longitude, code_token)
                    SELECT a.district_id, a.id, \(d.externalRef), \(d.address.trimmed), \(d.latitude), \(d.longitude), \(Self.newCodeToken())
                    FROM area a WHERE a.id = \(d.microGridId) AND a.level = 'micro_grid'
                      AND (\(gridScope)::bigint[] IS NULL OR a.id = ANY(\(gridScope)))
                    RETURNING \(unescaped: Self.columns)
                    """,
                    logger: logger,
                    Self.household
                )
            else {
                return try await refuse(
                    ValidationFailure([FieldError("microGridId", "no such micro-grid")]),
                    .create,
                    nil,
                    outcome: .denied,
                    detail: "micro-grid \(d.microGridId)",
                    on: conn,
                    logger: logger
                )
            }
            try await audit.record(.create, households: [row.id], on: conn, logger: logger)
            return .done(row)
        }
    }

    public func get(_ id: Int64, logger: Logger) async throws -> Household {
        try await read(id, "household \(id)", logger: logger) {
            try await $0.first("SELECT \(unescaped: Self.columns) FROM household WHERE id = \(id)", logger: logger, Self.household)
        }
    }

    /// The household a scanned QR code names.
    public func byCode(_ token: String, logger: Logger) async throws -> Household {
        try await read(nil, "household code", logger: logger) {
            try await $0.first("SELECT \(unescaped: Self.columns) FROM household WHERE code_token = \(token)", logger: logger, Self.household)
        }
    }

    /// Audits a refused attempt on a household and hands the refusal back for `Database.audited` to throw.
    func refuse<T: Sendable>(
        _ error: any Error,
        _ action: AuditAction,
        _ household: Int64?,
        outcome: AuditOutcome = .refused,
        detail: String? = nil,
        on conn: PostgresConnection,
        logger: Logger
    ) async throws -> Refusable<T> {
        try await audit.record(action, households: household.map { [$0] } ?? [], outcome: outcome, detail: detail, on: conn, logger: logger)
        return .refused(error)
    }

    /// One household, audited as read, or as denied when it is missing or out of sight (one answer for both).
    func read(_ id: Int64?, _ what: String, logger: Logger, _ find: (PostgresConnection) async throws -> Household?) async throws -> Household {
        try await db.audited(logger: logger) { conn in
            guard let row = try await find(conn) else {
                return try await refuse(StoreError.notFound("household"), .read, id, outcome: .denied, detail: what, on: conn, logger: logger)
            }
            try await audit.record(.read, households: [row.id], on: conn, logger: logger)
            return .done(row)
        }
    }

    /// Households the caller sees, narrowed by area, by a part of the address (`addressContains`) or to
    /// the households `ids` names.
    public func list(
        microGridId: Int64?,
        gridId: Int64?,
        districtId: Int64?,
        addressContains: String? = nil,
        ids: [Int64]? = nil,
        page: PageRequest,
        logger: Logger
    ) async throws -> Page<Household> {
        // The caller's scope, repeated here as an indexable first wall; row-level security is the second.
        let districtScope = db.scope?.districtId
        let gridScope = db.scope?.microGridIds
        return try await db.transaction(logger: logger) { conn in
            let rows = try await conn.rows(
                """
                SELECT \(unescaped: Self.columns) FROM household h
                WHERE h.id > \(page.afterId)
                  AND (\(microGridId)::bigint IS NULL OR h.micro_grid_id = \(microGridId))
                  AND (\(gridId)::bigint IS NULL OR h.micro_grid_id IN (SELECT id FROM area WHERE parent_id = \(gridId)))
                  AND (\(districtId)::bigint IS NULL OR h.district_id = \(districtId))
                  AND (\(districtScope)::bigint IS NULL OR h.district_id = \(districtScope))
                  AND (\(gridScope)::bigint[] IS NULL OR h.micro_grid_id = ANY(\(gridScope)))
                  AND (\(addressContains)::text IS NULL OR h.address LIKE '%' || \(addressContains.map(likePrefix)) || '%')
                  AND (\(ids)::bigint[] IS NULL OR h.id = ANY(\(ids)))
                ORDER BY h.id LIMIT \(page.fetch)
                """,
                logger: logger,
                Self.household
            )
            let result = page.page(rows, id: \.id)
            try await audit.record(
                .search,
                households: result.items.map(\.id),
                detail: result.items.isEmpty ? "no results" : nil,
                on: conn,
                logger: logger
            )
            return result
        }
    }

    public func update(
        _ id: Int64,
        address: String?,
        latitude: Double?,
        longitude: Double?,
        microGridId: Int64?,
        ifVersion: Int?,
        logger: Logger
    ) async throws -> Household {
        var c = FieldChecker()
        c.text(address, "address", max: 300, required: false)
        c.coordinate(latitude: latitude, longitude: longitude)
        try c.finish()
        return try await db.audited(logger: logger) { conn in
            if let microGridId {
                // A household moves only within its district: district_id is the sharding key.
                let gridScope = db.scope?.microGridIds
                let ok =
                    try await conn.first(
                        """
                        SELECT 1 FROM area a JOIN household h ON h.id = \(id)
                        WHERE a.id = \(microGridId) AND a.level = 'micro_grid' AND a.district_id = h.district_id
                          AND (\(gridScope)::bigint[] IS NULL OR a.id = ANY(\(gridScope)))
                        """,
                        as: Int.self,
                        logger: logger
                    ) != nil
                if !ok {
                    let visible = try await conn.first("SELECT 1 FROM household WHERE id = \(id)", as: Int.self, logger: logger) != nil
                    let error: any Error =
                        visible
                        ? ValidationFailure([FieldError("microGridId", "is not a micro-grid of the household's district")])
                        : StoreError.notFound("household")
                    return try await refuse(error, .update, id, outcome: visible ? .refused : .denied, on: conn, logger: logger)
                }
            }
            if let row = try await conn.first(
                """
                UPDATE household SET address = coalesce(\(address?.trimmed), address), latitude = coalesce(\(latitude), latitude),
                       longitude = coalesce(\(longitude), longitude), micro_grid_id = coalesce(\(microGridId), micro_grid_id),
                       version = version + 1, updated_at = now()
                WHERE id = \(id) AND (\(ifVersion)::int IS NULL OR version = \(ifVersion))
                RETURNING \(unescaped: Self.columns)
                """,
                logger: logger,
                Self.household
            ) {
                try await audit.record(.update, households: [id], on: conn, logger: logger)
                return .done(row)
            }
            guard let current = try await conn.first("SELECT version FROM household WHERE id = \(id)", as: Int.self, logger: logger) else {
                return try await refuse(StoreError.notFound("household"), .update, id, outcome: .denied, on: conn, logger: logger)
            }
            return try await refuse(StoreError.versionMismatch(current: current), .update, id, detail: "stale version", on: conn, logger: logger)
        }
    }
}
