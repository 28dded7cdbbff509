import PostgresNIO

extension BookingStore {
    /// The three checks alone (a walk-in takes no slot), as `gridcare_booking_checks` states them: the
    /// resident is in the clinic team's catchment (and visible), the session is open, the resident is not
    /// booked on it yet.
    struct Checks: PostgresPreparedStatement {
        static let sql = "SELECT * FROM gridcare_booking_checks($1, $2)"
        typealias Row = (Bool, String, Bool)
        var session: Int64, resident: Int64
        func makeBindings() throws -> PostgresBindings {
            var b = PostgresBindings(capacity: 2)
            b.append(session); b.append(resident)
            return b
        }
        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    /// The booking in one call of `gridcare_book` (0013_booking_call.sql), run outside a transaction: it
    /// sets the caller's scope for its own statement, checks, takes the first free slot no other booking
    /// holds, books and writes the audit row. The checks always come back; the booking's columns are null
    /// when a check failed or every free slot was held by another booking. No row: no such session.
    struct BookInOneCall: PostgresPreparedStatement {
        static let sql = "SELECT * FROM gridcare_book($1, $2, $3, $4, $5, $6, $7, $8)"
        typealias Row = (Bool, String, Bool, Int64?, Int64?, String?, Int64?, Int?, Bool?, String?, Int64?, Int?)
        var session: Int64, resident: Int64, scope: Scope, operation: String
        func makeBindings() throws -> PostgresBindings {
            var b = PostgresBindings(capacity: 8)
            b.append(scope.userId); b.append(scope.role.rawValue); b.append(scope.districtId); b.append(scope.settings.microGrids)
            b.append(scope.hospitalId.map(String.init) ?? ""); b.append(operation); b.append(session); b.append(resident)
            return b
        }
        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    /// The booking in a slot already taken (or a walk-in's, without one), written and read back with the
    /// resident's name in one statement.
    struct Insert: PostgresPreparedStatement {
        static let sql = """
            WITH b AS (
                INSERT INTO booking (district_id, resident_id, micro_grid_id, session_id, slot, walk_in, status, booked_by)
                SELECT r.district_id, r.id, r.micro_grid_id, $1, $3, $4,
                       CASE WHEN $4 THEN 'checked_in' ELSE 'booked' END::booking_status, $5
                FROM resident r WHERE r.id = $2
                RETURNING *
            )
            SELECT b.id, b.resident_id, r.name, b.session_id, b.slot, b.walk_in, b.status::text, b.service_id, b.version
            FROM b JOIN resident r ON r.id = b.resident_id
            """
        typealias Row = BookingStore.Row
        var session: Int64, resident: Int64, slot: Int?, walkIn: Bool, bookedBy: Int64
        func makeBindings() throws -> PostgresBindings {
            var b = PostgresBindings(capacity: 5)
            b.append(session); b.append(resident); b.append(slot.map(Int32.init)); b.append(walkIn); b.append(bookedBy)
            return b
        }
        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }
}
