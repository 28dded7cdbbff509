#!/usr/bin/env bash
# GET /v1/residents?limit=100 under load (wrk): a grid worker's first page of residents, each of the 100 audited,
# interleaved with a FastAPI + asyncpg peer doing the same statements (two rounds), then pgbench running that
# database work (token check, transaction, scope, the page's SELECT, the audit rows); prints the ratios.
# Usage: bench/list.sh [RESIDENTS] [SECONDS]   (defaults 200,000 and 20)
source "$(dirname "$0")/common.sh"
N=${1:-200000}; SECS=${2:-20}; PORT=${BENCH_PORT:-18089}; PEER_PORT=$((PORT + 1))
need_wrk
demo_district gc_bench_list gridworker
# The grid worker as the database knows them, and the page the list shows (the same every request).
read -r UID_ ROLE DISTRICT GRIDS <<< "$(psql "$URL" -qAt -F' ' -c \
  "SELECT user_id, role, district_id, micro_grid_ids FROM gridcare_authenticate(sha256(convert_to('$TOKEN', 'UTF8')))")"
IN_SCOPE=$(psql "$URL" -qAtc "SELECT count(*) FROM resident WHERE micro_grid_id = ANY ('$GRIDS'::bigint[])")
PAGE=$(psql "$URL" -qAtc "SELECT '{' || string_agg(id::text, ',') || '}' FROM (SELECT id FROM resident WHERE micro_grid_id = ANY ('$GRIDS'::bigint[]) ORDER BY id LIMIT 100) p")
MIN=$(psql "$URL" -qAtc "SELECT min(id) FROM resident WHERE micro_grid_id = ANY ('$GRIDS'::bigint[])")
echo "== the grid worker (user $UID_, district $DISTRICT, micro-grids $GRIDS) sees $IN_SCOPE residents; the page holds $(echo "$PAGE" | tr ',' '\n' | wc -l)"
[ "$IN_SCOPE" -ge 100 ] || { echo "the grid worker sees fewer than 100 residents: a page of 100 cannot be measured"; exit 1; }

peer_venv
cat > "$OUT/list.lua" <<LUA
request = function() return wrk.format("GET", "/v1/residents?limit=100", {["Authorization"] = "Bearer $TOKEN"}) end
LUA
page_of_100() { # port label → fails the run unless the first page holds 100 residents
  [ "$(curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$1/v1/residents?limit=100" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')" = 100 ] \
    || { echo "$2's page does not hold 100 residents"; exit 1; }
}
declare -a GC PEER
interleaved "signed in as the grid worker; a page of 100, each audited" "$OUT/list.lua" page_of_100

# The database work of one list request, as one pgbench transaction: the page's ids are the ones the list
# shows (the same page every time, as in the HTTP loads).
cat > "$OUT/list.sql" <<SQL
SELECT * FROM gridcare_authenticate(sha256(convert_to('$TOKEN', 'UTF8')));
BEGIN;
SELECT gridcare_set_scope('$UID_', '$ROLE', '$DISTRICT', '$GRIDS', '');
WITH page AS (SELECT p.id FROM unnest('$GRIDS'::bigint[]) AS g(id), LATERAL (
  SELECT r.id FROM resident r WHERE r.micro_grid_id = g.id AND r.id > 0 AND r.district_id = $DISTRICT ORDER BY r.id LIMIT 101) p
  ORDER BY p.id LIMIT 101)
SELECT r.* FROM resident_line r JOIN page ON page.id = r.id ORDER BY r.id;
SELECT gridcare_audit($UID_, '$ROLE', $DISTRICT, 'listResidents', 'search', 'ok', NULL, '$PAGE'::bigint[]);
COMMIT;
SQL
echo "== pgbench: the whole database work of one list request, -M prepared -c8 -j2 -T${SECS}"
rm -f "$OUT"/pgbench_log.*
PGB=$( (cd "$OUT" && PGOPTIONS="-c role=gridcare_service" pgbench "$URL" -n -M prepared -c8 -j2 -T"$SECS" -f list.sql -l --log-prefix=pgbench_log 2>/dev/null) \
  | grep -E "^tps|latency average" | tee /dev/stderr | awk '/^tps/ {print $3}')
cat "$OUT"/pgbench_log.* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {printf "pgbench p50 %.2f ms, p99 %.2f ms\n", a[int(NR*0.5)]/1000, a[int(NR*0.99)]/1000}'
echo "== ratios (round: gridcare req/s and p99 ms; FastAPI req/s and p99; gridcare/FastAPI; gridcare/pgbench)"
for round in 1 2; do
  read -r g gp <<< "${GC[$round]}"; read -r f fp <<< "${PEER[$round]}"
  printf "round %s: gridcare %s/s p99 %s ms; FastAPI %s/s p99 %s ms; %.2fx the peer; %.0f%% of pgbench (%s tps)\n" \
    "$round" "$g" "$gp" "$f" "$fp" "$(echo "$g / $f" | bc -l)" "$(echo "100 * $g / $PGB" | bc -l)" "$PGB"
done
