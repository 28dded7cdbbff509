import Foundation
import GridcareCore
import GridcareRouting
import Logging
import PostgresNIO
import Synchronization

/// One micro-grid's answer to the 3-hour rule, with the forces it was checked with.
public struct MicroGridMobilisation: Sendable, Equatable {
    public var microGridId: Int64, name: String, gridName: String
    public var forces: MobilisationForces
    public var result: MobilisationResult
}

/// 微网实格's 3-hour mobilisation check for every micro-grid of a district: can its forces reach every
/// household within the limit? Households are read in one ordered pass; each micro-grid is checked by
/// GridcareRouting.Mobilisation (one tour, split optimally among its people), over all cores.
public struct MobilisationStore: Sendable {
    let db: Database
    var audit: AuditLog { AuditLog(db) }
    public init(_ db: Database) { self.db = db }

    /// Every micro-grid of the district (its people are its `MobilisationForces`), failing ones first, then by id.
    public func check(districtId: Int64, rule: MobilisationRule, logger: Logger) async throws -> [MicroGridMobilisation] {
        struct Grid: Sendable {
            var id: Int64, name: String, gridName: String, forces: [WorkerRole: Int] = [:], lat: [Double] = [], lon: [Double] = []
        }
        // Centre staff check the micro-grids they see (their households are all they may read).
        let gridScope = db.scope?.microGridIds
        let roles = MobilisationForces.roles.map(\.rawValue)
        let grids: [Grid] = try await db.transaction(logger: logger) { conn in
            var grids: [Grid] = []
            let heads = try await conn.rows(
                """
                SELECT m.id, m.name, g.name
                FROM area m JOIN area g ON g.id = m.parent_id
                WHERE m.district_id = \(districtId) AND m.level = 'micro_grid' AND (\(gridScope)::bigint[] IS NULL OR m.id = ANY(\(gridScope)))
                ORDER BY m.id
                """,
                as: (Int64, String, String).self,
                logger: logger
            )
            var index: [Int64: Int] = [:]
            for h in heads {
                index[h.0] = grids.count
                grids.append(Grid(id: h.0, name: h.1, gridName: h.2))
            }
            let forces = try await conn.rows(
                """
                SELECT area_id, role::text, count(*)::int FROM worker
                WHERE district_id = \(districtId) AND active AND area_id IS NOT NULL AND role::text = ANY(\(roles))
                GROUP BY area_id, role
                """,
                as: (Int64, String, Int).self,
                logger: logger
            )
            for (area, role, n) in forces {
                guard let i = index[area], let role = WorkerRole(rawValue: role) else { continue }
                grids[i].forces[role] = n
            }
            let rows = try await conn.query(
                """
                SELECT micro_grid_id, latitude, longitude FROM household WHERE district_id = \(districtId) ORDER BY micro_grid_id, id
                """,
                logger: logger
            )
            for try await (grid, lat, lon) in rows.decode((Int64, Double, Double).self) {
                guard let i = index[grid] else { continue }
                grids[i].lat.append(lat)
                grids[i].lon.append(lon)
            }
            try await audit.record(.read, detail: "mobilisation check district \(districtId)", on: conn, logger: logger)
            return grids
        }
        // Every core, off the cooperative pool (a city is 119,000 micro-grids of work); a cancelled request
        // stops checking at the next micro-grid.
        let results = await offThePool { stop in
            let lanes = max(1, ProcessInfo.processInfo.activeProcessorCount)
            let chunk = (grids.count + lanes - 1) / lanes
            let parts = Mutex<[[MicroGridMobilisation]]>(Array(repeating: [], count: lanes))
            DispatchQueue.concurrentPerform(iterations: lanes) { lane in
                let slice = grids[min(grids.count, lane * chunk)..<min(grids.count, (lane + 1) * chunk)]
                let done = Array(
                    slice.lazy.prefix(while: { _ in !stop.isRaised }).map { g in
                        let forces = MobilisationForces(g.forces)
                        return MicroGridMobilisation(
                            microGridId: g.id,
                            name: g.name,
                            gridName: g.gridName,
                            forces: forces,
                            result: Mobilisation.check(latitudes: g.lat, longitudes: g.lon, workers: forces.total, rule: rule)
                        )
                    }
                )
                parts.withLock { $0[lane] = done }
            }
            return parts.withLock { $0.flatMap { $0 } }
        }
        try Task.checkCancellation()
        return results.sorted { ($0.result.meets ? 1 : 0, $0.microGridId) < ($1.result.meets ? 1 : 0, $1.microGridId) }
    }
}
