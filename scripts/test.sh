#!/usr/bin/env bash
# Runs the whole test suite against a real PostgreSQL that the suite starts itself
# (.gridcare/test-pg), or the one named by GRIDCARE_TEST_DATABASE_URL.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-postgres.sh
swift build --build-tests
status=0
swift test --skip-build "$@" || status=$?
# The suite leaves its cluster running for the next run; stop it so nothing outlives the command.
if [ -z "${GRIDCARE_TEST_DATABASE_URL:-}" ] && [ -d .gridcare/test-pg ]; then
  GRIDCARE_DATABASE_EMBEDDED_DATA_DIRECTORY="$PWD/.gridcare/test-pg" .build/debug/gridcare db stop || true
fi
exit $status
