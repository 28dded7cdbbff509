#!/usr/bin/env bash
# Sets everything up and runs Gridcare on its own embedded PostgreSQL with a demo district loaded.
# Extra arguments go to `gridcare serve` (e.g. --port 9090). GRIDCARE_DEMO_RESIDENTS and
# GRIDCARE_DEMO_SEED choose the demo district (default 20,000 residents, seed 1).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-packages.sh
swift build -c release --product gridcare
bin=.build/release/gridcare
"$bin" demo --residents "${GRIDCARE_DEMO_RESIDENTS:-20000}" --seed "${GRIDCARE_DEMO_SEED:-1}" --if-missing
echo "Demo users: admin, manager, doctor (家庭医生团队), gridworker (网格员), hospital; password ${GRIDCARE_DEMO_PASSWORD:-gridcare-demo}."
echo "Open the console (grid workers and clinic staff) at the address below, under /app."
exec "$bin" serve "$@"
