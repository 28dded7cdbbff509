import Foundation
import GridcareCore
import PostgresNIO

/// Who is asking and what they may see, as the database enforces it: row-level security policies read
/// these values from transaction-local settings, so a pooled connection never carries one caller's
/// scope into another's request.
public struct Scope: Sendable, Equatable {
    public var userId: Int64
    public var role: Role
    /// nil: every district (a deployment-wide administrator).
    public var districtId: Int64?
    /// nil: every micro-grid of the district(s); empty: none (hospital staff see no registry residents).
    public var microGridIds: [Int64]?
    /// The hospital a hospital user works for: they see the referral slips addressed to it.
    public var hospitalId: Int64?

    public init(userId: Int64, role: Role, districtId: Int64?, microGridIds: [Int64]?, hospitalId: Int64? = nil) {
        self.userId = userId
        self.role = role
        self.districtId = districtId
        self.microGridIds = microGridIds
        self.hospitalId = hospitalId
    }

    /// The service's own jobs (the clinics' clock): every district, as an administrator, with no user to
    /// record (id 0). Only jobs the service starts itself use it; a request always has its caller's scope.
    public static let serviceJob = Scope(userId: 0, role: .admin, districtId: nil, microGridIds: nil)

    /// The settings the policies read (see 0004_access.sql): '*' means unrestricted.
    var settings: (district: String, microGrids: String) {
        (
            districtId.map(String.init) ?? "*",
            microGridIds.map { "{" + $0.map(String.init).joined(separator: ",") + "}" } ?? "*"
        )
    }

    /// Sets the scope for the rest of the current transaction only (gridcare_set_scope, 0013_booking_call.sql).
    func apply(on conn: PostgresConnection, logger: Logger) async throws {
        let s = settings
        _ = try await conn.execute(
            Apply(
                user: String(userId),
                role: role.rawValue,
                district: s.district,
                microGrids: s.microGrids,
                hospital: hospitalId.map(String.init) ?? ""
            ),
            logger: logger
        )
    }

    /// Runs on every request, so a named prepared statement: parsed and planned once per connection.
    struct Apply: PostgresPreparedStatement {
        static let sql = "SELECT gridcare_set_scope($1, $2, $3, $4, $5)"
        typealias Row = ()
        var user: String, role: String, district: String, microGrids: String, hospital: String
        func makeBindings() throws -> PostgresBindings {
            var b = PostgresBindings(capacity: 5)
            b.append(user)
            b.append(role)
            b.append(district)
            b.append(microGrids)
            b.append(hospital)
            return b
        }
        func decodeRow(_ row: PostgresRow) throws -> Row { () }
    }
}

extension PostgresBindings {
    /// The first six parameters of every one-call function (gridcare_book, gridcare_read_resident): the
    /// caller's user, role, district, micro-grids and hospital, as gridcare_set_scope takes them, and the
    /// operation for the audit row. No scope (the owner's tools): nulls, and the function sets none.
    mutating func appendCaller(_ scope: Scope?, operation: String) {
        append(scope?.userId)
        append(scope?.role.rawValue)
        append(scope?.districtId)
        append(scope?.settings.microGrids)
        append(scope?.hospitalId.map(String.init) ?? "")
        append(operation)
    }
}

extension Database {
    /// The signed-in caller (user id and role). The owner's tools have no user to record, so a store
    /// that writes who did something refuses them with `reason`.
    func caller(_ reason: String) throws -> (id: Int64, role: Role) {
        guard let s = scope else { throw StoreError.notAllowed(reason) }
        return (s.userId, s.role)
    }
}
