import GridcareCore
import PostgresNIO

extension BookingStore {
    /// The booking in one call of `gridcare_book` (0025_one_owner_each.sql), run outside a transaction: it
    /// sets the caller's scope for its own statement, checks, takes a slot (none for a walk-in), books and
    /// writes the audit row. The checks always come back; the booking's columns are null when a check
    /// failed or the session is full. No row: no such session.
    struct BookInOneCall: PostgresPreparedStatement {
        static let sql = "SELECT * FROM gridcare_book($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        /// The checks, and the booking when one was taken.
        typealias Row = (eligible: Bool, status: String, booked: Bool, booking: Booking?)
        var session: Int64, resident: Int64, walkIn: Bool, scope: Scope, operation: String
        func makeBindings() throws -> PostgresBindings {
            var b = PostgresBindings(capacity: 9)
            b.appendCaller(scope, operation: operation)
            b.append(session)
            b.append(resident)
            b.append(walkIn)
            return b
        }
        func decodeRow(_ row: PostgresRow) throws -> Row {
            let c = Columns(row)
            var booking: Booking?
            if let id = try c("booking_id", Int64?.self) {
                booking = Booking(
                    id: id,
                    residentId: try c("booking_resident"),
                    residentName: try c("resident_name"),
                    sessionId: try c("booking_session"),
                    slot: try c("booking_slot"),
                    walkIn: try c("booking_walk_in"),
                    status: BookingStatus(rawValue: try c("booking_status"))!,
                    serviceId: try c("booking_service"),
                    version: try c("booking_version")
                )
            }
            return (try c("eligible"), try c("session_status"), try c("already_booked"), booking)
        }
    }
}
