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
