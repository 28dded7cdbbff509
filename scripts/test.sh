#!/usr/bin/env bash
# Runs the whole test suite against a real PostgreSQL that the suite starts itself
# (.gridcare/test-pg), or the one named by GRIDCARE_TEST_DATABASE_URL; then drives the web console in a
# real Chromium (scripts/browser.sh; GRIDCARE_SKIP_BROWSER=1 skips it), validates the FHIR export of the
# 20,000-resident demo (scripts/fhir.sh; GRIDCARE_SKIP_FHIR=1 skips it) and fuzzes the served API with
# schemathesis once per role (scripts/fuzz.sh; GRIDCARE_SKIP_FUZZ=1 skips it).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-packages.sh
swift build --build-tests
status=0
swift test --skip-build "$@" || status=$?
# The suite leaves its cluster running for the next run; stop it so nothing outlives the command.
if [ -z "${GRIDCARE_TEST_DATABASE_URL:-}" ] && [ -d .gridcare/test-pg ]; then
  GRIDCARE_DATABASE_EMBEDDED_DATA_DIRECTORY="$PWD/.gridcare/test-pg" .build/debug/gridcare db stop || true
fi
if [ -z "${GRIDCARE_SKIP_BROWSER:-}" ] && [ $# -eq 0 ]; then
  browser=0
  scripts/browser.sh || browser=$?
  echo "browser tests (Chromium): $([ $browser -eq 0 ] && echo 'all passed' || echo 'FAILED')"
  [ $browser -eq 0 ] || status=$browser
fi
if [ -z "${GRIDCARE_SKIP_FHIR:-}" ] && [ $# -eq 0 ]; then
  fhir=0
  scripts/fhir.sh || fhir=$?
  echo "FHIR export (fhir.resources R4B): $([ $fhir -eq 0 ] && echo 'all valid' || echo 'FAILED')"
  [ $fhir -eq 0 ] || status=$fhir
fi
if [ -z "${GRIDCARE_SKIP_FUZZ:-}" ] && [ $# -eq 0 ]; then
  fuzz=0
  scripts/fuzz.sh || fuzz=$?
  echo "schemathesis: $([ $fuzz -eq 0 ] && echo 'no server errors, no failed checks' || echo 'FAILED')"
  [ $fuzz -eq 0 ] || status=$fuzz
fi
echo "scripts/test.sh: $([ $status -eq 0 ] && echo 'all passed' || echo "FAILED (exit $status)")"
exit $status
