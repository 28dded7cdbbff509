#!/usr/bin/env bash
# Booking throughput: POST /v1/clinic-sessions/{id}/bookings under concurrent load (wrk, signed in as
# the team's doctor, a different resident per request) beside pgbench running the same booking
# statements in a scoped transaction, in the same run. Both commit real bookings, each of a (session,
# resident) pair not booked before: the API on the first sixteen weekly sessions, pgbench on the next sixteen.
# The two take turns (ROUNDS rounds of SECONDS each), so the machine's noise falls on both alike; the
# result is the median of each and their ratio.
# Usage: bench/bookings.sh [SECONDS] [ROUNDS]   (defaults 6 and 3)
source "$(dirname "$0")/common.sh"
SECS=${1:-6}; ROUNDS=${2:-3}; PORT=18093
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
export GRIDCARE_AUTH_BCRYPT_COST=4
URL=$(bench_db gc_bench_bookings)
export GRIDCARE_DATABASE_URL="$URL"
"$BIN" demo --residents 40000 --seed 81 --log-level warning >/dev/null
q() { psql "$URL" -v ON_ERROR_STOP=1 -qAtc "$1"; }
TEAM=$(q "SELECT m.team_id FROM care_team_member m JOIN app_user u ON u.worker_id = m.worker_id WHERE u.username = 'doctor' LIMIT 1")
STATION=$(q "SELECT s.id FROM facility s JOIN care_team t ON t.centre_id = s.centre_id WHERE t.id = $TEAM AND s.kind = 'station' ORDER BY s.id LIMIT 1")
# The demo holds clinics of its own: the benchmark's day is the first of the coming week whose weekday
# neither the team nor the station holds a clinic on, and only its own clinic's sessions are booked.
for ahead in 1 2 3 4 5 6 7; do
  DAY=$(date -u -d "+8 hours +$ahead day" +%F); WD=$(date -u -d "$DAY" +%u)
  [ "$(q "SELECT count(*) FROM clinic WHERE weekday = $WD AND (team_id = $TEAM OR station_id = $STATION)")" = 0 ] && break
done
"$BIN" clinics add --station "$STATION" --team "$TEAM" --weekday "$WD" --starts 08:00 --ends 17:50 --slot-minutes 10 --capacity 100 --from "$DAY" --log-level warning
CLINIC=$(q "SELECT id FROM clinic WHERE team_id = $TEAM AND station_id = $STATION AND weekday = $WD")
"$BIN" clinics generate --clinic "$CLINIC" --from "$DAY" --weeks 32 --log-level warning
SESSION=$(q "SELECT id FROM clinic_session WHERE clinic_id = $CLINIC ORDER BY on_date LIMIT 1")
SESSIONS=$(q "SELECT string_agg(id::text, ',' ORDER BY on_date) FROM (SELECT id, on_date FROM clinic_session WHERE clinic_id = $CLINIC AND status = 'scheduled' ORDER BY on_date LIMIT 16) s")
PG0=$(q "SELECT min(id) FROM (SELECT id FROM clinic_session WHERE clinic_id = $CLINIC AND status = 'scheduled' ORDER BY on_date OFFSET 16 LIMIT 16) s")
[ "$(q "SELECT count(*) FROM clinic_session WHERE clinic_id = $CLINIC AND status = 'scheduled' AND id BETWEEN $PG0 AND $PG0 + 15")" = 16 ] \
  || { echo "pgbench needs sixteen scheduled sessions with consecutive ids from $PG0" >&2; exit 1; }
q "SELECT r.id FROM resident r JOIN care_team_catchment c ON c.micro_grid_id = r.micro_grid_id WHERE c.team_id = $TEAM ORDER BY r.id" > "$OUT/residents.txt"
echo "sessions $SESSIONS for the API, $PG0–$((PG0 + 15)) for pgbench: $(q "SELECT sum(capacity) FROM session_slot WHERE session_id = $SESSION") places each; $(wc -l < "$OUT/residents.txt") residents in the team's catchment"
TOKEN=$("$BIN" token issue --user doctor --ttl-hours 1 --quiet --log-level warning)

