#!/usr/bin/env bash
# Fuzzes the running API with schemathesis (from PyPI) against the served /openapi.yaml, once per role,
# each with a token of that role and only the operations that role may call (refusals are covered by
# the access-matrix tests). Fails on any server error or failed check.
# Uses .build/debug/gridcare (scripts/test.sh builds it) and its own cluster under .gridcare/fuzz-pg.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${GRIDCARE_BIN:-$ROOT/.build/debug/gridcare}
VENV=$ROOT/.gridcare/venv
PORT=${FUZZ_PORT:-18089}
EXAMPLES=${FUZZ_EXAMPLES:-25}
SCHEMATHESIS=${SCHEMATHESIS_VERSION:-4.32.5}
export GRIDCARE_DATABASE_EMBEDDED_DATA_DIRECTORY=$ROOT/.gridcare/fuzz-pg
# A throwaway cluster: no WAL archive for backups.
export GRIDCARE_DATABASE_EMBEDDED_WAL_ARCHIVE=false
export GRIDCARE_LOG_LEVEL=${GRIDCARE_LOG_LEVEL:-warning}
export GRIDCARE_AUTH_BCRYPT_COST=4

if [ ! -x "$VENV/bin/st" ] || ! "$VENV/bin/st" --version | grep -q "$SCHEMATHESIS"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "schemathesis==$SCHEMATHESIS"
fi

# A fresh district each run, so earlier runs' generated records do not pile up.
"$BIN" db stop >/dev/null 2>&1 || true
rm -rf "$GRIDCARE_DATABASE_EMBEDDED_DATA_DIRECTORY"
"$BIN" demo --residents 2000 --seed 3 >/dev/null
"$BIN" serve --port "$PORT" --host 127.0.0.1 > "$ROOT/.gridcare/fuzz-serve.log" 2>&1 &
SERVER=$!
cleanup() { kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; "$BIN" db stop >/dev/null 2>&1 || true; }
trap cleanup EXIT
for _ in $(seq 1 150); do python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" "http://127.0.0.1:$PORT/healthz" 2>/dev/null && break; sleep 0.2; done

"$BIN" access --format json > "$ROOT/.gridcare/fuzz-access.json"
status=0
for user in admin manager doctor gridworker hospital; do
  token=$("$BIN" token issue --user "$user" --ttl-hours 2 --label fuzz --quiet)
  role=$(python3 -c "import json,sys; print({'admin':'admin','manager':'district_manager','doctor':'centre_staff','gridworker':'grid_worker','hospital':'hospital_staff'}['$user'])")
  include=$(python3 - "$ROOT/.gridcare/fuzz-access.json" "$role" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
ops = [r["operation"] for r in rows if r[sys.argv[2]] in ("yes", "anyone") and r["operation"] != "signOut"]
print(" ".join(f"--include-operation-id={op}" for op in ops))
PY
)
  echo "== schemathesis as $user ($role)"
  # shellcheck disable=SC2086
  "$VENV/bin/st" run "http://127.0.0.1:$PORT/openapi.yaml" -H "Authorization: Bearer $token" \
      --checks all --exclude-checks positive_data_acceptance $include --max-examples "$EXAMPLES" --seed 1 --no-color \
      --report junit --report-dir "$ROOT/.gridcare/fuzz-report-$user" || status=1
done
if [ $status -ne 0 ]; then echo "schemathesis found failures (server log: .gridcare/fuzz-serve.log)"; fi
exit $status
