#!/usr/bin/env bash
# The audited read (GET /v1/residents/{id}, wrk) with the audit trail nearly empty and with ROWS audit
# rows in five earlier months, interleaved over two rounds: the trail's months are detached and attached
# again between rounds (both cheap: each month carries a CHECK of its range, so attaching scans nothing).
# Usage: bench/audit.sh [RESIDENTS] [ROWS] [SECONDS]   (defaults 200,000, 100,000,000 and 20)
# The loaded database (gc_bench_audit) is kept and reused while it holds the same RESIDENTS and ROWS.
source "$(dirname "$0")/common.sh"
N=${1:-200000}; ROWS=${2:-100000000}; SECS=${3:-20}; PORT=18098
need_wrk
URL="${SERVER_URL%/*}/gc_bench_audit"
MONTHS=5
loaded=$(psql "$URL" -qAtc "SELECT n || '/' || rows FROM bench_audit_loaded" 2>/dev/null || true)
if [ "$loaded" != "$N/$ROWS" ]; then
  URL=$(bench_db gc_bench_audit)
  export GRIDCARE_DATABASE_URL="$URL"
  echo "== loading $N residents and $ROWS audit rows over $MONTHS months (kept for the next run)"
  "$BIN" demo --residents "$N" --seed 78 --log-level warning >/dev/null
  MIN=$(psql "$URL" -qAtc "SELECT min(id) FROM resident")
  started=$(now)
  # One month per session, two at a time (two cores); each month's rows spread over its days.
  for m in $(seq 1 $MONTHS); do
    (psql "$URL" -qAt -v ON_ERROR_STOP=1 <<SQL >/dev/null
SET synchronous_commit = off;
SELECT gridcare_audit_add_month((date_trunc('month', now() AT TIME ZONE 'Asia/Shanghai') - interval '$m months')::date);
INSERT INTO audit_event (at, user_id, role, district_id, operation, action, resident_id, outcome)
SELECT (date_trunc('month', now() AT TIME ZONE 'Asia/Shanghai') - interval '$m months') AT TIME ZONE 'Asia/Shanghai'
         + (g % (27 * 86400)) * interval '1 second',
       1 + g % 40, 'centre_staff', 1, 'getResident', 'read', $MIN + g % $N, 'ok'
FROM generate_series(1, $ROWS / $MONTHS) g;
SQL
    ) &
    if (( m % 2 == 0 )); then wait; fi
  done
  wait
  psql "$URL" -qAt -v ON_ERROR_STOP=1 >/dev/null <<SQL
DO \$\$
DECLARE part text; lo timestamptz; hi timestamptz;
BEGIN
  FOR part IN SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
              WHERE i.inhparent = 'audit_event'::regclass AND gridcare_audit_month_of(c.relname) < date_trunc('month', now() AT TIME ZONE 'Asia/Shanghai')
  LOOP
    lo := gridcare_audit_month_of(part)::timestamp AT TIME ZONE 'Asia/Shanghai';
    hi := (gridcare_audit_month_of(part) + interval '1 month')::timestamp AT TIME ZONE 'Asia/Shanghai';
    EXECUTE format('ALTER TABLE %I ADD CONSTRAINT bench_range CHECK (at >= %L AND at < %L)', part, lo, hi);
  END LOOP;
END \$\$;
ANALYZE audit_event;
CREATE TABLE bench_audit_loaded AS SELECT $N AS n, $ROWS::bigint AS rows;
SQL
  printf "loaded in %.0f s\n" "$(echo "$(now) - $started" | bc -l)"
fi
# BENCH_LOAD_ONLY=1 stops here (load while the machine is busy, measure when it is quiet).
[ -n "${BENCH_LOAD_ONLY:-}" ] && exit 0
export GRIDCARE_DATABASE_URL="$URL"
# The service's audit clock would take the months this script detaches for a finished archive's
# leftovers and export them: it is off while the trail is taken apart.
export GRIDCARE_AUDIT_JOB_MINUTES=0
TOKEN=$("$BIN" token issue --user admin --ttl-hours 1 --quiet --log-level warning)
MIN=$(psql "$URL" -qAtc "SELECT min(id) FROM resident"); MAX=$(psql "$URL" -qAtc "SELECT max(id) FROM resident")
OLD=$(psql "$URL" -qAtc "SELECT string_agg(c.relname, ' ' ORDER BY c.relname) FROM pg_class c WHERE c.relname ~ '^audit_event_y' AND gridcare_audit_month_of(c.relname) < date_trunc('month', now() AT TIME ZONE 'Asia/Shanghai')")
trail() { # attach|detach → the earlier months in or out of the trail
  for part in $OLD; do
    if [ "$1" = detach ]; then
      psql "$URL" -qAtc "ALTER TABLE audit_event DETACH PARTITION $part" >/dev/null
    else
      psql "$URL" -qAtc "SELECT 1 FROM pg_inherits WHERE inhrelid = '$part'::regclass" | grep -q 1 && continue
      psql "$URL" -qAt >/dev/null <<SQL
SELECT format('ALTER TABLE audit_event ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', '$part',
  gridcare_audit_month_of('$part')::timestamp AT TIME ZONE 'Asia/Shanghai',
  (gridcare_audit_month_of('$part') + interval '1 month')::timestamp AT TIME ZONE 'Asia/Shanghai') \gexec
SQL
    fi
  done
  psql "$URL" -qAtc "SELECT to_char(count(*), 'FM999,999,999,999') FROM audit_event" | sed "s/^/  audit rows in the trail: /" >&2
}
cat > "$OUT/audit.lua" <<LUA
math.randomseed(42)
request = function() return wrk.format("GET", "/v1/residents/" .. math.random($MIN, $MAX), {["Authorization"] = "Bearer $TOKEN"}) end
LUA
declare -a EMPTY FULL
for round in 1 2; do
  for state in detach attach; do
    trail $state
    "$BIN" serve --port $PORT --log-level warning & SERVER=$!
    trap 'kill $SERVER 2>/dev/null || true' EXIT
    wait_up $PORT
    echo "== round $round, trail $([ $state = attach ] && echo "with the $ROWS earlier rows" || echo "without them"): wrk -t2 -c32 -d${SECS}s"
    result=$(load $PORT gridcare "$OUT/audit.lua")
    if [ $state = attach ]; then FULL[$round]=$result; else EMPTY[$round]=$result; fi
    kill $SERVER; wait $SERVER 2>/dev/null || true; trap - EXIT
  done
done
echo "== audited read with and without $ROWS audit rows (req/s, p99 ms)"
for round in 1 2; do
  read -r e ep <<< "${EMPTY[$round]}"; read -r f fp <<< "${FULL[$round]}"
  printf "round %s: without %s/s p99 %s ms; with %s/s p99 %s ms; with/without %.2f\n" "$round" "$e" "$ep" "$f" "$fp" "$(echo "$f / $e" | bc -l)"
done
