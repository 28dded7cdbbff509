-- The dashboard's per-micro-grid counts for one period, as IndicatorStore sends them (its figures:
-- 65 years, 2 follow-ups for a half year are replaced by the year-to-date ones: 4 and 2), for
-- bench/dashboard.sh's peer. psql variables: district, from, to.
SET jit = off;
\set start '((' :'from' '::date)::timestamp AT TIME ZONE ''Asia/Shanghai'')'
\set stop '((' :'to' '::date + 1)::timestamp AT TIME ZONE ''Asia/Shanghai'')'
WITH r AS MATERIALIZED (
    SELECT id, micro_grid_id, birth_date <= (:'to'::date - interval '65 years')::date AS old, 'hypertension' = ANY (conditions) AS htn,
           'type2_diabetes' = ANY (conditions) AS dm, conditions && '{hypertension,type2_diabetes,severe_mental_illness}'::text[] AS chronic
    FROM resident WHERE district_id = :district
),
s AS (
    SELECT resident_id, count(*) FILTER (WHERE visit = 'doctor_follow_up') AS fu, count(*) FILTER (WHERE visit = 'annual_check') AS ac,
           count(*) FILTER (WHERE visit = 'home_visit') AS hv, count(*) FILTER (WHERE visit = 'welfare_visit') AS wv
    FROM service_entry
    WHERE district_id = :district AND visit IS NOT NULL AND performed_at >= :start AND performed_at < :stop
    GROUP BY resident_id
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
k AS (SELECT DISTINCT resident_id FROM contract WHERE district_id = :district AND period @> :'to'::date),
f AS (
    SELECT resident_id, min(tier) AS tier, bool_or(category = 'disabled_elderly') AS de FROM risk_flag
    WHERE district_id = :district AND status = 'confirmed' AND decided_at < :stop
    GROUP BY resident_id
)
SELECT r.micro_grid_id, count(*)::int, count(k.resident_id)::int,
       count(*) FILTER (WHERE r.old)::int, count(*) FILTER (WHERE r.old AND s.ac > 0)::int,
       count(*) FILTER (WHERE r.htn)::int, count(*) FILTER (WHERE r.htn AND s.fu > 0)::int, count(*) FILTER (WHERE r.htn AND s.fu >= 4)::int,
       count(*) FILTER (WHERE r.htn AND s.fu > 0 AND bp.diastolic < 90 AND bp.systolic < CASE WHEN r.old THEN 150 ELSE 140 END)::int,
       count(*) FILTER (WHERE r.dm)::int, count(*) FILTER (WHERE r.dm AND s.fu > 0)::int, count(*) FILTER (WHERE r.dm AND s.fu >= 4)::int,
       count(*) FILTER (WHERE r.dm AND s.fu > 0 AND gl.glucose_fasting < 7.0)::int,
       count(*) FILTER (WHERE f.de)::int, count(*) FILTER (WHERE f.de AND s.hv >= 2)::int, count(*) FILTER (WHERE r.chronic)::int,
       coalesce(sum(s.fu) FILTER (WHERE r.chronic), 0)::int, coalesce(sum(s.ac) FILTER (WHERE r.old), 0)::int,
       coalesce(sum(s.hv) FILTER (WHERE f.de), 0)::int, coalesce(sum(s.wv) FILTER (WHERE f.tier IS NOT NULL), 0)::int,
       count(*) FILTER (WHERE f.tier = 'red')::int, count(*) FILTER (WHERE f.tier = 'yellow')::int, count(*) FILTER (WHERE f.tier = 'green')::int
FROM r LEFT JOIN s ON s.resident_id = r.id LEFT JOIN bp ON bp.resident_id = r.id LEFT JOIN gl ON gl.resident_id = r.id
LEFT JOIN k ON k.resident_id = r.id LEFT JOIN f ON f.resident_id = r.id
GROUP BY r.micro_grid_id;
