-- The database as the last wall. The service now signs in as gridcare_service itself (ServiceLogin sets
-- its login and password after migrating): a role that owns nothing and cannot become the owner, where
-- before it signed in as the owner and switched role. Every table with row-level security forces it, so
-- even a member of the owner that is not exempt (no superuser, no BYPASSRLS) meets the policies; `serve`
-- refuses to start under a login the policies would not restrict.
ALTER ROLE gridcare_service NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION;
REVOKE CREATE ON SCHEMA public FROM gridcare_service;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

DO $$
DECLARE t record;
BEGIN
    FOR t IN SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND c.relrowsecurity
    LOOP
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t.relname);
    END LOOP;
END
$$;

-- Households are audited like residents: reads, searches, changes and refusals, by household.
ALTER TABLE audit_event ADD COLUMN household_id bigint;
CREATE INDEX audit_event_household_idx ON audit_event (household_id, id) WHERE household_id IS NOT NULL;
