# Shared by the benchmarks: a release build, the embedded cluster, and a fresh database per run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/ensure-packages.sh
# The scripts' arithmetic and loads: installed from Debian's packages when missing (lists refreshed first).
need=()
for tool in bc:bc; do command -v "${tool%%:*}" >/dev/null || need+=("${tool#*:}"); done
if [ ${#need[@]} -gt 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null; fi
swift build -c release --product gridcare >/dev/null
BIN="$PWD/.build/release/gridcare"
OUT="$PWD/bench/out"
mkdir -p "$OUT"
# The benchmarks load millions of rows into throwaway databases: their WAL is not archived for backups
# (a cluster this starts keeps no archive; one already running keeps what it started with).
export GRIDCARE_DATABASE_EMBEDDED_WAL_ARCHIVE=${GRIDCARE_DATABASE_EMBEDDED_WAL_ARCHIVE:-false}
# The embedded cluster's address, with the database name swapped for the benchmark's own.
SERVER_URL=$("$BIN" db start 2>/dev/null | tail -1)
# Benchmark databases are "external" to the service (their URL is given), so they name the key that seals
# identity numbers: the embedded cluster's own, which `db start` made beside its data folder.
export GRIDCARE_SECURITY_IDENTITY_KEY_FILE="${GRIDCARE_SECURITY_IDENTITY_KEY_FILE:-$PWD/.gridcare/pg.identity-key}"
bench_db() { # name → fresh database URL
  local name=$1
  psql "$SERVER_URL" -qAtc "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null
  psql "$SERVER_URL" -qAtc "CREATE DATABASE $name" >/dev/null
  echo "${SERVER_URL%/*}/$name"
}
now() { date +%s.%N; }
demo_district() { # database user → URL (exported to the service), TOKEN for the user, MIN and MAX resident ids:
  # a fresh database holding the seeded $N-resident demo
  URL=$(bench_db "$1")
  export GRIDCARE_DATABASE_URL="$URL"
  "$BIN" demo --residents "$N" --seed 78 --log-level warning >/dev/null
  TOKEN=$("$BIN" token issue --user "$2" --ttl-hours 1 --quiet --log-level warning)
  MIN=$(psql "$URL" -qAtc "SELECT min(id) FROM resident"); MAX=$(psql "$URL" -qAtc "SELECT max(id) FROM resident")
}

# The HTTP loads: wrk from Debian's packages.
need_wrk() { command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }; }
load() { # port label script → "requests/s p99-ms", after printing wrk's lines (wrk -t2 -c32 for $SECS s)
  local res
  res=$(wrk -t2 -c32 -d"${SECS}s" --latency -s "$3" "http://127.0.0.1:$1")
  echo "$res" | grep -E "Requests/sec|50%|99%|Non-2xx|Socket errors" | sed "s/^/  $2: /" >&2
  local rps p99
  rps=$(echo "$res" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$res" | awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v}')
  echo "$rps $p99"
}
wait_up() { # port → waits until a signed-in read of resident $MIN answers (with $TOKEN)
  for _ in $(seq 1 100); do curl -fs -o /dev/null -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$1/v1/residents/$MIN" && return 0; sleep 0.2; done
  echo "nothing answers on $1"; exit 1
}
# The service's clocks run their first rounds as it starts (the indicator rollup, the due table, the
# mobilisation check): on the 200,000-resident demo about five seconds of both cores. A load measures
# requests, so it starts once the service and the database have gone quiet (at most a minute).
cpu_ticks() { # pid → CPU ticks used so far by that process and every postgres process
  local t=0 q
  for q in "$1" $(pgrep -x postgres); do t=$((t + $(awk '{print $14 + $15}' "/proc/$q/stat" 2>/dev/null || echo 0))); done
  echo "$t"
}
settle() { # pid → returns when a second passes with under a tenth of a core used
  local a b
  for _ in $(seq 1 60); do
    a=$(cpu_ticks "$1"); sleep 1; b=$(cpu_ticks "$1")
    [ $((b - a)) -lt 10 ] && return 0
  done
  echo "  (the service did not go quiet within a minute; measuring anyway)" >&2
}
# The FastAPI + asyncpg peer of read.sh and list.sh (bench/peer/read_peer.py), in its own virtual environment from PyPI.
peer_venv() {
  VENV="$OUT/venv-read"
  [ -x "$VENV/bin/uvicorn" ] || { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q fastapi asyncpg 'uvicorn[standard]' orjson; }
}
interleaved() { # what-gridcare-does wrk-script [check port label] → GC[1..2], PEER[1..2]: two rounds, Gridcare then the peer
  local round
  for round in 1 2; do
    "$BIN" serve --port "$PORT" --log-level warning & SERVER=$!
    trap 'kill $SERVER 2>/dev/null || true' EXIT
    wait_up "$PORT"
    settle "$SERVER"
    ${3:-true} "$PORT" gridcare
    echo "== round $round: gridcare API ($1): wrk -t2 -c32 -d${SECS}s"
    GC[$round]=$(load "$PORT" gridcare "$2")
    kill $SERVER; wait $SERVER 2>/dev/null || true; trap - EXIT
    (cd "$PWD/bench/peer" && PYTHONWARNINGS=ignore PEER_DATABASE_URL="$URL" exec "$VENV/bin/uvicorn" read_peer:app --host 127.0.0.1 --port "$PEER_PORT" \
       --workers 2 --loop uvloop --http httptools --log-level warning --no-access-log) & PEERPID=$!
    trap 'kill $PEERPID 2>/dev/null || true' EXIT
    wait_up "$PEER_PORT"
    ${3:-true} "$PEER_PORT" FastAPI
    echo "== round $round: FastAPI + asyncpg (2 workers, uvloop, httptools, pool of 8), the same statements"
    PEER[$round]=$(load "$PEER_PORT" fastapi "$2")
    kill $PEERPID; wait $PEERPID 2>/dev/null || true; trap - EXIT
  done
}
# pgbench of a request's database work, and the ratios read.sh and flag.sh print.
pg() { # script [PGOPTIONS] [pgbench options…] → tps and latency percentiles (-M prepared -c8 -j2 for $SECS s)
  local script=$1 options=${2:-}
  shift; [ $# -gt 0 ] && shift
  rm -f "$OUT"/pgbench_log.*
  (cd "$OUT" && PGOPTIONS="$options" pgbench "$URL" -n -M prepared -c8 -j2 -T"$SECS" "$@" -f "$script" -l --log-prefix=pgbench_log 2>/dev/null) \
    | grep -E "^tps|latency average"
  cat "$OUT"/pgbench_log.* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {printf "pgbench p50 %.2f ms, p99 %.2f ms\n", a[int(NR*0.5)]/1000, a[int(NR*0.99)]/1000}'
}
ratios() { # pgbench-tps-of-the-peer's-statements pgbench-tps-of-the-one-call → a line per round from GC and PEER
  local round g gp f fp
  for round in 1 2; do
    read -r g gp <<< "${GC[$round]}"; read -r f fp <<< "${PEER[$round]}"
    printf "round %s: gridcare %s/s p99 %s ms; FastAPI %s/s p99 %s ms; %.2fx the peer; %.0f%% of pgbench (%s tps); %.0f%% of the one call (%s tps)\n" \
      "$round" "$g" "$gp" "$f" "$fp" "$(echo "$g / $f" | bc -l)" "$(echo "100 * $g / $1" | bc -l)" "$1" "$(echo "100 * $g / $2" | bc -l)" "$2"
  done
}
