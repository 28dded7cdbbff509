#!/usr/bin/env bash
# The district dashboard on a large district: GET /v1/reports/indicators (the tables) and /app/district
# (the page) for the whole district, one street and one team, year to date (read from the indicator
# clock's rollup), five rounds each, one request at a time, and one custom period counted live; beside
# them the peer: psql running the dashboard's main statement (the per-micro-grid counts of one period,
# as IndicatorStore sends it) on the same database, which is what each request would cost without the rollup.
# Usage: bench/dashboard.sh [RESIDENTS]   (default 1,000,000; REUSE=1 keeps an earlier run's district)
source "$(dirname "$0")/common.sh"
N=${1:-1000000}; PORT=18096; ROUNDS=5
if [ -n "${REUSE:-}" ] && psql "$SERVER_URL" -qAtc "SELECT 1 FROM pg_database WHERE datname = 'gc_bench_dashboard'" | grep -q 1; then
  URL="${SERVER_URL%/*}/gc_bench_dashboard"
  GRIDCARE_DATABASE_URL="$URL" "$BIN" migrate --log-level warning >/dev/null  # a kept district gets the new migrations
else
  URL=$(bench_db gc_bench_dashboard)
  start=$(now)
  GRIDCARE_DATABASE_URL="$URL" "$BIN" demo --residents "$N" --seed 1 --log-level warning >/dev/null
  echo "demo of $N residents loaded in $(echo "$(now) - $start" | bc -l | xargs printf '%.1f') s"
fi
export GRIDCARE_DATABASE_URL="$URL"
MANAGER=$("$BIN" token issue --user manager --ttl-hours 1 --quiet --log-level warning)
STARTED=$(psql "$URL" -qAtc "SELECT now()")
"$BIN" serve --port $PORT --log-level warning >/dev/null & SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
B="http://127.0.0.1:$PORT"
DISTRICT=$(psql "$URL" -qAtc "SELECT district_id FROM app_user WHERE username = 'manager'")
STREET=$(psql "$URL" -qAtc "SELECT id FROM area WHERE district_id = $DISTRICT AND level = 'street' ORDER BY id LIMIT 1")
TEAM=$(psql "$URL" -qAtc "SELECT id FROM care_team WHERE district_id = $DISTRICT ORDER BY id LIMIT 1")
GRIDS=$(psql "$URL" -qAtc "SELECT count(*) FROM area WHERE district_id = $DISTRICT AND level = 'micro_grid'")
SERVICES=$(psql "$URL" -qAtc "SELECT count(*) FROM service_entry WHERE district_id = $DISTRICT")
READINGS=$(psql "$URL" -qAtc "SELECT count(*) FROM vital_reading WHERE district_id = $DISTRICT")
YEAR=$(TZ=Asia/Shanghai date +%Y); TODAY=$(TZ=Asia/Shanghai date +%F)
echo "== the district dashboard, $N residents, $GRIDS micro-grids, $SERVICES services, $READINGS readings; $YEAR-01-01..$TODAY against last year's same days"
# The service's indicator clock counts the named periods at start-up: wait for its year-to-date rollup
# (six periods: year, quarter, month to date and the same days before), and say how long it took.
start=$(now)
for _ in $(seq 1 600); do
  [ "$(psql "$URL" -qAtc "SELECT count(*) FROM indicator_rollup WHERE district_id = $DISTRICT AND period_from = '$(TZ=Asia/Shanghai date +%Y)-01-01' AND period_to = '$TODAY' AND computed_at > '$STARTED'")" -gt 0 ] \
    && [ "$(psql "$URL" -qAtc "SELECT count(DISTINCT (period_from, period_to)) FROM indicator_rollup WHERE district_id = $DISTRICT AND computed_at > '$STARTED'")" -ge 6 ] && break
  sleep 1
done
echo "indicator clock: six periods rolled up within $(echo "$(now) - $start" | bc -l | xargs printf '%.1f') s of the service starting"

time_of() { # label url [cookie|bearer] → the rounds' times in seconds, median and worst
  local times=() header
  if [ "${3:-bearer}" = cookie ]; then header="Cookie: gridcare_session=$MANAGER"; else header="Authorization: Bearer $MANAGER"; fi
  local codes=()
  for _ in $(seq 1 $ROUNDS); do
    local out; out=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' -H "$header" "$2")
    codes+=("${out% *}"); times+=("${out#* }")
  done
  printf "%-46s median %6.2f s  worst %6.2f s  (%s; HTTP %s)\n" "$1" \
    "$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((ROUNDS + 1) / 2))p")" \
    "$(printf '%s\n' "${times[@]}" | sort -n | tail -1)" "$(echo "${times[@]}")" "$(printf '%s\n' "${codes[@]}" | sort | uniq -c | xargs)"
}
peer() { # the main statement for one period, as psql runs it (the floor for both periods is twice this)
  local times=()
  for _ in $(seq 1 $ROUNDS); do
    local t0; t0=$(now)
    psql "$URL" -qAt -v district="$DISTRICT" -v from="$YEAR-01-01" -v to="$TODAY" -f bench/dashboard-peer.sql >/dev/null
    times+=("$(echo "$(now) - $t0" | bc -l)")
  done
  printf "%-46s median %6.2f s  worst %6.2f s\n" "peer: psql, the per-micro-grid counts (1 period)" \
    "$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((ROUNDS + 1) / 2))p")" "$(printf '%s\n' "${times[@]}" | sort -n | tail -1)"
}
peer
time_of "GET /v1/reports/indicators (district)" "$B/v1/reports/indicators"
time_of "GET /app/district (district)" "$B/app/district" cookie
time_of "GET /v1/reports/indicators?areaId (a street)" "$B/v1/reports/indicators?areaId=$STREET"
time_of "GET /v1/reports/indicators?teamId (a team)" "$B/v1/reports/indicators?teamId=$TEAM"
time_of "GET /app/district/export?format=xlsx" "$B/app/district/export?format=xlsx" cookie
# A custom period is counted live, for the focus's micro-grids only; the district's own reads all of it.
CUSTOM="from=$YEAR-02-01&to=$YEAR-03-31"
time_of "custom period, a street (counted live)" "$B/v1/reports/indicators?areaId=$STREET&$CUSTOM"
time_of "custom period, a team (counted live)" "$B/v1/reports/indicators?teamId=$TEAM&$CUSTOM"
time_of "custom period, the district (counted live)" "$B/v1/reports/indicators?$CUSTOM"
peer
