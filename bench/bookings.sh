#!/usr/bin/env bash
# Booking throughput: POST /v1/clinic-sessions/{id}/bookings under concurrent load (wrk, signed in as
# the team's doctor, a different resident per request) beside pgbench running the same booking
# statements in a scoped transaction, in the same run. pgbench runs first and rolls each booking back,
# so it always finds the session as the API will (empty) and never collides; the API commits.
# Usage: bench/bookings.sh [SECONDS]   (default 8; four weekly sessions give 4 × 4,660 distinct bookings)
source "$(dirname "$0")/common.sh"
SECS=${1:-8}; PORT=18093
command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null; }
export GRIDCARE_AUTH_BCRYPT_COST=4
URL=$(bench_db gc_bench_bookings)
export GRIDCARE_DATABASE_URL="$URL"
"$BIN" demo --residents 40000 --seed 81 --log-level warning >/dev/null
q() { psql "$URL" -v ON_ERROR_STOP=1 -qAtc "$1"; }
TEAM=$(q "SELECT m.team_id FROM care_team_member m JOIN app_user u ON u.worker_id = m.worker_id WHERE u.username = 'doctor' LIMIT 1")
STATION=$(q "SELECT s.id FROM facility s JOIN care_team t ON t.centre_id = s.centre_id WHERE t.id = $TEAM AND s.kind = 'station' ORDER BY s.id LIMIT 1")
DAY=$(date -u -d '+8 hours +1 day' +%F)
WD=$(date -u -d "$DAY" +%u)
"$BIN" clinics add --station "$STATION" --team "$TEAM" --weekday "$WD" --starts 08:00 --ends 17:50 --slot-minutes 10 --capacity 100 --from "$DAY" --log-level warning
"$BIN" clinics generate --from "$DAY" --weeks 4 --log-level warning
SESSION=$(q "SELECT id FROM clinic_session WHERE on_date = '$DAY' ORDER BY id LIMIT 1")
SESSIONS=$(q "SELECT string_agg(id::text, ',' ORDER BY on_date) FROM clinic_session WHERE status = 'scheduled'")
q "SELECT r.id FROM resident r JOIN care_team_catchment c ON c.micro_grid_id = r.micro_grid_id WHERE c.team_id = $TEAM ORDER BY r.id" > "$OUT/residents.txt"
echo "sessions $SESSIONS (the first on $DAY): $(q "SELECT sum(capacity) FROM session_slot WHERE session_id = $SESSION") places each; $(wc -l < "$OUT/residents.txt") residents in the team's catchment"
TOKEN=$("$BIN" token issue --user doctor --ttl-hours 1 --quiet --log-level warning)

# The statements BookingStore.book runs, in the same order, as the service role in the doctor's scope.
LO=$(head -1 "$OUT/residents.txt"); HI=$(tail -1 "$OUT/residents.txt")
GRIDS=$(q "SELECT '{' || string_agg(micro_grid_id::text, ',' ORDER BY micro_grid_id) || '}' FROM care_team_catchment c JOIN care_team t ON t.id = c.team_id WHERE t.centre_id = (SELECT centre_id FROM care_team WHERE id = $TEAM)")
DISTRICT=$(q "SELECT district_id FROM care_team WHERE id = $TEAM")
UID_=$(q "SELECT id FROM app_user WHERE username = 'doctor'")
cat > "$OUT/book.sql" <<SQL
\\set rid random($LO, $HI)
SELECT * FROM gridcare_authenticate(sha256(convert_to('$TOKEN', 'UTF8')));
BEGIN;
SELECT set_config('gridcare.user_id', '$UID_', true), set_config('gridcare.role', 'centre_staff', true), set_config('gridcare.scope_district', '$DISTRICT', true), set_config('gridcare.scope_micro_grids', '$GRIDS', true), set_config('gridcare.scope_hospital', '', true);
SELECT EXISTS (SELECT 1 FROM resident r JOIN care_team_catchment k ON k.micro_grid_id = r.micro_grid_id WHERE r.id = :rid AND k.team_id = c.team_id), cs.status::text, EXISTS (SELECT 1 FROM booking b WHERE b.session_id = cs.id AND b.resident_id = :rid AND b.status <> 'cancelled') FROM clinic_session cs JOIN clinic c ON c.id = cs.clinic_id WHERE cs.id = $SESSION;
UPDATE session_slot SET booked = booked + 1 WHERE session_id = $SESSION AND slot = (SELECT slot FROM session_slot WHERE session_id = $SESSION AND booked < capacity ORDER BY slot LIMIT 1 FOR UPDATE SKIP LOCKED) AND booked < capacity RETURNING slot;
WITH b AS (INSERT INTO booking (district_id, resident_id, micro_grid_id, session_id, slot, walk_in, status, booked_by) SELECT r.district_id, r.id, r.micro_grid_id, $SESSION, 1, false, 'booked', $UID_ FROM resident r WHERE r.id = :rid RETURNING *) SELECT b.id, b.resident_id, r.name, b.session_id, b.slot, b.walk_in, b.status::text, b.service_id, b.version FROM b JOIN resident r ON r.id = b.resident_id;
INSERT INTO audit_event (user_id, role, district_id, operation, action, resident_id, outcome, detail) VALUES ($UID_, 'centre_staff', $DISTRICT, 'bookSession', 'create', :rid, 'ok', 'booking');
ROLLBACK;
SQL
echo "== pgbench: the same statements, -c8 -j2 -T${SECS} (rolled back)"
rm -f "$OUT"/pgbench_log.*
(cd "$OUT" && PGOPTIONS="-c role=gridcare_service" pgbench "$URL" -n -M prepared -c8 -j2 -T"$SECS" -f book.sql -l --log-prefix=pgbench_log 2>/dev/null) | grep -E "^tps|latency average|failed"
cat "$OUT"/pgbench_log.* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {printf "pgbench p50 %.2f ms, p99 %.2f ms\n", a[int(NR*0.5)]/1000, a[int(NR*0.99)]/1000}'

"$BIN" serve --port $PORT --log-level warning & SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
cat > "$OUT/book.lua" <<LUA
local ids = {}
for line in io.lines("$OUT/residents.txt") do ids[#ids + 1] = line end
local counter = 0
function setup(thread) counter = counter + 1; thread:set("offset", counter) end
local sessions = {$SESSIONS}
local n = 0
-- Each request a new (session, resident) pair: the residents in turn on the first session, then the next.
request = function()
  n = n + 1
  local k = n * 2 + offset - 1
  local id = ids[(k % #ids) + 1]
  local session = sessions[(math.floor(k / #ids) % #sessions) + 1]
  return wrk.format("POST", "/v1/clinic-sessions/" .. session .. "/bookings",
    {["Authorization"] = "Bearer $TOKEN", ["Content-Type"] = "application/json"}, '{"residentId": ' .. id .. '}')
end
LUA
echo "== gridcare API: POST bookings, wrk -t2 -c8 -d${SECS}s"
wrk -t2 -c8 -d"${SECS}s" --latency -s "$OUT/book.lua" "http://127.0.0.1:$PORT" | grep -E "Requests/sec|50%|99%|Non-2xx|Socket errors" || true
echo "bookings made: $(q "SELECT count(*) FROM booking"), places left on the first session: $(q "SELECT sum(capacity - booked) FROM session_slot WHERE session_id = $SESSION")"
kill $SERVER; wait $SERVER 2>/dev/null || true; trap - EXIT
