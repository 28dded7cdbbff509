import Foundation
import GridcareCore
import Logging
import PostgresNIO

/// One user of each role for a demo district, so the API can be tried at once. They share one password
/// (the demo is for a loopback service; a real deployment adds its users with `gridcare user add`).
public enum DemoUsers {
    /// Adds `admin`, `manager`, `doctor`, `gridworker` and `hospital` (with a suffix after the first
    /// district) unless they exist; returns the users created.
    public static func create(districtId: Int64, password: String, bcryptCost: Int, db: Database, logger: Logger) async throws -> [User] {
        let users = UserStore(db)
        let suffix =
            try await users.find(username: "manager", logger: logger).map { existing in
                existing.districtId == districtId ? "" : "-\(districtId)"
            } ?? ""
        // A doctor and a grid worker who sit on a team, so their scope is not empty.
        let doctor = try await db.first(
            """
            SELECT m.worker_id FROM care_team_member m JOIN care_team t ON t.id = m.team_id
            WHERE t.district_id = \(districtId) AND m.team_role = 'doctor' ORDER BY m.team_id, m.worker_id LIMIT 1
            """,
            as: Int64.self,
            logger: logger
        )
        let gridWorker = try await db.first(
            """
            SELECT m.worker_id FROM care_team_member m JOIN care_team t ON t.id = m.team_id JOIN worker w ON w.id = m.worker_id
            WHERE t.district_id = \(districtId) AND w.role IN ('grid_worker', 'micro_grid_worker') ORDER BY m.team_id, m.worker_id LIMIT 1
            """,
            as: Int64.self,
            logger: logger
        )
        let hospital = try await db.first(
            "SELECT id FROM facility WHERE district_id = \(districtId) AND kind = 'hospital' ORDER BY id LIMIT 1",
            as: Int64.self,
            logger: logger
        )
        var drafts: [UserStore.Draft] = [
            .init(username: "manager" + suffix, role: .districtManager, password: password, districtId: districtId)
        ]
        if suffix.isEmpty { drafts.insert(.init(username: "admin", role: .admin, password: password), at: 0) }
        if let doctor { drafts.append(.init(username: "doctor" + suffix, role: .centreStaff, password: password, workerId: doctor)) }
        if let gridWorker { drafts.append(.init(username: "gridworker" + suffix, role: .gridWorker, password: password, workerId: gridWorker)) }
        if let hospital { drafts.append(.init(username: "hospital" + suffix, role: .hospitalStaff, password: password, hospitalId: hospital)) }
        var created: [User] = []
        for d in drafts where try await users.find(username: d.username, logger: logger) == nil {
            created.append(try await users.add(d, bcryptCost: bcryptCost, logger: logger))
        }
        return created
    }
}
