import Foundation
import GridcareCore
import Logging
import PostgresNIO

/// The resource types of the FHIR bulk export, in the order its manifest lists them.
public enum FHIRExportType: String, Sendable, CaseIterable {
    case patient = "Patient", careTeam = "CareTeam", flag = "Flag", observation = "Observation", encounter = "Encounter"
}

/// What one exported record holds: the fields its FHIR resource is built from (GridcareServer's FHIR
/// builders own the mapping). A resident appears with the masked identity number only.
public enum FHIRExportRecord: Sendable {
    case patient(
        id: Int64,
        name: String,
        sex: Sex,
        birthYear: Int,
        idNumberMasked: String,
        phone: String?,
        address: String,
        teamId: Int64?,
        updatedAt: Date
    )
    case careTeam(
        id: Int64,
        name: String,
        centreId: Int64,
        centreName: String,
        members: [(workerId: Int64, name: String, role: String)],
        updatedAt: Date
    )
    case flag(
        id: Int64,
        residentId: Int64,
        category: String,
        tier: String,
        population: String,
        status: String,
        raisedAt: Date,
        endedAt: Date?,
        note: String?
    )
    case observation(id: Int64, residentId: Int64, measuredAt: Date, recordedAt: Date, vitals: Vitals)
    case encounter(id: Int64, residentId: Int64, kind: String, visit: String?, performedAt: Date, recordedAt: Date)
}

/// Reads a district's (or one team's catchment's) records for the bulk export, one type at a time, in
/// id order and batches, changed in (since, until]. Row-level security decides what the caller reaches;
/// every resident whose record leaves is audited in the same transaction as the read.
public struct FHIRExportStore: Sendable {
    let db: Database
    public init(_ db: Database) { self.db = db }

    static let batchSize = 1000

    /// Hands each batch to `emit` (which may wait for the client to take it) until the type is done, and
    /// returns how many records left.
    @discardableResult
    public func export(
        _ type: FHIRExportType,
        districtId: Int64,
        teamId: Int64?,
        since: Date?,
        until: Date,
        logger: Logger,
        emit: ([FHIRExportRecord]) async throws -> Void
    ) async throws -> Int {
        try await db.transaction(logger: logger) { conn in
            if let teamId {
                // A team out of sight is a missing one, before anything is read.
                guard
                    try await conn.first("SELECT 1 FROM care_team WHERE id = \(teamId) AND district_id = \(districtId)", as: Int.self, logger: logger)
                        != nil
                else { throw StoreError.notFound("care team") }
            }
            var after: Int64 = 0
            var total = 0
            while true {
                let (records, last, residents) = try await batch(
                    type,
                    districtId: districtId,
                    teamId: teamId,
                    since: since,
                    until: until,
                    after: after,
                    conn: conn,
                    logger: logger
                )
                if !residents.isEmpty {
                    try await AuditLog(db).record(
                        .read,
                        residents: Array(Set(residents)).sorted(),
                        detail: "fhir export \(type.rawValue)",
                        on: conn,
                        logger: logger
                    )
                }
                if !records.isEmpty { try await emit(records) }
                total += records.count
                guard records.count == Self.batchSize, let last else { break }
                after = last
            }
            return total
        }
    }

