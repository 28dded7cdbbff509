import Foundation
import GridcareCore
import GridcareStore
import Logging

/// One signed-in user of each role over a Fixture district, with live tokens: a global administrator,
/// the team's doctor (centre staff), the team's first grid worker, the hospital's staff and the district
/// manager. bcrypt runs at its lowest cost here; tests are not about its work factor.
public struct TestUsers: Sendable {
    public var ids: [Role: Int64]
    public var tokens: [Role: String]
    public static let password = "correct horse battery"
    public static let bcryptCost = 4

    public subscript(_ role: Role) -> String { tokens[role]! }

    public static func make(_ db: Database, _ f: Fixture, suffix: String = "") async throws -> TestUsers {
        let l = Logger(label: "test-users", factory: { _ in SwiftLogNoOpLogHandler() })
        let drafts: [(Role, UserStore.Draft)] = [
            (.admin, .init(username: "admin" + suffix, role: .admin, password: password)),
            (.centreStaff, .init(username: "doctor" + suffix, role: .centreStaff, password: password, workerId: f.doctorId)),
            (.gridWorker, .init(username: "grid" + suffix, role: .gridWorker, password: password, workerId: f.gridWorkerIds[0])),
            (.hospitalStaff, .init(username: "hospital" + suffix, role: .hospitalStaff, password: password, hospitalId: f.hospitalId)),
            (.districtManager, .init(username: "manager" + suffix, role: .districtManager, password: password, districtId: f.districtId)),
        ]
        var users = TestUsers(ids: [:], tokens: [:])
        for (role, draft) in drafts {
            let user = try await UserStore(db).add(draft, bcryptCost: bcryptCost, logger: l)
            users.ids[role] = user.id
            users.tokens[role] = try await token(for: user.id, db)
        }
        return users
    }

    /// A fresh token for `userId`, valid for an hour.
    public static func token(for userId: Int64, _ db: Database) async throws -> String {
        let l = Logger(label: "test-users", factory: { _ in SwiftLogNoOpLogHandler() })
        return try await TokenStore(db).issue(userId: userId, lifetime: .seconds(3600), label: "test", logger: l).token
    }
}
