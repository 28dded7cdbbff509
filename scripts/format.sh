#!/usr/bin/env bash
# swift-format (ships with the toolchain) with the settings in .swift-format (Hummingbird's, line length 150).
#   scripts/format.sh          reformats Sources, Tests and Package.swift in place
#   scripts/format.sh --check  changes nothing; lists the files that are not formatted and exits 1 if any
set -euo pipefail
cd "$(dirname "$0")/.."
files=(Package.swift $(git ls-files 'Sources/*.swift' 'Tests/*.swift'))
if [ "${1:-}" != "--check" ]; then
  swift format format --in-place --parallel "${files[@]}"
  exit 0
fi
bad=0
for f in "${files[@]}"; do
  if ! swift format format "$f" | cmp -s - "$f"; then echo "not formatted: $f"; bad=1; fi
done
[ $bad -eq 0 ] && echo "swift-format: ${#files[@]} files formatted" || echo "swift-format: run scripts/format.sh"
exit $bad
