import Foundation
import GridcareCore
import Logging
import PostgresNIO

/// 1+1+N care teams: members and a catchment of micro-grids.
public struct TeamStore: Sendable {
    let db: Database
    public init(_ db: Database) { self.db = db }

    public struct Member: Sendable, Equatable {
        public var workerId: Int64
        public var role: TeamRole
        public init(workerId: Int64, role: TeamRole) {
            self.workerId = workerId
            self.role = role
        }
    }

    /// A centre staff member manages the teams of their own health centre only (an administrator any):
    /// refused, as not theirs, for a team of another centre they can see.
    func checkManages(centreId: Int64, on conn: PostgresConnection, logger: Logger) async throws {
        guard let scope = db.scope, scope.role == .centreStaff else { return }
        let own = try await conn.first(
            "SELECT w.centre_id FROM app_user u JOIN worker w ON w.id = u.worker_id WHERE u.id = \(scope.userId)",
            as: Int64?.self,
            logger: logger
        )
        guard own == .some(centreId) else {
            throw StoreError.notAllowed("centre staff manage the teams of their own health centre")
        }
    }

    /// The centre of a team, locked for the change that follows; nil when there is no such team in sight.
    func lockedCentre(_ id: Int64, on conn: PostgresConnection, logger: Logger) async throws -> Int64? {
        try await conn.first("SELECT centre_id FROM care_team WHERE id = \(id) FOR UPDATE", as: Int64.self, logger: logger)
    }

    public func create(centreId: Int64, name: String, members: [Member], microGridIds: [Int64], logger: Logger) async throws -> CareTeam {
        var c = FieldChecker()
        c.text(name, "name", max: 200)
        c.require(Set(microGridIds).count == microGridIds.count, "microGridIds", "lists a micro-grid twice")
        try c.finish()
        let id = try await db.transaction(logger: logger) { conn in
            let centre = try await conn.query(
                """
                SELECT district_id FROM facility WHERE id = \(centreId) AND kind = 'health_centre'
                """,
                logger: logger
            ).decode(Int64.self).all()
            guard let districtId = centre.first else {
                throw ValidationFailure([FieldError("centreId", "is not a health centre")])
            }
            try await checkManages(centreId: centreId, on: conn, logger: logger)
            _ = try await seats(members, districtId: districtId, on: conn, logger: logger)
            let teamId = try await conn.query(
                """
                INSERT INTO care_team (district_id, centre_id, name) VALUES (\(districtId), \(centreId), \(name.trimmed))
                RETURNING id
                """,
                logger: logger
            ).decode(Int64.self).all()[0]
            try await insertMembers(teamId: teamId, members, on: conn, logger: logger)
            try await conn.query(
                """
                INSERT INTO care_team_catchment (micro_grid_id, district_id, team_id)
                SELECT unnest(\(microGridIds)::bigint[]), \(districtId), \(teamId)
                """,
                logger: logger
            )
            return teamId
        }
        return try await get(id, logger: logger)
    }

    /// Checks the members against the 1+1+N rule, reading their roles from the database.
    func seats(_ members: [Member], districtId: Int64, on conn: PostgresConnection, logger: Logger) async throws -> [TeamSeat] {
        let rows = try await conn.query(
            """
            SELECT id, role::text, active FROM worker WHERE id = ANY(\(members.map(\.workerId))) AND district_id = \(districtId)
            """,
            logger: logger
        ).decode((Int64, String, Bool).self).all()
        let known = Dictionary(uniqueKeysWithValues: rows.map { ($0.0, (WorkerRole(rawValue: $0.1)!, $0.2)) })
        var missing: [FieldError] = []
        var seats: [TeamSeat] = []
        for m in members {
            guard let (role, active) = known[m.workerId] else {
                missing.append(FieldError("members", "worker \(m.workerId) does not exist in the team's district"))
                continue
            }
            seats.append(TeamSeat(workerId: m.workerId, teamRole: m.role, workerRole: role, active: active))
        }
        try ValidationFailure.check(missing)
        try TeamComposition.validate(seats)
        return seats
    }

    func insertMembers(teamId: Int64, _ members: [Member], on conn: PostgresConnection, logger: Logger) async throws {
        try await conn.query(
            """
            INSERT INTO care_team_member (team_id, worker_id, team_role)
            SELECT \(teamId), w, r::team_role FROM unnest(\(members.map(\.workerId))::bigint[], \(members.map(\.role.rawValue))::text[]) AS m(w, r)
            """,
            logger: logger
        )
    }

    public func get(_ id: Int64, logger: Logger) async throws -> CareTeam {
        let page = try await list(ids: [id], districtId: nil, centreId: nil, page: PageRequest(cursor: nil, limit: 1), logger: logger)
        guard let team = page.items.first else { throw StoreError.notFound("care team") }
        return team
    }

    public func list(districtId: Int64?, centreId: Int64?, page: PageRequest, logger: Logger) async throws -> Page<CareTeam> {
        try await list(ids: nil, districtId: districtId, centreId: centreId, page: page, logger: logger)
    }

