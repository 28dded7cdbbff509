#!/usr/bin/env bash
# POST /v1/flags under load (wrk): raising a flag on a resident, audited, interleaved with a FastAPI + asyncpg
# peer doing the same statements (two rounds), then pgbench running that database work as separate statements
# (the peer's way) and as the one call Gridcare sends; prints the ratios.
# Each request raises a new flag (one open flag per resident and category): every load walks the residents
# in order with a category of its own, so no request is a refusal.
# Usage: bench/flag.sh [RESIDENTS] [SECONDS]   (defaults 200,000 and 20)
source "$(dirname "$0")/common.sh"
N=${1:-200000}; SECS=${2:-20}; PORT=${BENCH_PORT:-18089}; PEER_PORT=$((PORT + 1))
need_wrk
demo_district gc_bench_flag admin
[ "$((MAX - MIN + 1))" = "$(psql "$URL" -qAtc "SELECT count(*) FROM resident")" ] || { echo "the residents' ids have gaps"; exit 1; }
# Categories the demo never raises, one per load: HTTP rounds first, then the two pgbench runs.
CATEGORIES=(hypertension type2_diabetes severe_mental_illness pregnant other disabled)
USED=$(psql "$URL" -qAtc "SELECT count(*) FROM risk_flag WHERE category::text = ANY ('{$(IFS=,; echo "${CATEGORIES[*]}")}')")
[ "$USED" = 0 ] || { echo "the demo already raised flags of the benchmark's categories"; exit 1; }

peer_venv
NEXT=0
next_load() { # port label → $OUT/flag.lua raises flags of the next category, residents in order from $MIN
  local category=${CATEGORIES[$NEXT]}; NEXT=$((NEXT + 1))
  echo "  ($2 raises $category flags)"
  cat > "$OUT/flag.lua" <<LUA
-- Each of wrk's two threads walks its own half of the residents: thread t takes MIN + t, MIN + t + 2, ...
local threads = 0
setup = function(thread) thread:set("tid", threads); threads = threads + 1 end
local n = 0
request = function()
  local id = $MIN + tid + 2 * n
  n = n + 1
  return wrk.format("POST", "/v1/flags", {["Authorization"] = "Bearer $TOKEN", ["Content-Type"] = "application/json"},
    '{"residentId":' .. id .. ',"category":"$category","tier":"yellow","population":"secondary","note":"独居，子女在外"}')
end
LUA
}
declare -a GC PEER
interleaved "signed in as admin: token check, the raise, its history event and audit row" "$OUT/flag.lua" next_load

# The database work of one raise as pgbench transactions. Each client walks its own residents (client c takes
# MIN + c, MIN + c + 8, ...: variables persist from one transaction to the next), so no raise is refused.
cat > "$OUT/flag-request.sql" <<SQL
\set id $MIN + :client_id + 8 * :n
\set n :n + 1
SELECT * FROM gridcare_authenticate(sha256(convert_to('$TOKEN', 'UTF8')));
BEGIN;
SELECT gridcare_set_scope('1', 'admin', '*', '*', '');
SELECT 1 FROM resident WHERE id = :id;
INSERT INTO risk_flag (district_id, resident_id, micro_grid_id, category, tier, population, note, raised_by)
SELECT r.district_id, r.id, r.micro_grid_id, '${CATEGORIES[4]}'::flag_category, 'yellow'::flag_tier, 'secondary'::flag_population, '独居，子女在外', 1
FROM resident r WHERE r.id = :id
ON CONFLICT (resident_id, category) WHERE status <> 'closed' AND status <> 'dismissed' DO NOTHING
RETURNING id AS flag \gset
INSERT INTO risk_flag_event (flag_id, user_id, action, note) VALUES (:flag, 1, 'raised', '独居，子女在外');
SELECT gridcare_audit(1, 'admin', NULL, 'raiseFlag', 'create', 'ok', 'flag ' || :flag, ARRAY[:id::bigint]);
SELECT * FROM risk_flag_line WHERE id = :flag;
COMMIT;
SQL
cat > "$OUT/flag-one-call.sql" <<SQL
\set id $MIN + :client_id + 8 * :n
\set n :n + 1
SELECT * FROM gridcare_raise_flag(1, 'admin', NULL, '*', '', 'raiseFlag', :id, '${CATEGORIES[5]}', 'yellow', 'secondary', '独居，子女在外');
SQL
echo "== pgbench: the whole database work of one raise as separate statements (the peer's way), -M prepared -c8 -j2 -T${SECS}"
PGB=$(pg flag-request.sql "-c role=gridcare_service" -D n=0 | tee /dev/stderr | awk '/^tps/ {print $3}')
echo "== pgbench: the one call Gridcare sends per raise, -M prepared -c8 -j2 -T${SECS}"
ONE=$(pg flag-one-call.sql "-c role=gridcare_service" -D n=0 | tee /dev/stderr | awk '/^tps/ {print $3}')
echo "== flags raised per load (each request of a load raises one: none refused)"
psql "$URL" -qAt -F' ' -c "SELECT category, count(*) FROM risk_flag WHERE category::text = ANY ('{$(IFS=,; echo "${CATEGORIES[*]}")}') GROUP BY 1 ORDER BY 1" | sed 's/^/  /'
echo "== ratios (round: gridcare req/s and p99 ms; FastAPI req/s; gridcare/FastAPI; gridcare/pgbench of the"
echo "   statements the peer sends; gridcare/pgbench of the one call Gridcare sends)"
ratios "$PGB" "$ONE"
