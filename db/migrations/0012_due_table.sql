-- Due visits kept current by the writes that change them (issue 4: a team's list in a few
-- milliseconds instead of recomputing every resident's records on each request).
--
-- A row is one visit a rule asks of a resident, stated so that it holds for any day: the rule applies
-- on days in [active_from, active_until) (a contract's term, the age for annual checks), and is due on
-- `due_on`, or, when the visit was never made (`year_clamped`), on the later of `due_on` and the first
-- of the day's year. The read applies the day; nothing here goes stale at midnight.
--
-- gridcare_due_refresh(ids) is the one place the rules are written in SQL. Triggers on every table the
-- rules read call it for the residents a statement touched, in the same transaction, so a recorded
-- service or a confirmed flag moves the list at once; two writers of one resident are serialised by an
-- advisory lock so neither writes rows computed before the other's commit.

-- The figures the rules use. The service and the CLI write them from `rules.visits.*` at start
-- (VisitRules is their owner in Swift); a change rebuilds the table.
CREATE TABLE visit_rules (
    only_row                 boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    chronic_interval_days    integer NOT NULL,
    chronic_conditions       text[] NOT NULL,
    annual_check_age         integer NOT NULL,
    home_visit_interval_days integer NOT NULL,
    welfare_days_red         integer NOT NULL,
    welfare_days_yellow      integer NOT NULL,
    welfare_days_green       integer NOT NULL
);
INSERT INTO visit_rules VALUES (true, 91, '{hypertension,severe_mental_illness,type2_diabetes}', 65, 182, 7, 14, 30);

CREATE TABLE due_visit (
    resident_id   bigint NOT NULL,
    district_id   bigint NOT NULL,
    micro_grid_id bigint NOT NULL,
    name          text NOT NULL,
    visit         visit_kind NOT NULL,
    rule          text NOT NULL,
    -- The contract a contract rule follows (a resident has one row per contract term); 0 otherwise.
    basis         bigint NOT NULL,
    due_on        date NOT NULL,
    year_clamped  boolean NOT NULL,
    last_on       date,
    active_from   date,
    active_until  date,
    tier          flag_tier,
    alerted       boolean NOT NULL,
    PRIMARY KEY (resident_id, rule, basis)
);
CREATE INDEX due_visit_grid_idx ON due_visit (micro_grid_id, due_on);
CREATE INDEX due_visit_district_idx ON due_visit (district_id, due_on);

ALTER TABLE due_visit ENABLE ROW LEVEL SECURITY;
CREATE POLICY due_visit_scope ON due_visit USING (
    (SELECT gridcare_scope_district()) IN ('*', district_id::text)
    AND ((SELECT gridcare_scope_all_micro_grids()) OR micro_grid_id = ANY ((SELECT gridcare_scope_micro_grids())::bigint[])));
-- Written only by the functions below, as their owner.
REVOKE INSERT, UPDATE, DELETE ON due_visit, visit_rules FROM gridcare_service;

CREATE FUNCTION gridcare_due_refresh(p_ids bigint[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    ids bigint[] := ARRAY(SELECT DISTINCT i FROM unnest(p_ids) AS i WHERE i IS NOT NULL ORDER BY i);
    ru visit_rules;
BEGIN
    IF cardinality(ids) = 0 THEN RETURN; END IF;
    -- The figures as values, not a joined table: the planner then knows there is one of each.
    SELECT * INTO STRICT ru FROM visit_rules;
    -- Serialise with every other refresh of these residents: the rows below are computed by a statement
    -- that starts after the lock, so they see what an earlier refresher committed. A bulk load locks the
    -- table instead (advisory locks are finite).
    IF cardinality(ids) > 1000 THEN
        LOCK TABLE due_visit IN SHARE ROW EXCLUSIVE MODE;
    ELSE
        PERFORM pg_advisory_xact_lock(1685417317, (i % 2147483647)::integer) FROM unnest(ids) AS i;
    END IF;
    -- Joined to unnest(ids), not `= ANY (ids)`: the planner then sees how many residents there are and
    -- picks index lookups for one and hash joins for a district.
    DELETE FROM due_visit d USING unnest(ids) AS i(id) WHERE d.resident_id = i.id;
    INSERT INTO due_visit (resident_id, district_id, micro_grid_id, name, visit, rule, basis, due_on, year_clamped, last_on,
                           active_from, active_until, tier, alerted)
    WITH people AS MATERIALIZED (
        SELECT r.id, r.district_id, r.micro_grid_id, r.name, r.birth_date, r.conditions,
               (r.birth_date + make_interval(years => ru.annual_check_age))::date AS check_age_on
        FROM unnest(ids) AS i(id) JOIN resident r ON r.id = i.id
    ),
    last AS MATERIALIZED (
        SELECT s.resident_id, s.visit, max((s.performed_at AT TIME ZONE 'Asia/Shanghai')::date) AS last_on
        FROM people p JOIN service_entry s ON s.resident_id = p.id WHERE s.visit IS NOT NULL
        GROUP BY s.resident_id, s.visit
    ),
    flags AS MATERIALIZED (
        SELECT f.resident_id, f.category, f.tier, (f.decided_at AT TIME ZONE 'Asia/Shanghai')::date AS since
        FROM people p JOIN risk_flag f ON f.resident_id = p.id WHERE f.status = 'confirmed'
    ),
    tiers AS (SELECT resident_id, min(tier) AS tier FROM flags GROUP BY resident_id),
    alerted AS (SELECT DISTINCT a.resident_id FROM people p JOIN alert a ON a.resident_id = p.id WHERE a.status = 'open'),
    due AS (
        -- Chronic follow-ups, every contract term of a resident with a chronic condition.
        SELECT p.id, 'doctor_follow_up'::visit_kind AS visit, 'chronic_follow_up' AS rule, k.id AS basis,
               coalesce(l.last_on + ru.chronic_interval_days, k.starts_on) AS due_on, l.last_on IS NULL AS year_clamped, l.last_on,
               k.starts_on AS active_from, coalesce(k.ended_on, k.term_ends_on) AS active_until
        FROM people p JOIN contract k ON k.resident_id = p.id
        LEFT JOIN last l ON l.resident_id = p.id AND l.visit = 'doctor_follow_up'
        WHERE p.conditions && ru.chronic_conditions
      UNION ALL
        -- The annual check, from the age on, within a contract term.
        SELECT p.id, 'annual_check', 'annual_check', k.id,
               coalesce(l.last_on + 365, p.check_age_on), l.last_on IS NULL, l.last_on,
               greatest(k.starts_on, p.check_age_on), coalesce(k.ended_on, k.term_ends_on)
        FROM people p JOIN contract k ON k.resident_id = p.id
        LEFT JOIN last l ON l.resident_id = p.id AND l.visit = 'annual_check'
        WHERE p.check_age_on < coalesce(k.ended_on, k.term_ends_on)
      UNION ALL
        -- Home visits of the disabled elderly, from the flag's confirmation.
        SELECT f.resident_id, 'home_visit', 'disabled_elderly_home_visit', 0,
               coalesce(l.last_on + ru.home_visit_interval_days, f.since), false, l.last_on, NULL::date, NULL::date
        FROM flags f LEFT JOIN last l ON l.resident_id = f.resident_id AND l.visit = 'home_visit'
        WHERE f.category = 'disabled_elderly'
      UNION ALL
        -- Welfare visits of every flagged resident, as often as the most urgent tier asks.
        SELECT w.resident_id, 'welfare_visit', 'welfare_visit', 0, coalesce(l.last_on + w.days, w.since), false, l.last_on, NULL, NULL
        FROM (SELECT DISTINCT ON (f.resident_id) f.resident_id, f.since,
                     CASE f.tier WHEN 'red' THEN ru.welfare_days_red WHEN 'yellow' THEN ru.welfare_days_yellow
                                 ELSE ru.welfare_days_green END AS days
              FROM flags f ORDER BY f.resident_id, f.tier) w
        LEFT JOIN last l ON l.resident_id = w.resident_id AND l.visit = 'welfare_visit'
      UNION ALL
        -- The earliest open follow-up a reading or a discharge asked for.
        SELECT u.resident_id, 'doctor_follow_up',
               CASE u.rule WHEN 'referral_discharge' THEN 'follow_up_after_discharge' ELSE 'follow_up_after_reading' END, 0,
               u.due_by, false, NULL, NULL, NULL
        FROM (SELECT DISTINCT ON (u.resident_id) u.resident_id, u.due_by, u.rule FROM people p JOIN follow_up u ON u.resident_id = p.id
              WHERE u.done_by_service IS NULL
              ORDER BY u.resident_id, u.due_by, u.rule = 'referral_discharge' DESC) u
    )
    SELECT d.id, p.district_id, p.micro_grid_id, p.name, d.visit, d.rule, d.basis, d.due_on, d.year_clamped, d.last_on,
           d.active_from, d.active_until, t.tier, a.resident_id IS NOT NULL
    FROM due d JOIN people p ON p.id = d.id LEFT JOIN tiers t ON t.resident_id = d.id LEFT JOIN alerted a ON a.resident_id = d.id;
END $$;

-- Every resident again: after the rules change, or to check the table against a fresh computation.
CREATE FUNCTION gridcare_due_rebuild() RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE n bigint;
BEGIN
    LOCK TABLE due_visit IN SHARE ROW EXCLUSIVE MODE;
    PERFORM gridcare_due_refresh(ARRAY(SELECT id FROM resident));
    SELECT count(*) INTO n FROM due_visit;
    RETURN n;
END $$;

-- The statement-level trigger behind every table the rules read; its argument names the column that
-- holds the resident's id.
CREATE FUNCTION gridcare_due_touch() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE ids bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        EXECUTE format('SELECT array_agg(%I) FROM new_rows', TG_ARGV[0]) INTO ids;
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE format('SELECT array_agg(%I) FROM old_rows', TG_ARGV[0]) INTO ids;
    ELSE
        EXECUTE format('SELECT array_agg(x) FROM (SELECT %1$I AS x FROM new_rows UNION SELECT %1$I FROM old_rows) u', TG_ARGV[0]) INTO ids;
    END IF;
    PERFORM gridcare_due_refresh(ids);
    RETURN NULL;
END $$;

DO $$
DECLARE t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES ('resident', 'id'), ('contract', 'resident_id'), ('service_entry', 'resident_id'),
                                   ('risk_flag', 'resident_id'), ('follow_up', 'resident_id'), ('alert', 'resident_id')) AS v(tab, col)
    LOOP
        -- A resident just written has no contract, flag or service yet, so nothing due: imports and the
        -- demo's million residents skip the refresh.
        IF t.tab <> 'resident' THEN
            EXECUTE format('CREATE TRIGGER %1$s_due_insert AFTER INSERT ON %1$I REFERENCING NEW TABLE AS new_rows
                            FOR EACH STATEMENT EXECUTE FUNCTION gridcare_due_touch(%2$L)', t.tab, t.col);
        END IF;
        EXECUTE format('CREATE TRIGGER %1$s_due_update AFTER UPDATE ON %1$I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION gridcare_due_touch(%2$L)', t.tab, t.col);
        EXECUTE format('CREATE TRIGGER %1$s_due_delete AFTER DELETE ON %1$I REFERENCING OLD TABLE AS old_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION gridcare_due_touch(%2$L)', t.tab, t.col);
    END LOOP;
END $$;

REVOKE ALL ON FUNCTION gridcare_due_refresh(bigint[]), gridcare_due_rebuild() FROM PUBLIC;

SELECT gridcare_due_rebuild();
