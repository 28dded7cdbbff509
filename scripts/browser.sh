#!/usr/bin/env bash
# Drives the web console in a real Chromium (Debian's), from Python with Playwright (PyPI), against a
# served demo: two districts on their own cluster under .gridcare/browser-pg. Installs what it needs:
# chromium and a CJK font from Debian (package lists refreshed first), Playwright and pytest into
# .gridcare/venv-browser (its own browser download is never used: executable_path is the system one).
# Screenshots of every screen at 360×640 and 1280×800 go to .gridcare/screens/.
# Uses .build/debug/gridcare (scripts/test.sh builds it).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${GRIDCARE_BIN:-$ROOT/.build/debug/gridcare}
VENV=$ROOT/.gridcare/venv-browser
PORT=${BROWSER_PORT:-18091}
PLAYWRIGHT=${PLAYWRIGHT_VERSION:-1.65.2}
export GRIDCARE_DATABASE_EMBEDDED_DATA_DIRECTORY=$ROOT/.gridcare/browser-pg
# A throwaway cluster: no WAL archive for backups.
export GRIDCARE_DATABASE_EMBEDDED_WAL_ARCHIVE=false
export GRIDCARE_LOG_LEVEL=${GRIDCARE_LOG_LEVEL:-warning}
export GRIDCARE_AUTH_BCRYPT_COST=4
# Every test signs in afresh from one address; the limits themselves are the Swift suite's to test.
export GRIDCARE_AUTH_SIGN_IN_PER_USER_PER_MINUTE=120 GRIDCARE_AUTH_SIGN_IN_PER_ADDRESS_PER_MINUTE=240

# zbarimg reads the printed household codes back, as a phone's camera would.
if ! command -v chromium >/dev/null || ! command -v zbarimg >/dev/null || ! fc-list 2>/dev/null | grep -qi "wqy\|noto.*cjk"; then
  SUDO=$([ "$(id -u)" -eq 0 ] && echo "" || echo sudo)
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q chromium fonts-wqy-microhei zbar-tools >/dev/null
fi
if [ ! -x "$VENV/bin/pytest" ] || ! "$VENV/bin/pip" show playwright 2>/dev/null | grep -q "Version: $PLAYWRIGHT" \
  || ! "$VENV/bin/python" -c "import openpyxl, pypdf" 2>/dev/null; then
  python3 -m venv "$VENV"
  # openpyxl opens the dashboard's Excel downloads; pypdf reads the printed pages' text.
  "$VENV/bin/pip" install -q "playwright==$PLAYWRIGHT" "pytest==9.2.0" "openpyxl==3.1.5" "pypdf==7.1.1"
fi

"$BIN" db stop >/dev/null 2>&1 || true
rm -rf "$GRIDCARE_DATABASE_EMBEDDED_DATA_DIRECTORY"
"$BIN" demo --residents 2000 --seed 3 >/dev/null
# A second district: its residents are the outsiders the grid worker of the first must not reach.
"$BIN" demo --residents 300 --seed 4 >/dev/null
"$BIN" serve --port "$PORT" --host 127.0.0.1 > "$ROOT/.gridcare/browser-serve.log" 2>&1 &
SERVER=$!
cleanup() { kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; "$BIN" db stop >/dev/null 2>&1 || true; }
trap cleanup EXIT
for _ in $(seq 1 150); do python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" "http://127.0.0.1:$PORT/healthz" 2>/dev/null && break; sleep 0.2; done

mkdir -p "$ROOT/.gridcare/screens"
FOREIGN_GRID_WORKER=$("$BIN" user list | awk '$3 == "grid_worker" {print $2}' | tail -1)
FOREIGN_HOSPITAL=$("$BIN" user list | awk '$3 == "hospital_staff" {print $2}' | tail -1)
HOSPITAL_ID=$("$BIN" user list --format csv | awk -F, '$2 == "hospital" {print $6}')
FOREIGN_DISTRICT=$("$BIN" user list --format csv | awk -F, '$3 == "district_manager" {print $4}' | tail -1)
DOCTOR_TOKEN=$("$BIN" token issue --user doctor --ttl-hours 2 --label browser --quiet)
export FOREIGN_GRID_WORKER FOREIGN_HOSPITAL HOSPITAL_ID FOREIGN_DISTRICT DOCTOR_TOKEN
GRIDCARE_URL="http://127.0.0.1:$PORT" GRIDCARE_SCREENS="$ROOT/.gridcare/screens" CHROMIUM="$(command -v chromium)" \
  "$VENV/bin/pytest" -q -p no:cacheprovider "$ROOT/Tests/browser" "$@"
