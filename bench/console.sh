#!/usr/bin/env bash
# The web console's pages under 4 concurrent users (wrk -t2 -c4), each beside the JSON API call that
# reads the same records (the peer: the same stores without the rendering), on a 20,000-resident demo;
# and each page's weight with its stylesheet and script.
# Usage: bench/console.sh [RESIDENTS] [SECONDS]   (defaults 20,000 and 10)
source "$(dirname "$0")/common.sh"
N=${1:-20000}; SECS=${2:-10}; PORT=18092
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
URL=$(bench_db gc_bench_console)
export GRIDCARE_DATABASE_URL="$URL"
"$BIN" demo --residents "$N" --seed 1 --log-level warning >/dev/null
DOCTOR=$("$BIN" token issue --user doctor --ttl-hours 1 --quiet --log-level warning)
GRID=$("$BIN" token issue --user gridworker --ttl-hours 1 --quiet --log-level warning)
"$BIN" serve --port $PORT --log-level warning >/dev/null & SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
B="http://127.0.0.1:$PORT"
page() { curl -fs -b "gridcare_session=$1" "$B$2"; }
# The first micro-grid, household and resident the grid worker sees, found as a user would find them.
GRIDPATH=$(page "$GRID" /app/grids | grep -o '/app/grids/[0-9]*' | head -1)
RESIDENT=$(page "$GRID" "$GRIDPATH" | grep -o '/app/r/[0-9]*' | head -1)
RID=${RESIDENT##*/}
CODE=$(page "$GRID" "$GRIDPATH" | grep -o '/app/h/[A-Za-z0-9_-]*' | head -1)
TEAM=$(curl -fs -H "Authorization: Bearer $DOCTOR" "$B/v1/care-teams?limit=1" | python3 -c "import json,sys; print(json.load(sys.stdin)['items'][0]['id'])")
CSS=$(curl -fs "$B/app/static/app.css" | wc -c); JS=$(curl -fs "$B/app/static/app.js" | wc -c)

run() { # label token path [auth: cookie|bearer]
  local header
  if [ "${4:-cookie}" = bearer ]; then header="Authorization: Bearer $2"; else header="Cookie: gridcare_session=$2"; fi
  local out
  out=$(wrk -t2 -c4 -d"${SECS}s" --latency -H "$header" "$B$3" | tr '\n' ' ')
  local rps p50 p99 errors
  rps=$(echo "$out" | grep -o 'Requests/sec: *[0-9.]*' | awk '{print $2}' || true)
  p50=$(echo "$out" | grep -o '50% *[0-9.]*[a-z]*' | awk '{print $2}' || true)
  p99=$(echo "$out" | grep -o '99% *[0-9.]*[a-z]*' | awk '{print $2}' || true)
  errors=$(echo "$out" | grep -o 'Non-2xx or 3xx responses: *[0-9]*' | awk '{print $NF}' || true)
  printf "%-44s %9s req/s  p50 %8s  p99 %8s  %s\n" "$1" "$rps" "$p50" "$p99" "${errors:+non-2xx $errors}"
}
weight() { # label token path
  local bytes; bytes=$(page "$2" "$3" | wc -c)
  printf "%-44s %6.1f KB with its stylesheet and script\n" "$1" "$(echo "($bytes + $CSS + $JS) / 1024" | bc -l)"
}
echo "== console pages vs the API calls reading the same records: wrk -t2 -c4 -d${SECS}s, $N residents"
run "console /app/grids (grid worker)" "$GRID" /app/grids
run "  api /v1/me/residents (grid worker)" "$GRID" /v1/me/residents bearer
run "console /app/grids/{id} (grid worker)" "$GRID" "$GRIDPATH"
run "  api /v1/households?microGridId (grid worker)" "$GRID" "/v1/households?microGridId=${GRIDPATH##*/}&limit=200" bearer
run "console /app/h/{code} (grid worker)" "$GRID" "$CODE"
run "console /app/r/{id} (grid worker)" "$GRID" "$RESIDENT"
run "console /app/r/{id} (doctor)" "$DOCTOR" "$RESIDENT"
run "  api /v1/residents/{id}/case-sheet (doctor)" "$DOCTOR" "/v1/residents/$RID/case-sheet" bearer
run "console /app/today (doctor)" "$DOCTOR" /app/today
run "  api /v1/alerts (doctor)" "$DOCTOR" /v1/alerts bearer
run "console /app/due (doctor)" "$DOCTOR" /app/due
run "  api /v1/teams/{id}/due-visits (doctor)" "$DOCTOR" "/v1/teams/$TEAM/due-visits?limit=2000" bearer
run "console /app/clinics (doctor)" "$DOCTOR" /app/clinics
run "console /app/rounds (doctor)" "$DOCTOR" /app/rounds
run "console /app/team (doctor)" "$DOCTOR" /app/team
run "console /app/static/app.css" "" /app/static/app.css
echo "== page weight"
for p in "/app/grids:$GRID" "$GRIDPATH:$GRID" "$RESIDENT:$DOCTOR" "/app/today:$DOCTOR" "/app/due:$DOCTOR" "/app/clinics:$DOCTOR" "/app/rounds:$DOCTOR" "/app/team:$DOCTOR"; do
  weight "${p%%:*}" "${p#*:}" "${p%%:*}"
done
