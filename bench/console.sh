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
# The first board request, clinic session and referral the grid worker or doctor is shown.
BOARDREQ=$(page "$GRID" /app/board | grep -o '/app/board/requests/[0-9]*' | head -1)
SESSION=$(page "$DOCTOR" /app/clinics | grep -o '/app/sessions/[0-9]*' | head -1)
REFERRAL=$(page "$DOCTOR" /app/today | grep -o '/app/referrals/[0-9]*' | head -1)
# A surname the grid worker's own residents carry, searched as a user would type it.
SURNAME=$(page "$GRID" "$RESIDENT" | grep -o '<h1>[^<]*' | head -1 | sed 's/<h1>//' | python3 -c "import sys; print(sys.stdin.read().strip()[:1])")
CSS=$(curl -fs "$B/app/static/app.css" | wc -c); JS=$(curl -fs "$B/app/static/app.js" | wc -c)

run() { # label token path [auth: cookie|bearer]
  local header
  if [ "${4:-cookie}" = bearer ]; then header="Authorization: Bearer $2"; else header="Cookie: gridcare_session=$2"; fi
  local out
  out=$(wrk -t2 -c4 -d"${SECS}s" --latency -H "$header" "$B$3")
  # By whole fields: a thread's "+/- Stdev" (75.50%) must not read as the 50th percentile.
  local rps p50 p99 errors
  rps=$(echo "$out" | awk '$1 == "Requests/sec:" {print $2}')
  p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  errors=$(echo "$out" | awk '/Non-2xx or 3xx responses:/ {print $NF}')
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
run "console /app/search?q={surname} (grid worker)" "$GRID" "/app/search?q=$(python3 -c "import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1]))" "$SURNAME")"
run "console /app/board (grid worker)" "$GRID" /app/board
run "console /app/board/requests/{id} (grid worker)" "$GRID" "$BOARDREQ"
run "console /app/notifications (grid worker)" "$GRID" /app/notifications
run "console /app/today (doctor)" "$DOCTOR" /app/today
run "  api /v1/alerts (doctor)" "$DOCTOR" /v1/alerts bearer
run "console /app/due (doctor)" "$DOCTOR" /app/due
run "  api /v1/teams/{id}/due-visits (doctor)" "$DOCTOR" "/v1/teams/$TEAM/due-visits?limit=2000" bearer
run "console /app/clinics (doctor)" "$DOCTOR" /app/clinics
run "console /app/sessions/{id} (doctor)" "$DOCTOR" "$SESSION"
run "console /app/referrals/{id} (doctor)" "$DOCTOR" "$REFERRAL"
run "console /app/rounds (doctor)" "$DOCTOR" /app/rounds
run "console /app/team (doctor)" "$DOCTOR" /app/team
run "console /app/login (signed out)" "" /app/login
run "console /app/static/app.css" "" /app/static/app.css
echo "== page weight"
for p in "/app/grids:$GRID" "$GRIDPATH:$GRID" "$RESIDENT:$DOCTOR" "/app/today:$DOCTOR" "/app/due:$DOCTOR" "/app/clinics:$DOCTOR" "/app/rounds:$DOCTOR" "/app/team:$DOCTOR" \
  "/app/board:$GRID" "$BOARDREQ:$GRID" "/app/notifications:$GRID" "$SESSION:$DOCTOR" "$REFERRAL:$DOCTOR"; do
  weight "${p%%:*}" "${p#*:}" "${p%%:*}"
done
