import PostgresNIO

extension BookingStore {
    /// The three checks alone (a walk-in takes no slot): the resident is in the clinic team's catchment
    /// (and visible), the session is open, the resident is not booked on it yet.
    struct Checks: PostgresPreparedStatement {
        static let sql = """
            SELECT EXISTS (SELECT 1 FROM resident r JOIN care_team_catchment k ON k.micro_grid_id = r.micro_grid_id
                           WHERE r.id = $2 AND k.team_id = c.team_id),
                   cs.status::text,
                   EXISTS (SELECT 1 FROM booking b WHERE b.session_id = cs.id AND b.resident_id = $2 AND b.status <> 'cancelled')
            FROM clinic_session cs JOIN clinic c ON c.id = cs.clinic_id WHERE cs.id = $1
            """
        typealias Row = (Bool, String, Bool)
        var session: Int64, resident: Int64
        func makeBindings() throws -> PostgresBindings {
            var b = PostgresBindings(capacity: 2)
            b.append(session); b.append(resident)
            return b
        }
        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    /// The checks, the first free slot no other booking is taking right now, the booking in it and its audit
    /// row, in one statement (a round trip is most of what a booking costs the service). The checks' row
    /// always comes back; the booking's columns are null when a check failed or every free slot was locked
    /// by another booking (or there is none). No row at all: no such session.
    struct CheckAndBook: PostgresPreparedStatement {
        static let sql = """
            WITH checks AS (
                SELECT EXISTS (SELECT 1 FROM resident r JOIN care_team_catchment k ON k.micro_grid_id = r.micro_grid_id
                               WHERE r.id = $2 AND k.team_id = c.team_id) AS eligible,
                       cs.status::text AS status,
                       EXISTS (SELECT 1 FROM booking b WHERE b.session_id = cs.id AND b.resident_id = $2 AND b.status <> 'cancelled') AS booked
                FROM clinic_session cs JOIN clinic c ON c.id = cs.clinic_id WHERE cs.id = $1
            ), taken AS (
                UPDATE session_slot SET booked = booked + 1
                WHERE session_id = $1 AND slot = (SELECT slot FROM session_slot WHERE session_id = $1 AND booked < capacity
                                                  ORDER BY slot LIMIT 1 FOR UPDATE SKIP LOCKED)
                  AND booked < capacity
                  AND (SELECT eligible AND status = 'scheduled' AND NOT booked FROM checks)
                RETURNING slot
            ), made AS (
                INSERT INTO booking (district_id, resident_id, micro_grid_id, session_id, slot, walk_in, status, booked_by)
                SELECT r.district_id, r.id, r.micro_grid_id, $1, taken.slot, false, 'booked', $3
                FROM resident r CROSS JOIN taken WHERE r.id = $2
                RETURNING *
            ), audited AS (
                \(AuditLog.columns)
                SELECT $3, $4, $5, $6, 'create', m.resident_id, 'ok', 'booking ' || m.id FROM made m
            )
            SELECT ch.eligible, ch.status, ch.booked,
                   m.id, m.resident_id, r.name, m.session_id, m.slot, m.walk_in, m.status::text, m.service_id, m.version
            FROM checks ch LEFT JOIN made m ON true LEFT JOIN resident r ON r.id = m.resident_id
            """
        typealias Row = (Bool, String, Bool, Int64?, Int64?, String?, Int64?, Int?, Bool?, String?, Int64?, Int?)
        var session: Int64, resident: Int64, scope: Scope, operation: String
        func makeBindings() throws -> PostgresBindings {
            var b = PostgresBindings(capacity: 6)
            b.append(session); b.append(resident); b.append(scope.userId); b.append(scope.role.rawValue); b.append(scope.districtId)
            b.append(operation)
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
