#!/usr/bin/env bash
# Due visits: a whole district computed by `gridcare due --district`, then one team's due list through
# the API under load (wrk, signed in as the team's doctor) beside pgbench running the very statement
# the API ran (captured from PostgreSQL's log), in the same run.
# Usage: bench/due.sh [RESIDENTS] [SECONDS]   (defaults 1,000,000 and 20); REUSE=1 keeps the database.
# CONNS="1 2 4 8" and LIMITS="500 100" choose the load levels and page sizes measured.
source "$(dirname "$0")/common.sh"
N=${1:-1000000}; SECS=${2:-20}; PORT=18092; DB=gc_bench_due
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
export GRIDCARE_AUTH_BCRYPT_COST=4
if [ -z "${REUSE:-}" ]; then
  URL=$(bench_db $DB)
  t0=$(now); GRIDCARE_DATABASE_URL="$URL" "$BIN" demo --residents "$N" --seed 79 --log-level warning; t1=$(now)
  printf 'demo --residents %d with care records: %.1f s\n' "$N" "$(echo "$t1 - $t0" | bc)"
else
  URL="${SERVER_URL%/*}/$DB"
fi
export GRIDCARE_DATABASE_URL="$URL"
q() { psql "$URL" -qAtc "$1"; }
D=$(q "SELECT id FROM area WHERE level = 'district' ORDER BY id LIMIT 1")
echo "residents: $(q "SELECT count(*) FROM resident"), confirmed flags: $(q "SELECT count(*) FROM risk_flag WHERE status = 'confirmed'"), services: $(q "SELECT count(*) FROM service_entry")"

echo "== the whole district (gridcare due --district, as the owner): every resident recomputed, then the list read"
"$BIN" due --district "$D" --count --recompute --log-level warning
for _ in 1 2; do "$BIN" due --district "$D" --count --log-level warning; done

TEAM=$(q "SELECT m.team_id FROM care_team_member m JOIN app_user u ON u.worker_id = m.worker_id WHERE u.username = 'doctor' LIMIT 1")
TOKEN=$("$BIN" token issue --user doctor --ttl-hours 1 --quiet --log-level warning)
PATH_Q="/v1/teams/$TEAM/due-visits?limit=500"
echo "team $TEAM: $(q "SELECT count(*) FROM resident r JOIN care_team_catchment c ON c.micro_grid_id = r.micro_grid_id WHERE c.team_id = $TEAM") residents"

# Capture the statement the API runs, with its parameters, from the server log.
LOG=$(q "SELECT current_setting('data_directory')")/server.log
q "ALTER DATABASE $DB SET log_min_duration_statement = 0" 2>/dev/null || true
"$BIN" serve --port $PORT --log-level warning & SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
# The service's clocks run their first rounds as it starts (on a million residents about 25 s of both cores):
# the loads measure requests, so they start once it has gone quiet.
settle $SERVER
MARK=$(wc -l < "$LOG" 2>/dev/null || echo 0)
curl -fs -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT$PATH_Q" -o "$OUT/due.json"
SCOPE=$(curl -fs -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/v1/me" | python3 -c 'import json,sys; m=json.load(sys.stdin); print("{" + ",".join(map(str, m.get("microGridIds", []))) + "}", m["districtId"])')
q "ALTER DATABASE $DB RESET log_min_duration_statement"
python3 - "$LOG" "$MARK" "$OUT/due.sql" $SCOPE <<'PY'
import re, sys
log, mark, out, grids, district = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
lines = open(log, encoding="utf-8", errors="replace").read().splitlines()[mark:]
stamp = re.compile(r"^\d{4}-\d\d-\d\d ")
sql, params = None, None
for i, line in enumerate(lines):
    m = re.search(r"execute [^:]*: (WITH listed AS.*)", line)
    if m:
        body = [m.group(1)]
        j = i + 1
        while j < len(lines) and not stamp.match(lines[j]):
            body.append(lines[j]); j += 1
        sql = "\n".join(body)
        if j < len(lines) and "parameters:" in lines[j]:
            params = lines[j].split("parameters:", 1)[1]
if sql is None: sys.exit("the due-visit statement is not in the log")
values = {}
for n, v in re.findall(r"\$(\d+) = (NULL|'(?:[^']|'')*')", params or ""):
    values[n] = v
sql = re.sub(r"\$(\d+)\b", lambda m: values[m.group(1)], sql)
with open(out, "w") as f:
    f.write("BEGIN;\n")
    f.write(f"SELECT set_config('gridcare.user_id', '1', true), set_config('gridcare.role', 'centre_staff', true), "
            f"set_config('gridcare.scope_district', '{district}', true), set_config('gridcare.scope_micro_grids', '{grids}', true);\n")
    f.write(sql + ";\nCOMMIT;\n")
PY
CONNS=${CONNS:-1 2 4 8}; LIMITS=${LIMITS:-100 500}
for limit in $LIMITS; do
  P="/v1/teams/$TEAM/due-visits?limit=$limit"
  echo "== gridcare API: GET $P, wrk -d${SECS}s ($(python3 -c "import json; d=json.load(open('$OUT/due.json')); print(min($limit, d['total']), 'of', d['total'], 'due')"))"
  cat > "$OUT/due.lua" <<LUA
request = function() return wrk.format("GET", "$P", {["Authorization"] = "Bearer $TOKEN"}) end
LUA
  for c in $CONNS; do
    echo "-- $c connection(s)"
    wrk -t1 -c$c -d"${SECS}s" --latency -s "$OUT/due.lua" "http://127.0.0.1:$PORT" | grep -E "Requests/sec|50%|99%|Non-2xx|Socket errors" || true
  done
done
kill $SERVER; wait $SERVER 2>/dev/null || true; trap - EXIT

for limit in $LIMITS; do
  sed -E "s/LIMIT '?[0-9]+'?/LIMIT $limit/" "$OUT/due.sql" > "$OUT/due_$limit.sql"
  for c in $CONNS; do
    echo "== pgbench: the same statement (LIMIT $limit) in a scoped transaction, as gridcare_service, -c$c -T${SECS}"
    rm -f "$OUT"/pgbench_log.*
    (cd "$OUT" && PGOPTIONS="-c role=gridcare_service" pgbench "$URL" -n -M prepared -c$c -j1 -T"$SECS" -f "due_$limit.sql" -l --log-prefix=pgbench_log 2>/dev/null) | grep -E "^tps|latency average"
    cat "$OUT"/pgbench_log.* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {printf "pgbench p50 %.1f ms, p99 %.1f ms\n", a[int(NR*0.5)]/1000, a[int(NR*0.99)]/1000}'
  done
done
