-- The hottest read in one statement (issue 20). Signed-in, scoped and audited, reading a resident took six
-- round trips: BEGIN, the scope, the SELECT, the audit row, COMMIT (and the token check, now kept in the
-- service). Called outside a transaction, this function is its own implicit transaction: the scope it sets
-- lasts for this statement only, and the audit row commits with the read or not at all.

-- Whether user p_user is a doctor, nurse or public-health member of the team whose catchment holds
-- p_micro_grid: the clinicians who see a resident's whole number (AccessRules.mayRevealIdentity decides).
-- Read as the caller, under the policies, like the rest.
CREATE FUNCTION gridcare_is_team_clinician(p_user bigint, p_micro_grid bigint) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
        SELECT 1 FROM app_user u
        JOIN care_team_member m ON m.worker_id = u.worker_id AND m.team_role IN ('doctor', 'nurse', 'public_health')
        JOIN care_team_catchment c ON c.team_id = m.team_id AND c.micro_grid_id = p_micro_grid
        WHERE u.id = p_user)
$$;

-- As the caller (row-level security applies): the caller's scope (none given: the owner's tools, as
-- before), the resident as ResidentStore reads them, whether the caller is a clinician of their team, and
-- the read's audit row (ok, or denied when nothing came back: not found and not visible are one answer).
-- p_audit false: the caller writes the row itself (a page gathering its rows, a read on a replica).
CREATE FUNCTION gridcare_read_resident(p_user bigint, p_role text, p_district bigint, p_micro_grids text, p_hospital text,
                                       p_operation text, p_resident bigint, p_audit boolean)
RETURNS TABLE (id bigint, district_id bigint, household_id bigint, micro_grid_id bigint, name text, sex text,
               birth_date text, id_number_sealed bytea, phone text, conditions text[], circumstances text[],
               team_id bigint, version integer, team_clinician boolean)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_found boolean;
BEGIN
    IF p_role IS NOT NULL THEN
        PERFORM gridcare_set_scope(p_user::text, p_role, coalesce(p_district::text, '*'), p_micro_grids, p_hospital);
    END IF;
    RETURN QUERY
        SELECT r.id, r.district_id, r.household_id, r.micro_grid_id, r.name, r.sex::text, to_char(r.birth_date, 'YYYY-MM-DD'),
               r.id_number_sealed, r.phone, r.conditions, r.circumstances, c.team_id, r.version,
               coalesce(p_role = 'centre_staff' AND gridcare_is_team_clinician(p_user, r.micro_grid_id), false)
        FROM resident r
        LEFT JOIN care_team_catchment c ON c.micro_grid_id = r.micro_grid_id
        WHERE r.id = p_resident;
    v_found := FOUND;
    IF p_audit THEN
        PERFORM gridcare_audit(p_user, p_role, p_district, p_operation, 'read', CASE WHEN v_found THEN 'ok' ELSE 'denied' END,
                               NULL, ARRAY[p_resident]);
    END IF;
END
$$;
REVOKE ALL ON FUNCTION gridcare_is_team_clinician(bigint, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION gridcare_read_resident(bigint, text, bigint, text, text, text, bigint, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gridcare_is_team_clinician(bigint, bigint) TO gridcare_service;
GRANT EXECUTE ON FUNCTION gridcare_read_resident(bigint, text, bigint, text, text, text, bigint, boolean) TO gridcare_service;
