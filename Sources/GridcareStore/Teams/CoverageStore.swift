import Foundation
import GridcareCore
import Logging
import PostgresNIO

/// Reads what the coverage report needs; the judgement itself is GridcareCore's.
public struct CoverageStore: Sendable {
    let db: Database
    public init(_ db: Database) { self.db = db }

    public func report(districtId: Int64?, rules: CoverageRules, logger: Logger) async throws -> CoverageReport {
        // One connection for both reads, so a scoped caller sets its scope once.
        let (grids, teamRows) = try await db.read(logger: logger) { conn in
            let grids = try await conn.rows(
                """
                SELECT m.id, m.name, g.name, (SELECT count(*) FROM household h WHERE h.micro_grid_id = m.id)::int, c.team_id
                FROM area m JOIN area g ON g.id = m.parent_id
                LEFT JOIN care_team_catchment c ON c.micro_grid_id = m.id
                WHERE m.level = 'micro_grid' AND (\(districtId)::bigint IS NULL OR m.district_id = \(districtId))
                ORDER BY m.id
                """,
                as: (Int64, String, String, Int, Int64?).self,
                logger: logger
            )
            let teamRows = try await conn.rows(
                """
                SELECT t.id, t.name, coalesce(array_agg(m.worker_id ORDER BY m.worker_id) FILTER (WHERE m.worker_id IS NOT NULL), '{}') AS member_ids,
                       coalesce(array_agg(m.team_role::text ORDER BY m.worker_id) FILTER (WHERE m.worker_id IS NOT NULL), '{}') AS team_roles,
                       coalesce(array_agg(w.role::text ORDER BY m.worker_id) FILTER (WHERE m.worker_id IS NOT NULL), '{}') AS worker_roles,
                       coalesce(array_agg(w.active ORDER BY m.worker_id) FILTER (WHERE m.worker_id IS NOT NULL), '{}') AS member_active
                FROM care_team t
                LEFT JOIN care_team_member m ON m.team_id = t.id
                LEFT JOIN worker w ON w.id = m.worker_id
                WHERE (\(districtId)::bigint IS NULL OR t.district_id = \(districtId))
                GROUP BY t.id, t.name ORDER BY t.id
                """,
                logger: logger
            ) { c in (id: try c("id", Int64.self), name: try c("name", String.self), seats: try teamSeats(c)) }
            return (grids, teamRows)
        }
        return CoverageReport.build(
            microGrids: grids.map { (line: .init(microGridId: $0.0, name: $0.1, gridName: $0.2, households: $0.3), teamId: $0.4) },
            teams: teamRows,
            rules: rules
        )
    }
}
