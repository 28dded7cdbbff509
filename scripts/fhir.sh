#!/usr/bin/env bash
# Validates the FHIR export of the 20,000-resident demo, whole: the bulk `$export` of the district (every
# Patient, CareTeam, Flag, Observation and Encounter, as NDJSON) and a referral's and a clinic session's
# bundles, each resource through the FHIR R4B models of fhir.resources (PyPI) in .gridcare/venv-fhir;
# every reference to a Patient must name an exported one, and no line may hold a whole identity number.
# Uses .build/debug/gridcare (scripts/test.sh builds it) and its own cluster under .gridcare/fhir-pg.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${GRIDCARE_BIN:-$ROOT/.build/debug/gridcare}
VENV=$ROOT/.gridcare/venv-fhir
PORT=${FHIR_PORT:-18097}
RESIDENTS=${FHIR_RESIDENTS:-20000}
FHIR_RESOURCES=${FHIR_RESOURCES_VERSION:-8.3.0}
export GRIDCARE_DATABASE_EMBEDDED_DATA_DIRECTORY=$ROOT/.gridcare/fhir-pg
# A throwaway cluster: no WAL archive for backups.
export GRIDCARE_DATABASE_EMBEDDED_WAL_ARCHIVE=false
export GRIDCARE_LOG_LEVEL=${GRIDCARE_LOG_LEVEL:-warning}
export GRIDCARE_AUTH_BCRYPT_COST=4

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/pip" show fhir.resources 2>/dev/null | grep -q "Version: $FHIR_RESOURCES"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "fhir.resources==$FHIR_RESOURCES"
fi

"$BIN" db stop >/dev/null 2>&1 || true
rm -rf "$GRIDCARE_DATABASE_EMBEDDED_DATA_DIRECTORY"
"$BIN" demo --residents "$RESIDENTS" --seed 5 >/dev/null
"$BIN" serve --port "$PORT" --host 127.0.0.1 > "$ROOT/.gridcare/fhir-serve.log" 2>&1 &
SERVER=$!
cleanup() { kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; "$BIN" db stop >/dev/null 2>&1 || true; }
trap cleanup EXIT
for _ in $(seq 1 150); do python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" "http://127.0.0.1:$PORT/healthz" 2>/dev/null && break; sleep 0.2; done

# Ten seconds after the demo, so the export's transactionTime (kick-off less ten seconds) holds all of it.
sleep 10
TOKEN=$("$BIN" token issue --user admin --ttl-hours 1 --label fhir --quiet)
DISTRICT=$("$BIN" user list --format csv | awk -F, '$2 == "manager" {print $4}')
"$VENV/bin/python" "$ROOT/Tests/fhir/validate_export.py" "http://127.0.0.1:$PORT" "$TOKEN" "$DISTRICT" "$RESIDENTS"
