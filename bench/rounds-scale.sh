#!/usr/bin/env bash
# Planning every team of a 1,000,000-resident district for a week (issue 6 target: under 30 s): the
# district's due visits are read set-based once, then every team's week is planned, teams spread over
# the cores, each with SECONDS of solver time.
# Usage: bench/rounds-scale.sh [RESIDENTS] [SECONDS]   (defaults 1,000,000 and 0.2); REUSE=1 keeps the database.
source "$(dirname "$0")/common.sh"
N=${1:-1000000}; SECS=${2:-0.2}; DB=gc_bench_rounds
if [ -z "${REUSE:-}" ]; then
  URL=$(bench_db $DB)
  t0=$(now); GRIDCARE_DATABASE_URL="$URL" "$BIN" demo --residents "$N" --seed 79 --log-level warning >/dev/null; t1=$(now)
  printf 'demo --residents %d with care records: %.1f s\n' "$N" "$(echo "$t1 - $t0" | bc)"
else
  URL="${SERVER_URL%/*}/$DB"
fi
export GRIDCARE_DATABASE_URL="$URL"
q() { psql "$URL" -qAtc "$1"; }
D=$(q "SELECT id FROM area WHERE level = 'district' ORDER BY id LIMIT 1")
WEEK=$(python3 -c 'import datetime; d = datetime.date.today() + datetime.timedelta(days=7); y, w, _ = d.isocalendar(); print(f"{y}-W{w:02d}")')
echo "district $D, week $WEEK: $(q "SELECT count(*) FROM care_team WHERE district_id = $D") teams, $(q "SELECT count(*) FROM resident") residents"
for _ in 1 2; do
  t0=$(now); "$BIN" rounds plan --district "$D" --week "$WEEK" --seconds "$SECS" --log-level warning; t1=$(now)
  printf 'wall clock, process included: %.1f s\n' "$(echo "$t1 - $t0" | bc)"
done
