#!/usr/bin/env bash
# GET /v1/residents/{id} under load (wrk) beside pgbench running the same SELECT, in one run.
# Usage: bench/read.sh [RESIDENTS] [SECONDS]   (defaults 200,000 and 20)
source "$(dirname "$0")/common.sh"
N=${1:-200000}; SECS=${2:-20}; PORT=18089
command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null; }
URL=$(bench_db gc_bench_read)
export GRIDCARE_DATABASE_URL="$URL"
"$BIN" demo --residents "$N" --seed 78 --log-level warning >/dev/null
MIN=$(psql "$URL" -qAtc "SELECT min(id) FROM resident"); MAX=$(psql "$URL" -qAtc "SELECT max(id) FROM resident")

"$BIN" serve --port $PORT --log-level warning & SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done

cat > "$OUT/read.lua" <<LUA
math.randomseed(42)
request = function() return wrk.format("GET", "/v1/residents/" .. math.random($MIN, $MAX)) end
LUA
echo "== gridcare API: wrk -t2 -c32 -d${SECS}s"
wrk -t2 -c32 -d"${SECS}s" --latency -s "$OUT/read.lua" "http://127.0.0.1:$PORT" | grep -E "Requests/sec|50%|99%|Non-2xx|Socket errors" || true
kill $SERVER; wait $SERVER 2>/dev/null || true; trap - EXIT

# The same statement the store runs for one resident.
cat > "$OUT/read.sql" <<SQL
\set id random($MIN, $MAX)
SELECT r.id, r.district_id, r.household_id, h.micro_grid_id, r.name, r.sex::text, to_char(r.birth_date, 'YYYY-MM-DD'),
       left(r.id_number, 6) || '********' || right(r.id_number, 4), r.phone, r.conditions, r.circumstances, c.team_id, r.version
FROM resident r JOIN household h ON h.id = r.household_id
LEFT JOIN care_team_catchment c ON c.micro_grid_id = h.micro_grid_id WHERE r.id = :id;
SQL
echo "== pgbench: same SELECT, -M prepared -c8 -j2 -T${SECS}"
rm -f "$OUT"/pgbench_log.*
(cd "$OUT" && pgbench "$URL" -n -M prepared -c8 -j2 -T"$SECS" -f read.sql -l --log-prefix=pgbench_log 2>/dev/null) | grep -E "^tps|latency average"
cat "$OUT"/pgbench_log.* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {printf "pgbench p50 %.2f ms, p99 %.2f ms\n", a[int(NR*0.5)]/1000, a[int(NR*0.99)]/1000}'
