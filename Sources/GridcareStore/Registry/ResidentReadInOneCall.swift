import GridcareCore
import PostgresNIO

extension ResidentStore {
    /// One resident in one call of `gridcare_read_resident` (0037_read_in_one_call.sql), run outside a
    /// transaction: it sets the caller's scope for its own statement, reads under the policies, says
    /// whether the caller is a clinician of the resident's team, and writes the read's audit row (`audit`
    /// false: the caller writes it). No row: not found, or not visible.
    struct ReadInOneCall: PostgresPreparedStatement {
        static let sql = "SELECT * FROM gridcare_read_resident($1, $2, $3, $4, $5, $6, $7, $8)"
        typealias Row = (resident: ResidentStore.Row, teamClinician: Bool)
        var id: Int64, scope: Scope?, operation: String, audit: Bool
        func makeBindings() throws -> PostgresBindings {
            var b = PostgresBindings(capacity: 8)
            b.appendCaller(scope, operation: operation)
            b.append(id)
            b.append(audit)
            return b
        }
        func decodeRow(_ row: PostgresRow) throws -> Row {
            let c = Columns(row)
            return (try ResidentStore.Row(c), try c("team_clinician"))
        }
    }
}
