-- One owner for each rule that had two (issue "One owner for every rule", item 2).
--
-- 1. The audit row: gridcare_audit writes it, for AuditLog (Swift) and for gridcare_book alike; before,
--    the booking call carried its own copy of the INSERT.
-- 2. Taking a booking: gridcare_book is the only one. It now also checks walk-ins in (no slot) and, when
--    every free slot is held by another booking at that moment, waits for the first of them instead of
--    handing the service a second, Swift-written way of booking.
-- 3. A claim leaving its open states: the trigger gridcare_claim_closed returns a cancelled claim's
--    quantity to its offer and frees a place under its claimer's cap, whoever closes it (ClaimStore, or
--    the board's clock through gridcare_board_expire); before, both wrote those side effects.

CREATE FUNCTION gridcare_audit(p_user bigint, p_role text, p_district bigint, p_operation text, p_action text,
                               p_outcome text, p_detail text, p_residents bigint[], p_households bigint[] DEFAULT '{}')
RETURNS void LANGUAGE sql AS $$
    -- One row per resident, else one per household, else one row about nobody in particular.
    INSERT INTO audit_event (user_id, role, district_id, operation, action, resident_id, household_id, outcome, detail)
    SELECT p_user, p_role, p_district, p_operation, p_action, r, h, p_outcome, p_detail
    FROM unnest(CASE WHEN cardinality(p_residents) = 0 THEN ARRAY[NULL]::bigint[] ELSE p_residents END) AS r,
         unnest(CASE WHEN cardinality(p_residents) > 0 OR cardinality(p_households) = 0 THEN ARRAY[NULL]::bigint[]
                     ELSE p_households END) AS h;
$$;
REVOKE ALL ON FUNCTION gridcare_audit(bigint, text, bigint, text, text, text, text, bigint[], bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gridcare_audit(bigint, text, bigint, text, text, text, text, bigint[], bigint[]) TO gridcare_service;

DROP FUNCTION gridcare_book(bigint, text, bigint, text, text, text, bigint, bigint);

-- As the caller (row-level security applies): the checks, a slot (none for a walk-in, who is checked in
-- at once), the booking and its audit row. The checks' row always comes back; the booking's columns are
-- null when a check failed or the session is full. No row at all: no such session.
CREATE FUNCTION gridcare_book(p_user bigint, p_role text, p_district bigint, p_micro_grids text, p_hospital text,
                              p_operation text, p_session bigint, p_resident bigint, p_walk_in boolean)
RETURNS TABLE (eligible boolean, session_status text, already_booked boolean, booking_id bigint, booking_resident bigint,
               resident_name text, booking_session bigint, booking_slot integer, booking_walk_in boolean,
               booking_status text, booking_service bigint, booking_version integer)
LANGUAGE plpgsql AS $$
DECLARE
    ch record;
    v_slot integer;
    v_id bigint;
BEGIN
    PERFORM gridcare_set_scope(p_user::text, p_role, coalesce(p_district::text, '*'), p_micro_grids, p_hospital);
    SELECT * INTO ch FROM gridcare_booking_checks(p_session, p_resident);
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF ch.eligible AND ch.status = 'scheduled' AND NOT ch.booked THEN
        IF NOT p_walk_in THEN
            LOOP
                -- The first free slot no other booking holds right now.
                UPDATE session_slot s SET booked = s.booked + 1
                WHERE s.session_id = p_session
                  AND s.slot = (SELECT f.slot FROM session_slot f WHERE f.session_id = p_session AND f.booked < f.capacity
                                ORDER BY f.slot LIMIT 1 FOR UPDATE SKIP LOCKED)
                  AND s.booked < s.capacity
                RETURNING s.slot INTO v_slot;
                EXIT WHEN v_slot IS NOT NULL;
                -- Every free slot is held by a booking in flight: wait for the first, then look again (each
                -- statement sees what the others committed). None free at all: the session is full.
                EXIT WHEN NOT EXISTS (SELECT 1 FROM session_slot f WHERE f.session_id = p_session AND f.booked < f.capacity);
                PERFORM 1 FROM session_slot f WHERE f.session_id = p_session AND f.booked < f.capacity ORDER BY f.slot LIMIT 1 FOR UPDATE;
            END LOOP;
        END IF;
        IF p_walk_in OR v_slot IS NOT NULL THEN
            INSERT INTO booking (district_id, resident_id, micro_grid_id, session_id, slot, walk_in, status, booked_by)
            SELECT r.district_id, r.id, r.micro_grid_id, p_session, v_slot, p_walk_in,
                   CASE WHEN p_walk_in THEN 'checked_in' ELSE 'booked' END::booking_status, p_user
            FROM resident r WHERE r.id = p_resident
            RETURNING id INTO v_id;
            PERFORM gridcare_audit(p_user, p_role, p_district, p_operation, 'create', 'ok', 'booking ' || v_id, ARRAY[p_resident]);
        END IF;
    END IF;
    RETURN QUERY
    SELECT ch.eligible, ch.status, ch.booked, b.id, b.resident_id, r.name, b.session_id, b.slot, b.walk_in, b.status::text,
           b.service_id, b.version
    FROM (SELECT 1) one LEFT JOIN booking b ON b.id = v_id LEFT JOIN resident r ON r.id = b.resident_id;
END $$;
REVOKE ALL ON FUNCTION gridcare_book(bigint, text, bigint, text, text, text, bigint, bigint, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gridcare_book(bigint, text, bigint, text, text, text, bigint, bigint, boolean) TO gridcare_service;

CREATE FUNCTION gridcare_claim_closed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'cancelled' THEN
        UPDATE board_offer SET available = available + NEW.quantity, version = version + 1 WHERE id = NEW.offer_id;
    END IF;
    UPDATE claimer_load SET open_claims = open_claims - 1 WHERE user_id = NEW.claimed_by;
    RETURN NULL;
END $$;
CREATE TRIGGER board_claim_closed AFTER UPDATE OF status ON board_claim
    FOR EACH ROW WHEN (OLD.status IN ('reserved', 'picked_up') AND NEW.status IN ('delivered', 'cancelled'))
    EXECUTE FUNCTION gridcare_claim_closed();

CREATE OR REPLACE FUNCTION gridcare_board_expire(p_today date, OUT expired_offers integer, OUT lapsed_claims integer)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    UPDATE board_offer SET status = 'expired', closed_at = now(), version = version + 1
    WHERE status = 'open' AND expires_on < p_today;
    GET DIAGNOSTICS expired_offers = ROW_COUNT;
    -- The stock and the claimer's place come back through the trigger board_claim_closed.
    UPDATE board_claim c SET status = 'cancelled', cancelled_at = now(), version = c.version + 1,
           cancel_reason = CASE WHEN o.expires_on < p_today THEN 'the item expired' ELSE 'not picked up in time' END
    FROM board_offer o
    WHERE o.id = c.offer_id AND c.status = 'reserved' AND (c.hold_until < now() OR o.expires_on < p_today);
    GET DIAGNOSTICS lapsed_claims = ROW_COUNT;
END
$$;

-- 4. The due-visit rules: Swift names them (GridcareCore.DueRule) and holds their figures (VisitRules,
--    adopted into visit_rules at start-up); the SQL computes them. The names a due row may carry are
--    guarded here, and SeamTests ties this list, and the seeded figures, to the Swift side.
ALTER TABLE due_visit ADD CONSTRAINT due_visit_rule_check CHECK (rule IN (
    'chronic_follow_up', 'follow_up_after_reading', 'follow_up_after_discharge', 'annual_check',
    'disabled_elderly_home_visit', 'welfare_visit'));
