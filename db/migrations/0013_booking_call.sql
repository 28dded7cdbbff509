-- A clinic booking in one call (issue 5). Round trips, not SQL, were most of what a booking cost the
-- service (BENCHMARKS.md): BEGIN, the scope, the booking and COMMIT were four of them. A function
-- sets the caller's scope for its own statement's transaction and books in one statement, so the
-- API's booking is the token check and this call.

-- How a caller's scope is set, for the rest of the current transaction: the one place, used by every
-- scoped transaction (Scope.Apply) and by gridcare_book.
CREATE FUNCTION gridcare_set_scope(p_user text, p_role text, p_district text, p_micro_grids text, p_hospital text)
RETURNS void LANGUAGE sql AS $$
    SELECT set_config('gridcare.user_id', p_user, true), set_config('gridcare.role', p_role, true),
           set_config('gridcare.scope_district', p_district, true), set_config('gridcare.scope_micro_grids', p_micro_grids, true),
           set_config('gridcare.scope_hospital', p_hospital, true);
$$;

-- Whether `p_resident` may be booked on `p_session`: they live in the catchment of the clinic's team (and
-- the caller sees them), the session's status (only 'scheduled' takes bookings), and whether they hold a
-- live booking on it already. No row: no such session. The one statement of these checks.
CREATE FUNCTION gridcare_booking_checks(p_session bigint, p_resident bigint)
RETURNS TABLE (eligible boolean, status text, booked boolean) LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM resident r JOIN care_team_catchment k ON k.micro_grid_id = r.micro_grid_id
                   WHERE r.id = p_resident AND k.team_id = c.team_id),
           cs.status::text,
           EXISTS (SELECT 1 FROM booking b WHERE b.session_id = cs.id AND b.resident_id = p_resident AND b.status <> 'cancelled')
    FROM clinic_session cs JOIN clinic c ON c.id = cs.clinic_id WHERE cs.id = p_session
$$;

-- As the caller (row-level security applies): the checks, the first free slot no other booking holds,
-- the booking in it and its audit row. The checks' row always comes back; the booking's columns are
-- null when a check failed or every free slot was held by another booking (or there is none): the
-- service then refuses, or tries the slots one by one. No row at all: no such session.
CREATE FUNCTION gridcare_book(p_user bigint, p_role text, p_district bigint, p_micro_grids text, p_hospital text,
                              p_operation text, p_session bigint, p_resident bigint)
RETURNS TABLE (eligible boolean, session_status text, already_booked boolean, booking_id bigint, booking_resident bigint,
               resident_name text, booking_session bigint, booking_slot integer, booking_walk_in boolean,
               booking_status text, booking_service bigint, booking_version integer)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM gridcare_set_scope(p_user::text, p_role, coalesce(p_district::text, '*'), p_micro_grids, p_hospital);
    RETURN QUERY
    WITH checks AS (
        SELECT * FROM gridcare_booking_checks(p_session, p_resident)
    ), taken AS (
        UPDATE session_slot s SET booked = s.booked + 1
        WHERE s.session_id = p_session
          AND s.slot = (SELECT f.slot FROM session_slot f WHERE f.session_id = p_session AND f.booked < f.capacity
                        ORDER BY f.slot LIMIT 1 FOR UPDATE SKIP LOCKED)
          AND s.booked < s.capacity
          AND (SELECT ch.eligible AND ch.status = 'scheduled' AND NOT ch.booked FROM checks ch)
        RETURNING s.slot
    ), made AS (
        INSERT INTO booking (district_id, resident_id, micro_grid_id, session_id, slot, walk_in, status, booked_by)
        SELECT r.district_id, r.id, r.micro_grid_id, p_session, t.slot, false, 'booked', p_user
        FROM resident r CROSS JOIN taken t WHERE r.id = p_resident
        RETURNING *
    ), audited AS (
        -- The row AuditLog.record writes for a booking, in the same statement.
        INSERT INTO audit_event (user_id, role, district_id, operation, action, resident_id, outcome, detail)
        SELECT p_user, p_role, p_district, p_operation, 'create', m.resident_id, 'ok', 'booking ' || m.id FROM made m
    )
    SELECT ch.eligible, ch.status, ch.booked, m.id, m.resident_id, r.name, m.session_id, m.slot, m.walk_in, m.status::text,
           m.service_id, m.version
    FROM checks ch LEFT JOIN made m ON true LEFT JOIN resident r ON r.id = m.resident_id;
END $$;

REVOKE ALL ON FUNCTION gridcare_book(bigint, text, bigint, text, text, text, bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gridcare_book(bigint, text, bigint, text, text, text, bigint, bigint) TO gridcare_service;
