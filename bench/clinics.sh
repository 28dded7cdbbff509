#!/usr/bin/env bash
# A year of clinic sessions for 2,000 stations: `gridcare clinics generate` (holiday calendar applied,
# set-based writes per clinic) beside one set-based SQL statement pair run by psql (no holidays), in
# the same run, on the same clinics. Usage: bench/clinics.sh [STATIONS]   (default 2000)
source "$(dirname "$0")/common.sh"
S=${1:-2000}
URL=$(bench_db gc_bench_clinics)
export GRIDCARE_DATABASE_URL="$URL"
"$BIN" demo --residents 300000 --seed 80 --no-users --log-level warning >/dev/null
q() { psql "$URL" -v ON_ERROR_STOP=1 -qAtc "$1"; }
# Each station belongs to a team's centre; a team's clinics take different weekdays and hours.
q "INSERT INTO facility (kind, district_id, area_id, centre_id, name)
   SELECT 'station', t.district_id, c.area_id, t.centre_id, 'bench station ' || g
   FROM generate_series(0, $S - 1) g
   CROSS JOIN LATERAL (SELECT * FROM care_team ORDER BY id OFFSET g % (SELECT count(*) FROM care_team) LIMIT 1) t
   JOIN facility c ON c.id = t.centre_id"
q "INSERT INTO clinic (district_id, station_id, team_id, weekday, starts_at, ends_at, slot_minutes, capacity_per_slot, valid_from)
   SELECT s.district_id, s.id, t.id, 1 + (s.k / n.nt) % 5, make_time((8 + (s.k / (n.nt * 5)) % 10)::int, 0, 0),
          make_time((8 + (s.k / (n.nt * 5)) % 10)::int, 50, 0), 10, 2, '2026-01-01'
   FROM (SELECT id, district_id, row_number() OVER (ORDER BY id) - 1 AS k FROM facility WHERE name LIKE 'bench station %') s
   CROSS JOIN (SELECT count(*) AS nt FROM care_team) n
   CROSS JOIN LATERAL (SELECT id FROM care_team ORDER BY id OFFSET s.k % n.nt LIMIT 1) t"
echo "clinics: $(q "SELECT count(*) FROM clinic"), teams: $(q "SELECT count(*) FROM care_team")"
empty() { q "TRUNCATE session_slot, clinic_session CASCADE"; q "CHECKPOINT"; }
gen() {
  local t0 t1; t0=$(now); "$BIN" clinics generate --from 2026-01-05 --weeks 52 --log-level warning; t1=$(now)
  printf '  wall %.2f s\n' "$(echo "$t1 - $t0" | bc)"
}
peer() {
  local t0 t1; t0=$(now)
  psql "$URL" -v ON_ERROR_STOP=1 -q <<'SQL'
BEGIN;
INSERT INTO clinic_session (district_id, clinic_id, on_date, starts_at, ends_at)
SELECT c.district_id, c.id, d::date, c.starts_at, c.ends_at
FROM clinic c CROSS JOIN generate_series('2026-01-05'::date, '2027-01-03'::date, interval '1 day') d
WHERE extract(isodow FROM d) = c.weekday
ON CONFLICT (clinic_id, on_date) DO NOTHING;
INSERT INTO session_slot (session_id, slot, starts_at, capacity)
SELECT s.id, n, s.starts_at + (n - 1) * c.slot_minutes * interval '1 minute', c.capacity_per_slot
FROM clinic_session s JOIN clinic c ON c.id = s.clinic_id
CROSS JOIN LATERAL generate_series(1, (upper(c.minutes) - lower(c.minutes)) / c.slot_minutes) n;
COMMIT;
SQL
  t1=$(now); printf '  psql set-based SQL (no holidays): %.2f s\n' "$(echo "$t1 - $t0" | bc)"
}
for round in 1 2; do
  echo "== round $round"
  empty; echo "gridcare clinics generate --weeks 52 (fresh):"; gen
  echo "again (idempotent):"; gen
  echo "sessions $(q "SELECT count(*) FROM clinic_session"), slots $(q "SELECT count(*) FROM session_slot")"
  empty; peer
  echo "sessions $(q "SELECT count(*) FROM clinic_session"), slots $(q "SELECT count(*) FROM session_slot")"
done
