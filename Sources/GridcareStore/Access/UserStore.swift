import Foundation
import GridcareCore
import Logging
import PostgresNIO

/// A user as administrators see it; the password hash never leaves the store.
public struct User: Sendable, Equatable {
    public var id: Int64
    public var username: String
    public var role: Role
    public var districtId: Int64?
    public var workerId: Int64?
    public var hospitalId: Int64?
    public var active: Bool
}

/// Users: created by administrators (CLI), signed in with a password that only bcrypt ever sees.
public struct UserStore: Sendable {
    let db: Database
    public init(_ db: Database) { self.db = db }

    /// What an administrator asks for; the store checks it against the registry.
    public struct Draft: Sendable {
        public var username: String, role: Role, password: String
        public var districtId: Int64?, workerId: Int64?, hospitalId: Int64?
        public init(username: String, role: Role, password: String, districtId: Int64? = nil, workerId: Int64? = nil, hospitalId: Int64? = nil) {
            self.username = username
            self.role = role
            self.password = password
            self.districtId = districtId
            self.workerId = workerId
            self.hospitalId = hospitalId
        }
    }

    static let columns = "id, username, role::text, district_id, worker_id, hospital_id, active"
    static func user(_ c: Columns) throws -> User {
        User(
            id: try c("id"),
            username: try c("username"),
            role: Role(rawValue: try c("role"))!,
            districtId: try c("district_id"),
            workerId: try c("worker_id"),
            hospitalId: try c("hospital_id"),
            active: try c("active")
        )
    }

    /// Adds a user. Centre staff and grid workers are linked to a worker of a matching role (their district is
    /// the worker's); hospital staff to a hospital; district managers to a district.
    public func add(_ d: Draft, bcryptCost: Int, logger: Logger) async throws -> User {
        var c = FieldChecker()
        let username = d.username.trimmed.lowercased()
        c.require(
            username.range(of: "^[a-z0-9][a-z0-9._-]{2,63}$", options: .regularExpression) != nil,
            "username",
            "must be 3–64 characters: lower-case letters, digits, '.', '_' or '-'"
        )
        if let problem = Passwords.problem(with: d.password) { c.add(FieldError("password", problem)) }
        switch d.role {
        case .centreStaff, .gridWorker: c.require(d.workerId != nil, "worker", "is required for \(d.role.rawValue)")
        default: c.require(d.workerId == nil, "worker", "is only for centre staff and grid workers")
        }
        c.require(
            (d.role == .hospitalStaff) == (d.hospitalId != nil),
            "hospital",
            d.role == .hospitalStaff ? "is required for hospital staff" : "is only for hospital staff"
        )
        try c.finish()

        var district = d.districtId
        if let workerId = d.workerId {
            guard
                let (role, workerDistrict) = try await db.first(
                    "SELECT role::text, district_id FROM worker WHERE id = \(workerId) AND active",
                    as: (String, Int64).self,
                    logger: logger
                )
            else { throw ValidationFailure([FieldError("worker", "no active worker \(workerId)")]) }
            let workerRole = WorkerRole(rawValue: role)!
            guard d.role.workerRoles.contains(workerRole) else {
                throw ValidationFailure([FieldError("worker", "is a \(role), which cannot be \(d.role.rawValue)")])
            }
            if let district, district != workerDistrict {
                throw ValidationFailure([FieldError("district", "is not the worker's district \(workerDistrict)")])
            }
            district = workerDistrict
        }
        if let hospitalId = d.hospitalId {
            guard
                let hospitalDistrict = try await db.first(
                    "SELECT district_id FROM facility WHERE id = \(hospitalId) AND kind = 'hospital'",
                    as: Int64.self,
                    logger: logger
                )
            else { throw ValidationFailure([FieldError("hospital", "no hospital \(hospitalId)")]) }
            district = district ?? hospitalDistrict
        }
        if let district {
            let known = try await db.first("SELECT 1 FROM area WHERE id = \(district) AND level = 'district'", as: Int.self, logger: logger)
            if known == nil { throw ValidationFailure([FieldError("district", "no district \(district)")]) }
        } else if d.role != .admin {
            throw ValidationFailure([FieldError("district", "is required for \(d.role.rawValue)")])
        }
        let hash = await Passwords.hash(d.password, cost: bcryptCost)
        do {
            let row = try await db.first(
                """
                INSERT INTO app_user (username, role, district_id, worker_id, hospital_id, password_hash)
                VALUES (\(username), \(d.role.rawValue)::user_role, \(district), \(d.workerId), \(d.hospitalId), \(hash))
                RETURNING \(unescaped: Self.columns)
                """,
                logger: logger,
                Self.user
            )
            return row!
        } catch let error where ConstraintViolation(error)?.constraint == "app_user_username_key" {
            throw ValidationFailure([FieldError("username", "\(username) is taken")])
        } catch let error where ConstraintViolation(error)?.constraint == "app_user_worker_key" {
            throw ValidationFailure([FieldError("worker", "already has a user")])
        }
    }

