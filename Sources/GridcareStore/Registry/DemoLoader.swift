import Foundation
import GridcareCore
import Logging
import PostgresNIO

/// Writes a generated demo district in one transaction with COPY.
public struct DemoLoader: Sendable {
    let db: Database
    public init(_ db: Database) { self.db = db }

    public struct Summary: Sendable {
        public var districtId: Int64
        public var areas: Int, facilities: Int, workers: Int, teams: Int, households: Int, residents: Int, contracts: Int
    }

    public func load(_ demo: DemoDistrict, logger: Logger) async throws -> Summary {
        try await db.transaction(logger: logger) { conn in
            let exists = try await conn.query("SELECT 1 FROM area WHERE level = 'district' AND name = \(demo.name)", logger: logger).collect()
            guard exists.isEmpty else { throw DemoError.alreadyLoaded(demo.name) }
            let areaIds = try await conn.reserveIds(table: "area", count: demo.areas.count, logger: logger)
            let districtId = areaIds[0]
            // Parents come before children in the generated list, so one COPY satisfies the foreign keys.
            try await conn.copyRows(
                table: "area",
                columns: ["id", "level", "parent_id", "district_id", "name", "institution"],
                count: demo.areas.count,
                logger: logger
            ) { i, line in
                let a = demo.areas[i]
                line.add(areaIds[i])
                line.add(a.level.rawValue)
                line.add(a.parent.map { areaIds[$0] })
                line.add(districtId)
                line.add(a.name)
                line.add(a.institution)
            }
            let facilityIds = try await conn.reserveIds(table: "facility", count: demo.facilities.count, logger: logger)
            try await conn.copyRows(
                table: "facility",
                columns: ["id", "kind", "district_id", "area_id", "centre_id", "name", "latitude", "longitude"],
                count: demo.facilities.count,
                logger: logger
            ) { i, line in
                let f = demo.facilities[i]
                line.add(facilityIds[i])
                line.add(f.kind.rawValue)
                line.add(districtId)
                line.add(areaIds[f.area])
                line.add(f.centre.map { facilityIds[$0] })
                line.add(f.name)
                line.add(f.latitude)
                line.add(f.longitude)
            }
            let workerIds = try await conn.reserveIds(table: "worker", count: demo.workers.count, logger: logger)
            try await conn.copyRows(
                table: "worker",
                columns: ["id", "district_id", "role", "name", "phone", "centre_id", "hospital_id", "area_id"],
                count: demo.workers.count,
                logger: logger
            ) { i, line in
                let w = demo.workers[i]
                line.add(workerIds[i])
                line.add(districtId)
                line.add(w.role.rawValue)
                line.add(w.name)
                line.add(w.phone)
                line.add(w.centre.map { facilityIds[$0] })
                line.add(w.hospital.map { facilityIds[$0] })
                line.add(w.area.map { areaIds[$0] })
            }
            let teamIds = try await conn.reserveIds(table: "care_team", count: demo.teams.count, logger: logger)
            try await conn.copyRows(
                table: "care_team",
                columns: ["id", "district_id", "centre_id", "name"],
                count: demo.teams.count,
                logger: logger
            ) { i, line in
                let t = demo.teams[i]
                line.add(teamIds[i])
                line.add(districtId)
                line.add(facilityIds[t.centre])
                line.add(t.name)
            }
            let seats = demo.teams.enumerated().flatMap { t, team in team.members.map { (t, $0.worker, $0.role) } }
            try await conn.copyRows(
                table: "care_team_member",
                columns: ["team_id", "worker_id", "team_role"],
                count: seats.count,
                logger: logger
            ) { i, line in
                line.add(teamIds[seats[i].0])
                line.add(workerIds[seats[i].1])
                line.add(seats[i].2.rawValue)
            }
            let catchment = demo.teams.enumerated().flatMap { t, team in team.microGrids.map { (t, $0) } }
            try await conn.copyRows(
                table: "care_team_catchment",
                columns: ["micro_grid_id", "district_id", "team_id"],
                count: catchment.count,
                logger: logger
            ) { i, line in
                line.add(areaIds[catchment[i].1])
                line.add(districtId)
                line.add(teamIds[catchment[i].0])
            }
            // Foreign-key checks plan their lookups from table statistics; a fresh database thinks these tables
            // are empty and checks every household against a sequential scan of areas (77 s instead of 5 s).
            try await conn.query("ANALYZE area, facility, worker, care_team, care_team_catchment", logger: logger)
            let householdIds = try await conn.reserveIds(table: "household", count: demo.households.count, logger: logger)
            try await conn.copyRows(
                table: "household",
                columns: ["id", "district_id", "micro_grid_id", "external_ref", "address", "latitude", "longitude", "code_token"],
                count: demo.households.count,
                logger: logger
            ) { i, line in
                let h = demo.households[i]
                line.add(householdIds[i])
                line.add(districtId)
                line.add(areaIds[h.microGrid])
                line.add(h.ref)
                line.add(h.address)
                line.add(h.latitude)
                line.add(h.longitude)
                line.add(h.token)
            }
            try await conn.query("ANALYZE household", logger: logger)
            let residentIds = try await conn.reserveIds(table: "resident", count: demo.residents.count, logger: logger)
            try await conn.copyRows(
                table: "resident",
                columns: [
                    "id", "district_id", "household_id", "micro_grid_id", "name", "sex", "birth_date", "id_number_sealed", "id_number_index", "phone",
                    "conditions", "circumstances",
                ],
                count: demo.residents.count,
                logger: logger
            ) { i, line in
                let r = demo.residents[i]
                line.add(residentIds[i])
                line.add(districtId)
                line.add(householdIds[r.household])
                line.add(areaIds[demo.households[r.household].microGrid])
                line.add(r.name)
                let number = try! IDCardNumber(r.idNumber)
                line.add(r.sex.rawValue)
                line.add(r.birthDate.iso)
                line.add(bytes: db.vault.seal(number))
                line.add(bytes: db.vault.blindIndex(number))
                line.add(r.phone)
                line.add(array: r.conditions.map(\.rawValue))
                line.add(array: r.circumstances.map(\.rawValue))
            }
            try await conn.query("ANALYZE resident", logger: logger)
            try await conn.copyRows(
                table: "contract",
                columns: ["district_id", "resident_id", "micro_grid_id", "team_id", "starts_on", "term_ends_on"],
                count: demo.contracts.count,
                logger: logger
            ) { i, line in
                let c = demo.contracts[i]
                line.add(districtId)
                line.add(residentIds[c.resident])
                line.add(areaIds[demo.households[demo.residents[c.resident].household].microGrid])
                line.add(teamIds[c.team])
                line.add(c.startsOn.iso)
                line.add(c.startsOn.adding(years: 1).iso)
            }
            try await conn.query("ANALYZE", logger: logger)
            return Summary(
                districtId: districtId,
                areas: demo.areas.count,
                facilities: demo.facilities.count,
                workers: demo.workers.count,
                teams: demo.teams.count,
                households: demo.households.count,
                residents: demo.residents.count,
                contracts: demo.contracts.count
            )
        }
    }
}

public enum DemoError: Error, CustomStringConvertible {
    case alreadyLoaded(String)
    public var description: String {
        switch self {
        case .alreadyLoaded(let name): "district \"\(name)\" is already loaded; choose another --seed"
        }
    }
}