# The statements BookingStore.book runs (the token check, then gridcare_book), as the service role with the doctor's scope.
# Each client books the next pair of its own (k = client + 8n): residents are the catchment's ids in turn.
LO=$(head -1 "$OUT/residents.txt"); HI=$(tail -1 "$OUT/residents.txt"); NRES=$(wc -l < "$OUT/residents.txt")
[ $((HI - LO + 1)) = "$NRES" ] || { echo "pgbench needs the catchment's resident ids consecutive ($LO–$HI, $NRES residents)" >&2; exit 1; }
GRIDS=$(q "SELECT '{' || string_agg(micro_grid_id::text, ',' ORDER BY micro_grid_id) || '}' FROM care_team_catchment c JOIN care_team t ON t.id = c.team_id WHERE t.centre_id = (SELECT centre_id FROM care_team WHERE id = $TEAM)")
DISTRICT=$(q "SELECT district_id FROM care_team WHERE id = $TEAM")
UID_=$(q "SELECT id FROM app_user WHERE username = 'doctor'")
cat > "$OUT/book.sql" <<SQL
\\set n :n + 1
\\set k :client_id + 8 * :n
\\set rid $LO + (:k % $NRES)
\\set session $PG0 + ((:k / $NRES) % 16)
SELECT * FROM gridcare_authenticate(sha256(convert_to('$TOKEN', 'UTF8')));
SELECT * FROM gridcare_book($UID_, 'centre_staff', $DISTRICT, '$GRIDS', '', 'bookSession', :session, :rid, false);
SQL
cat > "$OUT/book.lua" <<LUA
local ids = {}
for line in io.lines("$OUT/residents.txt") do ids[#ids + 1] = line end
local counter = 0
function setup(thread) counter = counter + 1; thread:set("offset", counter) end
local sessions = {$SESSIONS}
local base = tonumber(os.getenv("BASE") or "0")
local n = 0
-- Each request a new (session, resident) pair: the residents in turn on the first session, then the next;
-- each round starts where the last one could have reached.
request = function()
  n = n + 1
  local k = base + n * 2 + offset - 1
  local id = ids[(k % #ids) + 1]
  local session = sessions[(math.floor(k / #ids) % #sessions) + 1]
  return wrk.format("POST", "/v1/clinic-sessions/" .. session .. "/bookings",
    {["Authorization"] = "Bearer $TOKEN", ["Content-Type"] = "application/json"}, '{"residentId": ' .. id .. '}')
end
LUA
"$BIN" serve --port $PORT --log-level warning & SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
: > "$OUT/bookings_rates.txt"
SENT_API=0; SENT_PG=0
for r in $(seq 1 "$ROUNDS"); do
  # Each round starts past what the last could reach (pgbench 3,000 pairs a client, 24,000 in all; the API
  # 24,000), and three rounds stay within the 16 × 4,660 pairs each side has: no pair is booked twice, so
  # every request is a booking made (counted below), none a quick refusal.
  START=$(( (r - 1) * 3000 ))
  echo "== round $r: pgbench, the same statements, -M prepared -c8 -j2 -T${SECS}, committing"
  rm -f "$OUT"/pgbench_log.*
  PG=$(cd "$OUT" && PGOPTIONS="-c role=gridcare_service" pgbench "$URL" -n -M prepared -c8 -j2 -T"$SECS" -D n=$START -f book.sql -l --log-prefix=pgbench_log 2>/dev/null)
  echo "$PG" | grep -E "^tps|failed|actually processed"
  cat "$OUT"/pgbench_log.* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {printf "pgbench p50 %.2f ms, p99 %.2f ms\n", a[int(NR*0.5)]/1000, a[int(NR*0.99)]/1000}'
  echo "== round $r: gridcare API, POST bookings, wrk -t2 -c8 -d${SECS}s"
  API=$(BASE=$(( (r - 1) * 24000 )) wrk -t2 -c8 -d"${SECS}s" --latency -s "$OUT/book.lua" "http://127.0.0.1:$PORT")
  echo "$API" | grep -E "Requests/sec|50%|99%|Non-2xx|Socket errors" || true
  SENT_API=$((SENT_API + $(echo "$API" | awk '/requests in/ {print $1}')))
  SENT_PG=$((SENT_PG + $(echo "$PG" | awk '/actually processed/ {print $NF}')))
  echo "$(echo "$PG" | awk '/^tps/ {print $3}') $(echo "$API" | awk '/Requests\/sec/ {print $2}')" >> "$OUT/bookings_rates.txt"
done
kill $SERVER; wait $SERVER 2>/dev/null || true; trap - EXIT
echo "bookings made: API $(q "SELECT count(*) FROM booking WHERE session_id IN ($SESSIONS)") of $SENT_API requests, pgbench $(q "SELECT count(*) FROM booking WHERE session_id BETWEEN $PG0 AND $PG0 + 15") of $SENT_PG calls; no slot over capacity: $(q "SELECT count(*) = 0 FROM session_slot WHERE booked > capacity")"
python3 - "$OUT/bookings_rates.txt" <<'PY'
import statistics, sys
rows = [tuple(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
pg, api = statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows)
print("per round, API / pgbench: " + ", ".join(f"{a:.0f} / {p:.0f} ({a / p:.0%})" for p, a in rows))
print(f"median: API {api:.0f} bookings/s, pgbench {pg:.0f}/s: {api / pg:.0%}")
PY
