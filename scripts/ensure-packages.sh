#!/usr/bin/env bash
# Installs the Debian packages the build and the service need when they are missing: PostgreSQL's
# server (the embedded cluster) and libqrencode (the household code sheets). Package lists are
# refreshed first.
set -euo pipefail
need=()
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then need+=(postgresql); fi
[ -f /usr/include/qrencode.h ] || need+=(libqrencode-dev)
[ ${#need[@]} -eq 0 ] && exit 0
echo "installing Debian's ${need[*]}…" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
