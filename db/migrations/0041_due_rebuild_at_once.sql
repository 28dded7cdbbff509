-- Recomputing every resident's due visits at once (issue 20: under 10 s for a million residents).
-- gridcare_due_rebuild handed every resident's id to gridcare_due_refresh, which sorted and deduplicated
-- the million ids, joined them back to resident, deleted the table row by row and inserted it again through
-- its three indexes, each insert of a key finding the deleted row's entry first: 25 s on the
-- 1,000,000-resident dashboard district, 21 s of it in the database (auto_explain: DELETE 1.8 s, the
-- ids 1.4 s, the INSERT 18.8 s of which 9 s writing rows and index entries).
--
-- The rules stay written once: the statement below is a template whose one hole is where the residents
-- come from, and this migration writes it into both functions as static SQL, so each keeps a plan of its
-- own (a write's refresh plans for a few residents by index, the rebuild for all of them by hash; one
-- statement for both would re-plan every write or keep one bad plan). The statement is 0026's, unchanged.
--
-- The rebuild empties the table (TRUNCATE: readers wait for its commit instead of reading the old rows,
-- acceptable for what runs at start when the rule figures change, or from the CLI), drops its indexes and
-- constraints' indexes, inserts, and builds them again from their own definitions (sorting once is
-- cheaper than 606,206 inserts into each), with the memory the sorts and hashes need and JIT off (its
-- compilation cost more than it saved here).
DO $migration$
DECLARE
    rules constant text := $rules$
    INSERT INTO due_visit (resident_id, district_id, micro_grid_id, name, visit, rule, basis, due_on, year_clamped, last_on,
                           active_from, active_until, tier, alerted)
    WITH people AS %1$s (
        SELECT r.id, r.district_id, r.micro_grid_id, r.name, r.birth_date, r.conditions,
               make_date(extract(year FROM r.birth_date)::int + ru.annual_check_age, 1, 1) AS check_age_on
        FROM %2$s
    ),
    last AS MATERIALIZED (
        SELECT s.resident_id, s.visit, max((s.performed_at AT TIME ZONE ru.time_zone)::date) AS last_on
        FROM people p JOIN service_entry s ON s.resident_id = p.id WHERE s.visit IS NOT NULL
        GROUP BY s.resident_id, s.visit
    ),
    flags AS MATERIALIZED (
        SELECT f.resident_id, f.category, f.tier, (f.decided_at AT TIME ZONE ru.time_zone)::date AS since
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
               coalesce(l.last_on + ru.annual_check_interval_days, p.check_age_on), l.last_on IS NULL, l.last_on,
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
    FROM due d JOIN people p ON p.id = d.id LEFT JOIN tiers t ON t.resident_id = d.id LEFT JOIN alerted a ON a.resident_id = d.id
$rules$;
BEGIN
    EXECUTE format($fn$
CREATE OR REPLACE FUNCTION gridcare_due_refresh(p_ids bigint[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $body$
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
        PERFORM pg_advisory_xact_lock(1685417317, (i %% 2147483647)::integer) FROM unnest(ids) AS i;
    END IF;
    -- Joined to unnest(ids), not `= ANY (ids)`: the planner then sees how many residents there are and
    -- picks index lookups for one and hash joins for a district.
    DELETE FROM due_visit d USING unnest(ids) AS i(id) WHERE d.resident_id = i.id;
%s;
END $body$
$fn$, format(rules, 'MATERIALIZED', 'unnest(ids) AS i(id) JOIN resident r ON r.id = i.id'));

    EXECUTE format($fn$
CREATE OR REPLACE FUNCTION gridcare_due_rebuild() RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
SET work_mem = '256MB' SET maintenance_work_mem = '256MB' SET jit = off
SET enable_hashjoin = off SET enable_hashagg = off AS $body$
DECLARE
    ru visit_rules;
    keys text[][];
    indexes text[][];
    n bigint;
BEGIN
    SELECT * INTO STRICT ru FROM visit_rules;
    TRUNCATE due_visit;
    SELECT coalesce(array_agg(ARRAY[quote_ident(c.conname), pg_get_constraintdef(c.oid)]), '{}') INTO keys
    FROM pg_constraint c WHERE c.conrelid = 'due_visit'::regclass AND c.contype IN ('p', 'u', 'x');
    SELECT coalesce(array_agg(ARRAY[i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)]), '{}') INTO indexes
    FROM pg_index i WHERE i.indrelid = 'due_visit'::regclass
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid);
    FOR k IN 1 .. coalesce(array_length(keys, 1), 0) LOOP
        EXECUTE format('ALTER TABLE due_visit DROP CONSTRAINT %%s', keys[k][1]);
    END LOOP;
    FOR k IN 1 .. coalesce(array_length(indexes, 1), 0) LOOP
        EXECUTE format('DROP INDEX %%s', indexes[k][1]);
    END LOOP;
%s;
    GET DIAGNOSTICS n = ROW_COUNT;
    FOR k IN 1 .. coalesce(array_length(keys, 1), 0) LOOP
        EXECUTE format('ALTER TABLE due_visit ADD CONSTRAINT %%s %%s', keys[k][1], keys[k][2]);
    END LOOP;
    FOR k IN 1 .. coalesce(array_length(indexes, 1), 0) LOOP
        EXECUTE indexes[k][2];
    END LOOP;
    RETURN n;
END $body$
$fn$, format(rules, 'NOT MATERIALIZED', 'resident r'));
END $migration$;