    public func find(username: String, logger: Logger) async throws -> User? {
        try await db.first(
            "SELECT \(unescaped: Self.columns) FROM app_user WHERE username = \(username.lowercased())",
            logger: logger,
            Self.user
        )
    }

    public func list(logger: Logger) async throws -> [User] {
        try await db.rows("SELECT \(unescaped: Self.columns) FROM app_user ORDER BY id", logger: logger, Self.user)
    }

    /// Turns a user off (their tokens stop working at once) or back on.
    public func setActive(_ id: Int64, _ active: Bool, logger: Logger) async throws {
        defer { db.callers?.forget() }
        let rows = try await db.query("UPDATE app_user SET active = \(active), updated_at = now() WHERE id = \(id) RETURNING 1", logger: logger)
        if rows.isEmpty { throw StoreError.notFound("user") }
    }

    /// After this many wrong passwords in a row the account is locked for `lockMinutes`.
    public static let maxFailures = 5
    public static let lockMinutes = 15

    /// The user, when `password` is theirs and the account may sign in; nil otherwise, for every reason alike.
    /// Throws PasswordChecker.Busy, before anything is counted, when every bcrypt slot is taken.
    ///
    /// The attempt is counted before the password is checked, by one conditional UPDATE: it only claims an
    /// attempt while the account is unlocked and has fewer than `maxFailures` counted, and the claim that
    /// reaches the limit locks it. However many run at once, at most `maxFailures` passwords are checked per
    /// lock window; the right one resets the count. An attempt on a locked (or unknown, or disabled)
    /// account claims nothing, does not extend the lock, and is checked against the decoy only, so it
    /// takes as long as any other refusal.
    public func verify(username: String, password: String, checker: PasswordChecker, logger: Logger) async throws -> User? {
        try await checker.withSlot {
            let row = try await db.first(
                """
                UPDATE app_user SET
                    failed_sign_ins = CASE WHEN locked_until IS NULL AND failed_sign_ins < \(Self.maxFailures)
                                           THEN failed_sign_ins + 1 ELSE 1 END,
                    locked_until = CASE WHEN (CASE WHEN locked_until IS NULL AND failed_sign_ins < \(Self.maxFailures)
                                                   THEN failed_sign_ins + 1 ELSE 1 END) >= \(Self.maxFailures)
                                        THEN now() + make_interval(mins => \(Self.lockMinutes)::int) END
                WHERE username = \(username.trimmed.lowercased()) AND active AND (locked_until IS NULL OR locked_until <= now())
                RETURNING \(unescaped: Self.columns), password_hash
                """,
                logger: logger
            ) { c in (user: try Self.user(c), hash: try c("password_hash", String.self)) }
            guard let row else {
                await checker.spendDecoy(password)
                return nil
            }
            guard await checker.verify(password, hash: row.hash) else { return nil }
            _ = try await db.query("UPDATE app_user SET failed_sign_ins = 0, locked_until = NULL WHERE id = \(row.user.id)", logger: logger)
            return row.user
        }
    }
}
