#!/usr/bin/env bash
# The rounds solver beside PyVRP and OR-Tools (from PyPI, installed here only, into bench/.venv), every
# solution scored by ONE evaluator (bench/rounds/evaluator.py, the Python twin of GridcareRouting's):
#   (a) demo-like weekly rounds, 50–500 visits (bench/rounds/demo_like.py): ours at 1 s and 10 s,
#       PyVRP and OR-Tools at 10 s; the target is ours at 1 s within 3% of PyVRP at 10 s;
#   (b) exported weeks of the demo district's teams (gridcare rounds export), same solvers;
#   (c) the public prize-collecting Gehring–Homberger set (../shared/bench-data/vrplib/PCVRPTW), all
#       at SECONDS; gap to best-known; the target is a lower average gap than OR-Tools.
# Usage: bench/rounds.sh [SECONDS] [INSTANCES...]   (default 10 s; default one instance per class)
source "$(dirname "$0")/common.sh"
SECS=${1:-10}; shift || true
PUBLIC=("${@:-C1_10_1 C2_10_1 R1_10_1 R2_10_1 RC1_10_1 RC2_10_1}")
DATA=${DATA:-$(cd .. && pwd)/shared/bench-data/vrplib}
[ -d "$DATA/PCVRPTW" ] || { echo "no $DATA/PCVRPTW: set DATA to the vrplib folder" >&2; exit 1; }
VENV=bench/.venv
[ -x $VENV/bin/python ] || python3 -m venv $VENV
$VENV/bin/pip install -q pyvrp ortools vrplib
export GRIDCARE_BIN="$BIN" DATA
echo "== versions: $($VENV/bin/pip list 2>/dev/null | grep -Ei '^(pyvrp|ortools) ' | tr -s ' ' | paste -sd, -)"

echo "== (a) demo-like weekly rounds (cost in tenths of a minute: travel + 10 x prizes of skipped visits)"
python3 bench/rounds/demo_like.py --out "$OUT/demo-like" >/dev/null
$VENV/bin/python bench/rounds/peers.py --dir "$OUT/demo-like" --solvers "ours:1,ours:$SECS,pyvrp:$SECS,ortools:$SECS"

echo "== (b) the demo district's teams, exported (gridcare rounds export)"
URL=$(bench_db gc_bench_rounds_export)
GRIDCARE_DATABASE_URL="$URL" "$BIN" demo --residents 6000 --seed 5 --log-level warning >/dev/null
mkdir -p "$OUT/demo-teams"; rm -f "$OUT/demo-teams"/*.vrp
WEEK=$(python3 -c 'import datetime; d = datetime.date.today() + datetime.timedelta(days=7); y, w, _ = d.isocalendar(); print(f"{y}-W{w:02d}")')
for T in $(psql "$URL" -qAtc "SELECT id FROM care_team ORDER BY id LIMIT 2"); do
  GRIDCARE_DATABASE_URL="$URL" "$BIN" rounds export --team "$T" --week "$WEEK" --out "$OUT/demo-teams/team$T.vrp" --log-level warning
done
$VENV/bin/python bench/rounds/peers.py --dir "$OUT/demo-teams" --solvers "ours:1,ours:$SECS,pyvrp:$SECS,ortools:$SECS"

echo "== (c) public PCVRPTW (Gehring–Homberger, 1,000 clients), all at $SECS s, gap to best-known"
$VENV/bin/python bench/rounds/peers.py --set PCVRPTW --solvers "ours:$SECS,pyvrp:$SECS,ortools:$SECS" ${PUBLIC[@]}