    func list(ids: [Int64]?, districtId: Int64?, centreId: Int64?, page: PageRequest, logger: Logger) async throws -> Page<CareTeam> {
        let rows = try await db.rows(
            """
            SELECT t.id, t.district_id, t.centre_id, t.name, t.version,
                   coalesce((SELECT array_agg(m.worker_id ORDER BY m.worker_id) FROM care_team_member m WHERE m.team_id = t.id), '{}') AS member_ids,
                   coalesce((SELECT array_agg(m.team_role::text ORDER BY m.worker_id) FROM care_team_member m WHERE m.team_id = t.id), '{}') AS team_roles,
                   coalesce((SELECT array_agg(w.role::text ORDER BY m.worker_id) FROM care_team_member m JOIN worker w ON w.id = m.worker_id WHERE m.team_id = t.id), '{}')
                     AS worker_roles,
                   coalesce((SELECT array_agg(w.active ORDER BY m.worker_id) FROM care_team_member m JOIN worker w ON w.id = m.worker_id WHERE m.team_id = t.id), '{}')
                     AS member_active,
                   coalesce((SELECT array_agg(c.micro_grid_id ORDER BY c.micro_grid_id) FROM care_team_catchment c WHERE c.team_id = t.id), '{}')
                     AS micro_grid_ids
            FROM care_team t
            WHERE t.id > \(page.afterId)
              AND (\(ids)::bigint[] IS NULL OR t.id = ANY(\(ids)))
              AND (\(districtId)::bigint IS NULL OR t.district_id = \(districtId))
              AND (\(centreId)::bigint IS NULL OR t.centre_id = \(centreId))
            ORDER BY t.id LIMIT \(page.fetch)
            """,
            logger: logger
        ) { c in
            CareTeam(
                id: try c("id"),
                districtId: try c("district_id"),
                centreId: try c("centre_id"),
                name: try c("name"),
                members: try teamSeats(c),
                microGridIds: try c("micro_grid_ids"),
                version: try c("version")
            )
        }
        return page.page(rows, id: \.id)
    }

    /// Renames a team and/or replaces its members; the new member list must keep 1+1+N.
    public func update(_ id: Int64, name: String?, members: [Member]?, ifVersion: Int?, logger: Logger) async throws -> CareTeam {
        if let name {
            var c = FieldChecker()
            c.text(name, "name", max: 200)
            try c.finish()
        }
        try await db.transaction(logger: logger) { conn in
            guard let centre = try await lockedCentre(id, on: conn, logger: logger) else { throw StoreError.notFound("care team") }
            try await checkManages(centreId: centre, on: conn, logger: logger)
            let rows = try await conn.query(
                """
                UPDATE care_team SET name = coalesce(\(name?.trimmed), name), version = version + 1, updated_at = now()
                WHERE id = \(id) AND (\(ifVersion)::int IS NULL OR version = \(ifVersion))
                RETURNING district_id
                """,
                logger: logger
            ).decode(Int64.self).all()
            guard let districtId = rows.first else {
                let current = try await get(id, logger: logger)
                throw StoreError.versionMismatch(current: current.version)
            }
            if let members {
                _ = try await seats(members, districtId: districtId, on: conn, logger: logger)
                try await conn.query("DELETE FROM care_team_member WHERE team_id = \(id)", logger: logger)
                try await insertMembers(teamId: id, members, on: conn, logger: logger)
            }
        }
        return try await get(id, logger: logger)
    }

    /// Adds micro-grids to a team's catchment; one already in a catchment is a conflict.
    public func addToCatchment(_ id: Int64, microGridIds: [Int64], logger: Logger) async throws -> CareTeam {
        let team = try await get(id, logger: logger)
        try await db.transaction(logger: logger) { conn in
            try await checkManages(centreId: team.centreId, on: conn, logger: logger)
            try await conn.query(
                """
                INSERT INTO care_team_catchment (micro_grid_id, district_id, team_id)
                SELECT DISTINCT unnest(\(microGridIds)::bigint[]), \(team.districtId), \(id)
                """,
                logger: logger
            )
        }
        return try await get(id, logger: logger)
    }

    public func removeFromCatchment(_ id: Int64, microGridId: Int64, logger: Logger) async throws -> CareTeam {
        let team = try await get(id, logger: logger)
        try await db.transaction(logger: logger) { conn in
            try await checkManages(centreId: team.centreId, on: conn, logger: logger)
            let rows = try await conn.query(
                """
                DELETE FROM care_team_catchment WHERE team_id = \(id) AND micro_grid_id = \(microGridId) RETURNING micro_grid_id
                """,
                logger: logger
            ).collect()
            guard !rows.isEmpty else { throw StoreError.notFound("catchment entry") }
        }
        return try await get(id, logger: logger)
    }
}

/// A team's seats from the four parallel arrays a team query aggregates (member_ids, team_roles,
/// worker_roles, member_active), one order for all four.
func teamSeats(_ c: Columns) throws -> [TeamSeat] {
    let ids: [Int64] = try c("member_ids")
    let teamRoles: [String] = try c("team_roles")
    let workerRoles: [String] = try c("worker_roles")
    let active: [Bool] = try c("member_active")
    return ids.indices.map { i in
        TeamSeat(workerId: ids[i], teamRole: TeamRole(rawValue: teamRoles[i])!, workerRole: WorkerRole(rawValue: workerRoles[i])!, active: active[i])
    }
}
