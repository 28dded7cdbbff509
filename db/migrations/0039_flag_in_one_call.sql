-- Raising a flag in one statement (issue 20). It took eight round trips: BEGIN, the scope, the resident's
-- check, the INSERT, the history event, the audit row, the read back and COMMIT. Called outside a
-- transaction, gridcare_raise_flag is its own implicit transaction, like gridcare_book: the refusals'
-- audit rows commit as surely as the raise's.

-- A flag as the stores read it, in one place: FlagStore and gridcare_raise_flag select from it.
-- security_invoker: the caller's row-level policies apply through the view.
CREATE VIEW risk_flag_line WITH (security_invoker = true) AS
    SELECT f.id, f.resident_id, r.name AS resident_name, f.micro_grid_id, f.category::text AS category, f.tier::text AS tier,
           f.population::text AS population, f.note, f.status::text AS status, f.raised_by, f.raised_at, f.decided_by,
           f.decided_at, f.closed_by, f.closed_at, f.version
    FROM risk_flag f JOIN resident r ON r.id = f.resident_id;
GRANT SELECT ON risk_flag_line TO gridcare_service;

-- One step of a flag's history: the one writer of risk_flag_event (FlagStore's decisions and the raise).
CREATE FUNCTION gridcare_flag_event(p_flag bigint, p_user bigint, p_action text, p_note text) RETURNS void LANGUAGE sql AS $$
    INSERT INTO risk_flag_event (flag_id, user_id, action, note) VALUES (p_flag, p_user, p_action, p_note)
$$;

-- As the caller (row-level security applies). outcome: 'raised' with the flag's columns; 'unseen' (no such
-- resident, or not visible: audited as denied); 'open' (the resident already has an open flag of this
-- category: audited as refused). The partial unique index keeps one open flag per category, whatever the race.
CREATE FUNCTION gridcare_raise_flag(p_user bigint, p_role text, p_district bigint, p_micro_grids text, p_hospital text,
                                    p_operation text, p_resident bigint, p_category text, p_tier text, p_population text,
                                    p_note text)
RETURNS TABLE (outcome text, id bigint, resident_id bigint, resident_name text, micro_grid_id bigint, category text, tier text,
               population text, note text, status text, raised_by bigint, raised_at timestamptz, decided_by bigint,
               decided_at timestamptz, closed_by bigint, closed_at timestamptz, version integer)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_outcome text;
    v_id bigint;
BEGIN
    IF p_role IS NOT NULL THEN
        PERFORM gridcare_set_scope(p_user::text, p_role, coalesce(p_district::text, '*'), p_micro_grids, p_hospital);
    END IF;
    PERFORM 1 FROM resident r WHERE r.id = p_resident;
    IF NOT FOUND THEN
        v_outcome := 'unseen';
        PERFORM gridcare_audit(p_user, p_role, p_district, p_operation, 'create', 'denied', 'flag', ARRAY[p_resident]);
    ELSE
        INSERT INTO risk_flag (district_id, resident_id, micro_grid_id, category, tier, population, note, raised_by)
        SELECT r.district_id, r.id, r.micro_grid_id, p_category::flag_category, p_tier::flag_tier,
               p_population::flag_population, p_note, p_user
        FROM resident r WHERE r.id = p_resident
        ON CONFLICT (resident_id, category) WHERE status <> 'closed' AND status <> 'dismissed' DO NOTHING
        RETURNING risk_flag.id INTO v_id;
        IF v_id IS NULL THEN
            v_outcome := 'open';
            PERFORM gridcare_audit(p_user, p_role, p_district, p_operation, 'create', 'refused', 'flag already open', ARRAY[p_resident]);
        ELSE
            v_outcome := 'raised';
            PERFORM gridcare_flag_event(v_id, p_user, 'raised', p_note);
            PERFORM gridcare_audit(p_user, p_role, p_district, p_operation, 'create', 'ok', 'flag ' || v_id, ARRAY[p_resident]);
        END IF;
    END IF;
    RETURN QUERY SELECT v_outcome, f.* FROM (SELECT 1) one LEFT JOIN risk_flag_line f ON f.id = v_id;
END
$$;
REVOKE ALL ON FUNCTION gridcare_flag_event(bigint, bigint, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION gridcare_raise_flag(bigint, text, bigint, text, text, text, bigint, text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gridcare_flag_event(bigint, bigint, text, text) TO gridcare_service;
GRANT EXECUTE ON FUNCTION gridcare_raise_flag(bigint, text, bigint, text, text, text, bigint, text, text, text, text) TO gridcare_service;
