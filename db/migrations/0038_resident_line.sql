-- A grid worker's page of residents (issue 20). The list read every resident in scope with their whole row
-- and joined the catchment to each before keeping 101: the planner, blind to how many rows the scope
-- policy keeps (it guessed 29 of 5,463), sorted them all. Now the page's ids come from an index that holds
-- everything the policy and the list's order need (an index-only scan, no row read), and only the 101 rows
-- kept are read, each with its team looked up alone.
CREATE INDEX resident_micro_grid_id_idx ON resident (micro_grid_id, id) INCLUDE (district_id);
-- The wider index serves every lookup by micro-grid the old one did.
DROP INDEX resident_micro_grid_idx;

-- A resident as the stores read them, in one place: ResidentStore and gridcare_read_resident select from
-- it. The team is a sub-select (a micro-grid has at most one catchment row), so it is looked up only for
-- the rows a statement keeps. security_invoker: the caller's row-level policies apply through the view.
CREATE VIEW resident_line WITH (security_invoker = true) AS
    SELECT r.id, r.district_id, r.household_id, r.micro_grid_id, r.name, r.sex::text AS sex,
           to_char(r.birth_date, 'YYYY-MM-DD') AS birth_date, r.id_number_sealed, r.phone, r.conditions, r.circumstances,
           (SELECT c.team_id FROM care_team_catchment c WHERE c.micro_grid_id = r.micro_grid_id) AS team_id, r.version
    FROM resident r;
GRANT SELECT ON resident_line TO gridcare_service;

CREATE OR REPLACE FUNCTION gridcare_read_resident(p_user bigint, p_role text, p_district bigint, p_micro_grids text, p_hospital text,
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
        SELECT v.*, coalesce(p_role = 'centre_staff' AND gridcare_is_team_clinician(p_user, v.micro_grid_id), false)
        FROM resident_line v
        WHERE v.id = p_resident;
    v_found := FOUND;
    IF p_audit THEN
        PERFORM gridcare_audit(p_user, p_role, p_district, p_operation, 'read', CASE WHEN v_found THEN 'ok' ELSE 'denied' END,
                               NULL, ARRAY[p_resident]);
    END IF;
END
$$;
