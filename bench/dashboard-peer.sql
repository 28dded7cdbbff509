-- The dashboard's per-micro-grid counts for one period, as IndicatorStore sends them and with its
-- settings (its figures: 65 years, 4 follow-ups and 2 home visits a year), for bench/dashboard.sh's peer.
-- psql variables: district, from, to.
SET jit = off;
SET work_mem = '64MB';
SET max_parallel_workers_per_gather = 0;
SET random_page_cost = 1.1;
\set start '((' :'from' '::date)::timestamp AT TIME ZONE ''Asia/Shanghai'')'
\set stop '((' :'to' '::date + 1)::timestamp AT TIME ZONE ''Asia/Shanghai'')'
\set born '(:''to''::date - interval ''65 years'')::date'
WITH pop AS (
    SELECT micro_grid_id, sum(residents)::int AS residents,
           coalesce(sum(residents) FILTER (WHERE 'hypertension' = ANY (conditions)), 0)::int AS htn,
           coalesce(sum(residents) FILTER (WHERE 'type2_diabetes' = ANY (conditions)), 0)::int AS dm,
           coalesce(sum(residents) FILTER (WHERE conditions && '{hypertension,type2_diabetes,severe_mental_illness}'::text[]), 0)::int AS chronic
    FROM resident_census WHERE district_id = :district GROUP BY micro_grid_id HAVING sum(residents) > 0
),
old AS (
    SELECT micro_grid_id, count(*)::int AS aged65 FROM resident WHERE district_id = :district AND birth_date <= :born GROUP BY micro_grid_id
),
k AS (
    SELECT micro_grid_id, count(DISTINCT resident_id)::int AS contracted FROM contract
    WHERE district_id = :district AND period @> :'to'::date GROUP BY micro_grid_id
),
s AS (
    SELECT resident_id, count(*) FILTER (WHERE visit = 'doctor_follow_up') AS fu, count(*) FILTER (WHERE visit = 'annual_check') AS ac,
           count(*) FILTER (WHERE visit = 'home_visit') AS hv, count(*) FILTER (WHERE visit = 'welfare_visit') AS wv
    FROM service_entry
    WHERE district_id = :district AND visit IS NOT NULL AND performed_at >= :start AND performed_at < :stop
    GROUP BY resident_id
),
fl AS (
    SELECT f.micro_grid_id, count(*) FILTER (WHERE f.de)::int AS de, count(*) FILTER (WHERE f.de AND s.hv >= 2)::int AS de_visited,
           coalesce(sum(s.hv) FILTER (WHERE f.de), 0)::int AS hv_done, coalesce(sum(s.wv), 0)::int AS wv_done,
           count(*) FILTER (WHERE f.tier = 'red')::int AS red, count(*) FILTER (WHERE f.tier = 'yellow')::int AS yellow,
           count(*) FILTER (WHERE f.tier = 'green')::int AS green
    FROM (
        SELECT resident_id, min(micro_grid_id) AS micro_grid_id, min(tier) AS tier, bool_or(category = 'disabled_elderly') AS de FROM risk_flag
        WHERE district_id = :district AND status = 'confirmed' AND decided_at < :stop
        GROUP BY resident_id
    ) AS f LEFT JOIN s USING (resident_id)
    GROUP BY f.micro_grid_id
),
bp AS (
    SELECT DISTINCT ON (resident_id) resident_id, systolic, diastolic FROM vital_reading
    WHERE district_id = :district AND systolic IS NOT NULL AND measured_at >= :start AND measured_at < :stop
    ORDER BY resident_id, measured_at DESC, id DESC
),
gl AS (
    SELECT DISTINCT ON (resident_id) resident_id, glucose_fasting FROM vital_reading
    WHERE district_id = :district AND glucose_fasting IS NOT NULL AND measured_at >= :start AND measured_at < :stop
    ORDER BY resident_id, measured_at DESC, id DESC
),
sv AS (
    SELECT r.micro_grid_id,
       count(*) FILTER (WHERE r.birth_date <= :born AND s.ac > 0)::int AS checked65,
       count(*) FILTER (WHERE 'hypertension' = ANY (r.conditions) AND s.fu > 0)::int AS htn_managed,
       count(*) FILTER (WHERE 'hypertension' = ANY (r.conditions) AND s.fu >= 4)::int AS htn_standard,
       count(*) FILTER (WHERE 'hypertension' = ANY (r.conditions) AND s.fu > 0 AND bp.diastolic < 90 AND bp.systolic < CASE WHEN r.birth_date <= :born THEN 150 ELSE 140 END)::int AS htn_controlled,
       count(*) FILTER (WHERE 'type2_diabetes' = ANY (r.conditions) AND s.fu > 0)::int AS dm_managed,
       count(*) FILTER (WHERE 'type2_diabetes' = ANY (r.conditions) AND s.fu >= 4)::int AS dm_standard,
       count(*) FILTER (WHERE 'type2_diabetes' = ANY (r.conditions) AND s.fu > 0 AND gl.glucose_fasting < 7.0)::int AS dm_controlled,
       coalesce(sum(s.fu) FILTER (WHERE r.conditions && '{hypertension,type2_diabetes,severe_mental_illness}'::text[]), 0)::int AS fu_done,
       coalesce(sum(s.ac) FILTER (WHERE r.birth_date <= :born), 0)::int AS ac_done
    FROM s JOIN resident r ON r.id = s.resident_id AND r.district_id = :district
    LEFT JOIN bp ON bp.resident_id = s.resident_id LEFT JOIN gl ON gl.resident_id = s.resident_id
    WHERE s.fu > 0 OR s.ac > 0
    GROUP BY r.micro_grid_id
)
SELECT micro_grid_id, residents, coalesce(contracted, 0), coalesce(aged65, 0), coalesce(checked65, 0), htn, coalesce(htn_managed, 0), coalesce(htn_standard, 0), coalesce(htn_controlled, 0),
  dm, coalesce(dm_managed, 0), coalesce(dm_standard, 0), coalesce(dm_controlled, 0), coalesce(de, 0), coalesce(de_visited, 0), chronic,
  coalesce(fu_done, 0), coalesce(ac_done, 0), coalesce(hv_done, 0), coalesce(wv_done, 0), coalesce(red, 0), coalesce(yellow, 0), coalesce(green, 0)
FROM pop LEFT JOIN old USING (micro_grid_id) LEFT JOIN k USING (micro_grid_id) LEFT JOIN fl USING (micro_grid_id) LEFT JOIN sv USING (micro_grid_id);
