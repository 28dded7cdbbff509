-- A centre's rounds are its own (security issue, item 4): saved plans, their planned visits and its
-- workers' leave are seen and changed by the staff of the centre that employs the team or the worker,
-- and by administrators; anyone else in the district meets them as missing (404). Until now the
-- policies of 0009_rounds.sql were keyed to the district only, so a doctor of one centre could read
-- another centre's plan (with residents' names in `unplanned`), supersede its week and read its
-- workers' leave reasons.

-- The centre whose rounds the caller may see: NULL for an administrator (every centre of their
-- scope's district), -1 (matching nothing) for a caller who works for no centre or has no scope at
-- all, so an unset scope fails closed. Read from the settings gridcare_set_scope wrote; PL/pgSQL so
-- its plan is cached per connection, and used as a scalar sub-select so it runs once per statement.
CREATE FUNCTION gridcare_scope_centre() RETURNS bigint LANGUAGE plpgsql STABLE AS $$
DECLARE
    centre bigint;
BEGIN
    IF current_setting('gridcare.role', true) = 'admin' THEN RETURN NULL; END IF;
    SELECT w.centre_id INTO centre FROM app_user u JOIN worker w ON w.id = u.worker_id
    WHERE u.id = nullif(current_setting('gridcare.user_id', true), '')::bigint;
    RETURN coalesce(centre, -1);
END
$$;

-- Whether the caller's centre holds `p_team` (true for an administrator).
CREATE FUNCTION gridcare_team_of_scope_centre(p_team bigint) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT (SELECT gridcare_scope_centre()) IS NULL
        OR EXISTS (SELECT 1 FROM care_team t WHERE t.id = p_team AND t.centre_id = (SELECT gridcare_scope_centre()))
$$;

DROP POLICY rounds_plan_scope ON rounds_plan;
CREATE POLICY rounds_plan_scope ON rounds_plan USING (
    (SELECT gridcare_scope_district()) IN ('*', district_id::text)
    AND ((SELECT gridcare_scope_centre()) IS NULL
         OR EXISTS (SELECT 1 FROM care_team t WHERE t.id = rounds_plan.team_id AND t.centre_id = (SELECT gridcare_scope_centre()))));

-- A planned visit is seen with its plan (and, as before, with its resident's micro-grid): a resident who
-- moved into another centre's catchment does not bring the old team's visit along.
DROP POLICY planned_visit_scope ON planned_visit;
CREATE POLICY planned_visit_scope ON planned_visit USING (
    (SELECT gridcare_scope_district()) IN ('*', district_id::text)
    AND ((SELECT gridcare_scope_all_micro_grids()) OR micro_grid_id = ANY ((SELECT gridcare_scope_micro_grids())::bigint[]))
    AND EXISTS (SELECT 1 FROM rounds_plan p WHERE p.id = planned_visit.plan_id));

-- Leave is the employing centre's: other centres of the district see none of it, not even that the
-- person is away (nothing outside the centre plans with it).
DROP POLICY worker_leave_scope ON worker_leave;
CREATE POLICY worker_leave_scope ON worker_leave USING (
    (SELECT gridcare_scope_district()) IN ('*', district_id::text)
    AND ((SELECT gridcare_scope_centre()) IS NULL
         OR EXISTS (SELECT 1 FROM worker w WHERE w.id = worker_leave.worker_id AND w.centre_id = (SELECT gridcare_scope_centre()))));
