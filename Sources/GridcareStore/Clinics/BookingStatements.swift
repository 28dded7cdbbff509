import PostgresNIO

extension BookingStore {
    /// The booking in one call of `gridcare_book` (0025_one_owner_each.sql), run outside a transaction: it
    /// sets the caller's scope for its own statement, checks, takes a slot (none for a walk-in), books and
    /// writes the audit row. The checks always come back; the booking's columns are null when a check
    /// failed or the session is full. No row: no such session.
    struct BookInOneCall: PostgresPreparedStatement {
        static let sql = "SELECT * FROM gridcare_book($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        typealias Row = (Bool, String, Bool, Int64?, Int64?, String?, Int64?, Int?, Bool?, String?, Int64?, Int?)
        var session: Int64, resident: Int64, walkIn: Bool, scope: Scope, operation: String
        func makeBindings() throws -> PostgresBindings {
            var b = PostgresBindings(capacity: 9)
            b.append(scope.userId)
            b.append(scope.role.rawValue)
            b.append(scope.districtId)
            b.append(scope.settings.microGrids)
            b.append(scope.hospitalId.map(String.init) ?? "")
            b.append(operation)
            b.append(session)
            b.append(resident)
            b.append(walkIn)
            return b
        }
        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }
}
