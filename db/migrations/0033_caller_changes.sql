-- The service keeps the callers of recently seen tokens (CallerCache) and empties that cache when it
-- hears on `gridcare_callers` that anything gridcare_authenticate reads has changed: a token revoked or
-- deleted, a user disabled, moved, or given another role, a worker disabled or moved to another centre,
-- a worker's teams, a team's centre or micro-grids. A new token changes no caller, and sign-in's
-- failure counters are not read by the check, so neither notifies. The notification goes out at
-- commit; a rolled-back change sends none.
CREATE FUNCTION gridcare_callers_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('gridcare_callers', TG_TABLE_NAME);
    RETURN NULL;
END
$$;

CREATE TRIGGER api_token_callers AFTER UPDATE OR DELETE OR TRUNCATE ON api_token
    FOR EACH STATEMENT EXECUTE FUNCTION gridcare_callers_changed();
CREATE TRIGGER app_user_callers AFTER UPDATE OF username, role, district_id, worker_id, hospital_id, active OR DELETE OR TRUNCATE ON app_user
    FOR EACH STATEMENT EXECUTE FUNCTION gridcare_callers_changed();
CREATE TRIGGER worker_callers AFTER UPDATE OF centre_id, active OR DELETE OR TRUNCATE ON worker
    FOR EACH STATEMENT EXECUTE FUNCTION gridcare_callers_changed();
CREATE TRIGGER care_team_callers AFTER UPDATE OF centre_id OR DELETE OR TRUNCATE ON care_team
    FOR EACH STATEMENT EXECUTE FUNCTION gridcare_callers_changed();
CREATE TRIGGER care_team_member_callers AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON care_team_member
    FOR EACH STATEMENT EXECUTE FUNCTION gridcare_callers_changed();
CREATE TRIGGER care_team_catchment_callers AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON care_team_catchment
    FOR EACH STATEMENT EXECUTE FUNCTION gridcare_callers_changed();
