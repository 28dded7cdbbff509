#!/usr/bin/env bash
# The 3-hour mobilisation check at city scale (issue 6 target: 119,000 micro-grids in under 60 s),
# through the real path: `gridcare mobilisation check` reads every household of the district from
# PostgreSQL and checks every micro-grid on all cores. The city is generated in SQL: one district with
# 300 streets, 3,000 communities, 14,000 grids and MICRO_GRIDS micro-grids of 30–100 households each
# (≈ 65 on average, ≈ 7.7 million households), scattered in squares of 300–800 m, with the forces below.
# Peer: psql reading the same rows (\copy to /dev/null) in the same run.
# Usage: bench/mobilisation.sh [MICRO_GRIDS]   (default 119,000); REUSE=1 keeps the database.
source "$(dirname "$0")/common.sh"
M=${1:-119000}; DB=gc_bench_mobilisation
if [ -z "${REUSE:-}" ]; then
  URL=$(bench_db $DB)
  GRIDCARE_DATABASE_URL="$URL" "$BIN" migrate --log-level warning >/dev/null
  t0=$(now)
  psql "$URL" -q -v ON_ERROR_STOP=1 -v m="$M" <<'SQL'
INSERT INTO area (id, level, parent_id, district_id, name) VALUES (1, 'district', NULL, 1, '模拟城市');
INSERT INTO area (id, level, parent_id, district_id, name) SELECT 1 + s, 'street', 1, 1, '街道' || s FROM generate_series(1, 300) s;
INSERT INTO area (id, level, parent_id, district_id, name) SELECT 10000 + c, 'community', 2 + (c - 1) % 300, 1, '社区' || c FROM generate_series(1, 3000) c;
INSERT INTO area (id, level, parent_id, district_id, name) SELECT 100000 + g, 'grid', 10001 + (g - 1) % 3000, 1, '网格' || g FROM generate_series(1, 14000) g;
INSERT INTO area (id, level, parent_id, district_id, name) SELECT 1000000 + x, 'micro_grid', 100001 + (x - 1) % 14000, 1, '微网格' || x FROM generate_series(1, :m) x;
-- Each micro-grid's forces, as in the demo district: its worker; party members who 包户 (one for every 20
-- households), 2–5 building leaders and 0–3 volunteers; one micro-grid in twelve is thin (its worker and
-- at most one building leader).
INSERT INTO worker (district_id, role, name, area_id)
  SELECT 1, 'micro_grid_worker', '网格员', a.id FROM area a WHERE a.level = 'micro_grid';
INSERT INTO worker (district_id, role, name, area_id)
  SELECT 1, f.role::worker_role, '网格力量', a.id
  FROM area a CROSS JOIN LATERAL (
    SELECT 'party_member' AS role, greatest(1, (30 + (a.id * 7919) % 71) / 20) AS n WHERE a.id % 12 <> 0
    UNION ALL SELECT 'building_leader', CASE WHEN a.id % 12 <> 0 THEN 2 + a.id % 4 WHEN a.id % 24 = 0 THEN 1 ELSE 0 END
    UNION ALL SELECT 'volunteer', a.id / 12 % 4 WHERE a.id % 12 <> 0) f
  CROSS JOIN LATERAL generate_series(1, f.n) k
  WHERE a.level = 'micro_grid';
INSERT INTO household (district_id, micro_grid_id, address, latitude, longitude, code_token)
  SELECT 1, a.id, '模拟路' || h || '号',
         30.40 + (a.id % 400) * 0.0015 + random() * (0.0027 + (a.id % 6) * 0.0009),
         103.80 + (a.id / 400 % 300) * 0.0015 + random() * (0.0031 + (a.id % 6) * 0.0010),
         a.id || '-' || h
  FROM area a CROSS JOIN LATERAL generate_series(1, 30 + (a.id * 7919) % 71) h WHERE a.level = 'micro_grid';
ANALYZE area; ANALYZE worker; ANALYZE household;
SQL
  t1=$(now)
  printf 'generated the city in SQL: %.1f s\n' "$(echo "$t1 - $t0" | bc)"
else
  URL="${SERVER_URL%/*}/$DB"
fi
export GRIDCARE_DATABASE_URL="$URL"
q() { psql "$URL" -qAtc "$1"; }
echo "micro-grids $(q "SELECT count(*) FROM area WHERE level = 'micro_grid'"), households $(q "SELECT count(*) FROM household"), workers $(q "SELECT count(*) FROM worker")"
for _ in 1 2; do
  t0=$(now); psql "$URL" -qc "\\copy (SELECT micro_grid_id, latitude, longitude FROM household WHERE district_id = 1 ORDER BY micro_grid_id, id) TO '/dev/null'"; t1=$(now)
  printf 'peer: psql \\copy of the households it reads: %.1f s\n' "$(echo "$t1 - $t0" | bc)"
  for kind in notice door-to-door; do
    t0=$(now); "$BIN" mobilisation check --district 1 --kind $kind --log-level warning --format csv > "$OUT/mobilisation-$kind.csv"; t1=$(now)
    printf 'gridcare mobilisation check --district 1 --kind %s (process, read, check on %s cores): %.1f s; %s micro-grids fail\n' \
      "$kind" "$(nproc)" "$(echo "$t1 - $t0" | bc)" "$(($(wc -l < "$OUT/mobilisation-$kind.csv") - 1))"
  done
done
