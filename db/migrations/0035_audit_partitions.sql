-- The audit trail by month (issue 21): at 100 reads a second it grows by about 250 million rows a month
-- and must be kept at least six months. `audit_event` becomes a table partitioned by the month (China
-- time) of `at`; the service's audit clock makes the coming months' partitions ahead of time and, past
-- the retention, detaches a month, exports it to a file and only then drops it (the export is recorded
-- in audit_archive). Append-only holds on every partition: the row triggers are cloned to each, the
-- TRUNCATE trigger is added to each, and a detached month keeps both until it is dropped.
--
-- Existing rows are copied into their months (a trail this release finds is still small; see
-- docs/operations.md for a large one).

ALTER TABLE audit_event RENAME TO audit_event_unpartitioned;
ALTER INDEX audit_event_pkey RENAME TO audit_event_unpartitioned_pkey;
ALTER INDEX audit_event_resident_idx RENAME TO audit_event_unpartitioned_resident_idx;
ALTER INDEX audit_event_user_idx RENAME TO audit_event_unpartitioned_user_idx;
ALTER INDEX audit_event_household_idx RENAME TO audit_event_unpartitioned_household_idx;
DROP TRIGGER audit_event_no_change ON audit_event_unpartitioned;
DROP TRIGGER audit_event_no_truncate ON audit_event_unpartitioned;

CREATE SEQUENCE audit_event_seq;
SELECT setval('audit_event_seq', (SELECT coalesce(max(id), 0) + 1 FROM audit_event_unpartitioned), false);

CREATE TABLE audit_event (
    id           bigint NOT NULL DEFAULT nextval('audit_event_seq'),
    at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    user_id      bigint,
    role         text,
    district_id  bigint,
    operation    text NOT NULL,
    action       text NOT NULL,
    resident_id  bigint,
    outcome      text NOT NULL,
    detail       text,
    household_id bigint,
    CONSTRAINT audit_event_pkey PRIMARY KEY (id, at),
    CONSTRAINT audit_event_action_check CHECK (action IN ('read', 'search', 'create', 'update', 'import', 'call', 'reveal')),
    CONSTRAINT audit_event_outcome_check CHECK (outcome IN ('ok', 'denied', 'refused'))
) PARTITION BY RANGE (at);
ALTER SEQUENCE audit_event_seq OWNED BY audit_event.id;
CREATE INDEX audit_event_resident_idx ON audit_event (resident_id, id) WHERE resident_id IS NOT NULL;
CREATE INDEX audit_event_user_idx ON audit_event (user_id, id);
CREATE INDEX audit_event_household_idx ON audit_event (household_id, id) WHERE household_id IS NOT NULL;
CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();

-- What the service may do with the trail: add to it and read it, through the parent only.
REVOKE ALL ON audit_event FROM gridcare_service;
GRANT SELECT, INSERT ON audit_event TO gridcare_service;
GRANT USAGE ON SEQUENCE audit_event_seq TO gridcare_service;