    /// One batch: the records, the last id, and the residents it names.
    func batch(
        _ type: FHIRExportType,
        districtId: Int64,
        teamId: Int64?,
        since: Date?,
        until: Date,
        after: Int64,
        conn: PostgresConnection,
        logger: Logger
    ) async throws -> ([FHIRExportRecord], Int64?, [Int64]) {
        let n = Self.batchSize
        // The team's catchment, as a filter on a row's micro-grid (nil: the whole district).
        let grids: [Int64]? =
            if let teamId {
                try await conn.rows("SELECT micro_grid_id FROM care_team_catchment WHERE team_id = \(teamId)", as: Int64.self, logger: logger)
            } else { nil }
        switch type {
        case .patient:
            let rows = try await conn.rows(
                """
                SELECT r.id, r.name, r.sex::text, extract(year FROM r.birth_date)::int, r.id_number_sealed, r.phone, h.address, c.team_id, r.updated_at
                FROM resident r JOIN household h ON h.id = r.household_id LEFT JOIN care_team_catchment c ON c.micro_grid_id = r.micro_grid_id
                WHERE r.district_id = \(districtId) AND r.id > \(after) AND r.registration = 'active'
                  AND (\(grids)::bigint[] IS NULL OR r.micro_grid_id = ANY(\(grids)))
                  AND (\(since)::timestamptz IS NULL OR r.updated_at > \(since)) AND r.updated_at <= \(until)
                ORDER BY r.id LIMIT \(n)
                """,
                as: (Int64, String, String, Int, Data, String?, String, Int64?, Date).self,
                logger: logger
            )
            let records = try rows.map { r in
                FHIRExportRecord.patient(
                    id: r.0,
                    name: r.1,
                    sex: Sex(rawValue: r.2) ?? .female,
                    birthYear: r.3,
                    idNumberMasked: try db.vault.open(r.4).masked,
                    phone: r.5,
                    address: r.6,
                    teamId: r.7,
                    updatedAt: r.8
                )
            }
            return (records, rows.last?.0, rows.map(\.0))
        case .careTeam:
            let rows = try await conn.rows(
                """
                SELECT t.id, t.name, t.centre_id, f.name, t.updated_at,
                       coalesce(array_agg(m.worker_id ORDER BY m.worker_id) FILTER (WHERE m.worker_id IS NOT NULL), '{}'),
                       coalesce(array_agg(w.name ORDER BY m.worker_id) FILTER (WHERE m.worker_id IS NOT NULL), '{}'),
                       coalesce(array_agg(m.team_role::text ORDER BY m.worker_id) FILTER (WHERE m.worker_id IS NOT NULL), '{}')
                FROM care_team t JOIN facility f ON f.id = t.centre_id
                LEFT JOIN care_team_member m ON m.team_id = t.id LEFT JOIN worker w ON w.id = m.worker_id
                WHERE t.district_id = \(districtId) AND t.id > \(after) AND (\(teamId)::bigint IS NULL OR t.id = \(teamId))
                  AND (\(since)::timestamptz IS NULL OR t.updated_at > \(since)) AND t.updated_at <= \(until)
                GROUP BY t.id, f.name ORDER BY t.id LIMIT \(n)
                """,
                as: (Int64, String, Int64, String, Date, [Int64], [String], [String]).self,
                logger: logger
            )
            let records = rows.map { r in
                FHIRExportRecord.careTeam(
                    id: r.0,
                    name: r.1,
                    centreId: r.2,
                    centreName: r.3,
                    members: zip(r.5, zip(r.6, r.7)).map { (workerId: $0.0, name: $0.1.0, role: $0.1.1) },
                    updatedAt: r.4
                )
            }
            return (records, rows.last?.0, [])
        case .flag:
            let rows = try await conn.rows(
                """
                SELECT f.id, f.resident_id, f.category::text, f.tier::text, f.population::text, f.status::text, f.raised_at,
                       coalesce(f.closed_at, CASE WHEN f.status = 'dismissed' THEN f.decided_at END), f.note
                FROM risk_flag f
                WHERE f.district_id = \(districtId) AND f.id > \(after) AND (\(grids)::bigint[] IS NULL OR f.micro_grid_id = ANY(\(grids)))
                  AND (\(since)::timestamptz IS NULL OR greatest(f.raised_at, f.decided_at, f.closed_at) > \(since))
                  AND greatest(f.raised_at, f.decided_at, f.closed_at) <= \(until)
                ORDER BY f.id LIMIT \(n)
                """,
                as: (Int64, Int64, String, String, String, String, Date, Date?, String?).self,
                logger: logger
            )
            let records = rows.map {
                FHIRExportRecord.flag(
                    id: $0.0,
                    residentId: $0.1,
                    category: $0.2,
                    tier: $0.3,
                    population: $0.4,
                    status: $0.5,
                    raisedAt: $0.6,
                    endedAt: $0.7,
                    note: $0.8
                )
            }
            return (records, rows.last?.0, rows.map(\.1))
        case .observation:
            let rows = try await conn.rows(
                """
                SELECT v.id, v.resident_id, v.measured_at, v.recorded_at, v.systolic, v.diastolic, v.glucose_fasting::float8, v.glucose_random::float8,
                       v.heart_rate, v.temperature::float8, v.spo2, v.weight::float8
                FROM vital_reading v
                WHERE v.district_id = \(districtId) AND v.id > \(after) AND (\(grids)::bigint[] IS NULL OR v.micro_grid_id = ANY(\(grids)))
                  AND (\(since)::timestamptz IS NULL OR v.recorded_at > \(since)) AND v.recorded_at <= \(until)
                ORDER BY v.id LIMIT \(n)
                """,
                as: (Int64, Int64, Date, Date, Int?, Int?, Double?, Double?, Int?, Double?, Int?, Double?).self,
                logger: logger
            )
            let records = rows.map { r in
                FHIRExportRecord.observation(
                    id: r.0,
                    residentId: r.1,
                    measuredAt: r.2,
                    recordedAt: r.3,
                    vitals: Vitals(
                        systolic: r.4,
                        diastolic: r.5,
                        glucoseFasting: r.6,
                        glucoseRandom: r.7,
                        heartRate: r.8,
                        temperature: r.9,
                        spo2: r.10,
                        weight: r.11
                    )
                )
            }
            return (records, rows.last?.0, rows.map(\.1))
        case .encounter:
            let rows = try await conn.rows(
                """
                SELECT s.id, s.resident_id, s.kind::text, s.visit::text, s.performed_at, s.recorded_at
                FROM service_entry s
                WHERE s.district_id = \(districtId) AND s.id > \(after) AND (\(grids)::bigint[] IS NULL OR s.micro_grid_id = ANY(\(grids)))
                  AND (\(since)::timestamptz IS NULL OR s.recorded_at > \(since)) AND s.recorded_at <= \(until)
                ORDER BY s.id LIMIT \(n)
                """,
                as: (Int64, Int64, String, String?, Date, Date).self,
                logger: logger
            )
            let records = rows.map {
                FHIRExportRecord.encounter(id: $0.0, residentId: $0.1, kind: $0.2, visit: $0.3, performedAt: $0.4, recordedAt: $0.5)
            }
            return (records, rows.last?.0, rows.map(\.1))
        }
    }
}
