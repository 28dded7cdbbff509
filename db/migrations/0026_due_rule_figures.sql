-- The due-visit SQL reads every figure of its rules from visit_rules (issue 16, item 2): the annual
-- check's interval and the zone whose calendar days the rules count in were written into
-- gridcare_due_refresh (365 and 'Asia/Shanghai'); they are now columns that VisitRules (Swift, the owner
-- of the figures) adopts at start-up like the others. Otherwise the function is 0016's.

ALTER TABLE visit_rules ADD COLUMN annual_check_interval_days integer NOT NULL DEFAULT 365,
                        ADD COLUMN time_zone text NOT NULL DEFAULT 'Asia/Shanghai';

CREATE OR REPLACE FUNCTION gridcare_due_refresh(p_ids bigint[]) RETURNS void
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
               make_date(extract(year FROM r.birth_date)::int + ru.annual_check_age, 1, 1) AS check_age_on
        FROM unnest(ids) AS i(id) JOIN resident r ON r.id = i.id
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
    FROM due d JOIN people p ON p.id = d.id LEFT JOIN tiers t ON t.resident_id = d.id LEFT JOIN alerted a ON a.resident_id = d.id;
END $$;
-- The figures are the ones the function wrote before, so the table needs no rebuild here.