-- The months already archived: the file each went to, how many rows, their SHA-256.
CREATE TABLE audit_archive (
    partition   text PRIMARY KEY,
    month       date NOT NULL,
    file        text NOT NULL,
    row_count   bigint NOT NULL,
    sha256      text NOT NULL,
    archived_at timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON audit_archive FROM gridcare_service;
GRANT SELECT ON audit_archive TO gridcare_service;

-- The partition of the month that starts on `month` (a first of the month, China time), made unless it
-- exists: named audit_event_yYYYYmMM, append-only, out of the service's direct reach. Its name, or
-- null when it was there already.
CREATE FUNCTION gridcare_audit_add_month(day_in_month date) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    first_day date := date_trunc('month', day_in_month)::date;
    part text := format('audit_event_y%sm%s', to_char(first_day, 'YYYY'), to_char(first_day, 'MM'));
BEGIN
    IF to_regclass(part) IS NOT NULL THEN RETURN NULL; END IF;
    EXECUTE format(
        'CREATE TABLE %I PARTITION OF audit_event FOR VALUES FROM (%L) TO (%L)', part,
        (first_day::timestamp AT TIME ZONE 'Asia/Shanghai'), ((first_day + interval '1 month')::timestamp AT TIME ZONE 'Asia/Shanghai'));
    EXECUTE format('CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()', part);
    EXECUTE format('REVOKE ALL ON %I FROM gridcare_service', part);
    RETURN part;
END
$$;

-- This month's partition and the next `months_ahead` months'; the names made. Several service copies
-- may call it at once (they take turns); a lock it cannot have within two seconds (a long report on
-- the trail) makes it give up until the next tick rather than stop every audited read behind it.
CREATE FUNCTION gridcare_audit_prepare(months_ahead integer) RETURNS SETOF text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    this_month date := date_trunc('month', now() AT TIME ZONE 'Asia/Shanghai')::date;
    made text;
BEGIN
    PERFORM set_config('lock_timeout', '2s', true);
    PERFORM pg_advisory_xact_lock(hashtext('gridcare_audit_partitions'));
    FOR i IN 0..greatest(months_ahead, 0) LOOP
        BEGIN
            made := gridcare_audit_add_month((this_month + make_interval(months => i))::date);
            IF made IS NOT NULL THEN RETURN NEXT made; END IF;
        EXCEPTION WHEN check_violation THEN
            -- The catch-all already holds rows of that month (the clock was off for months): they stay
            -- there, and the month is not made; the service logs the warning.
            RAISE WARNING 'audit month % not made: audit_event_later holds rows of it', (this_month + make_interval(months => i))::date;
        END;
    END LOOP;
END
$$;

-- The month a partition holds (from its bound), or null for a table that is not an audit month.
CREATE FUNCTION gridcare_audit_month_of(part text) RETURNS date
LANGUAGE sql IMMUTABLE AS $$
    SELECT make_date(substr(part, 14, 4)::int, substr(part, 19, 2)::int, 1)
    WHERE part ~ '^audit_event_y[0-9]{4}m[0-9]{2}$'
$$;

-- Detaches every month that ended more than `keep_months` months before this one began (at least 6):
-- the detached table keeps its append-only triggers and the service may read it, to export it.
-- The names detached.
CREATE FUNCTION gridcare_audit_detach(keep_months integer) RETURNS SETOF text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    oldest_kept date := (date_trunc('month', now() AT TIME ZONE 'Asia/Shanghai') - make_interval(months => keep_months))::date;
    part text;
BEGIN
    IF keep_months < 6 THEN
        RAISE EXCEPTION 'the audit trail is kept at least 6 months (asked for %)', keep_months USING ERRCODE = 'check_violation';
    END IF;
    PERFORM set_config('lock_timeout', '2s', true);
    PERFORM pg_advisory_xact_lock(hashtext('gridcare_audit_partitions'));
    FOR part IN
        SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'audit_event'::regclass AND gridcare_audit_month_of(c.relname) < oldest_kept
        ORDER BY c.relname
    LOOP
        EXECUTE format('ALTER TABLE audit_event DETACH PARTITION %I', part);
        -- Detaching drops the triggers cloned from the parent; the month stays append-only until dropped.
        EXECUTE format('CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()', part);
        EXECUTE format('GRANT SELECT ON %I TO gridcare_service', part);
        RETURN NEXT part;
    END LOOP;
END
$$;

-- Months detached and not yet dropped (a detach whose export did not finish is exported next time).
CREATE FUNCTION gridcare_audit_detached() RETURNS SETOF text
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT c.relname::text FROM pg_class c
    WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace AND gridcare_audit_month_of(c.relname) IS NOT NULL
      AND NOT EXISTS (SELECT FROM pg_inherits i WHERE i.inhrelid = c.oid)
    ORDER BY c.relname
$$;

-- Drops a detached month once its export is on file: only a detached audit month, only when it still
-- holds exactly the rows the export counted, and the export is recorded in the same transaction.
CREATE FUNCTION gridcare_audit_drop(part text, file text, row_count bigint, sha256 text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    held bigint;
BEGIN
    IF part NOT IN (SELECT gridcare_audit_detached()) THEN
        RAISE EXCEPTION '% is not a detached audit month', part USING ERRCODE = 'check_violation';
    END IF;
    EXECUTE format('SELECT count(*) FROM %I', part) INTO held;
    IF held <> row_count THEN
        RAISE EXCEPTION '% holds % rows, the export % ', part, held, row_count USING ERRCODE = 'check_violation';
    END IF;
    INSERT INTO audit_archive (partition, month, file, row_count, sha256)
    VALUES (part, gridcare_audit_month_of(part), file, row_count, sha256);
    EXECUTE format('DROP TABLE %I', part);
END
$$;

REVOKE ALL ON FUNCTION gridcare_audit_add_month(date), gridcare_audit_prepare(integer), gridcare_audit_detach(integer),
    gridcare_audit_detached(), gridcare_audit_drop(text, text, bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gridcare_audit_prepare(integer), gridcare_audit_detach(integer), gridcare_audit_detached(),
    gridcare_audit_drop(text, text, bigint, text) TO gridcare_service;

-- A catch-all, so that an audited read never fails for want of a month (the clock keeps three months
-- ahead; this only fills if it stops for that long). Never detached: rows here are kept until moved by hand.
CREATE TABLE audit_event_later PARTITION OF audit_event DEFAULT;
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event_later
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();
REVOKE ALL ON audit_event_later FROM gridcare_service;

-- Every month that has rows, and the next three.
SELECT gridcare_audit_add_month(m::date)
FROM generate_series(
    coalesce((SELECT date_trunc('month', min(at) AT TIME ZONE 'Asia/Shanghai') FROM audit_event_unpartitioned),
             date_trunc('month', now() AT TIME ZONE 'Asia/Shanghai')),
    date_trunc('month', now() AT TIME ZONE 'Asia/Shanghai') + interval '3 months',
    interval '1 month') AS m;
INSERT INTO audit_event (id, at, user_id, role, district_id, operation, action, resident_id, outcome, detail, household_id)
SELECT id, at, user_id, role, district_id, operation, action, resident_id, outcome, detail, household_id
FROM audit_event_unpartitioned;
DROP TABLE audit_event_unpartitioned;
