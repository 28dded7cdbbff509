#!/usr/bin/env bash
# GET /v1/residents/{id} under load (wrk), interleaved with a FastAPI + asyncpg peer doing the same statements
# (two rounds), then pgbench running the same database work, as separate statements (the peer's way) and as
# the one call Gridcare sends; prints the ratios.
# Usage: bench/read.sh [RESIDENTS] [SECONDS]   (defaults 200,000 and 20)
source "$(dirname "$0")/common.sh"
N=${1:-200000}; SECS=${2:-20}; PORT=${BENCH_PORT:-18089}
need_wrk
demo_district gc_bench_read admin

PEER_PORT=$((PORT + 1))
peer_venv
cat > "$OUT/read.lua" <<LUA
math.randomseed(42)
request = function() return wrk.format("GET", "/v1/residents/" .. math.random($MIN, $MAX), {["Authorization"] = "Bearer $TOKEN"}) end
LUA
declare -a GC PEER
interleaved "signed in as admin: token check, scoped transaction, audit row" "$OUT/read.lua"

# The statement the store runs for one resident, alone (the floor), and the whole database work of one
# API read (token check, transaction, scope, read, audit row) as one pgbench transaction (the peer).
cat > "$OUT/read.sql" <<SQL
\set id random($MIN, $MAX)
SELECT r.* FROM resident_line r WHERE r.id = :id;
SQL
cat > "$OUT/request.sql" <<SQL
\set id random($MIN, $MAX)
SELECT * FROM gridcare_authenticate(sha256(convert_to('$TOKEN', 'UTF8')));
BEGIN;
SELECT set_config('gridcare.user_id', '1', true), set_config('gridcare.role', 'admin', true),
       set_config('gridcare.scope_district', '*', true), set_config('gridcare.scope_micro_grids', '*', true);
SELECT r.* FROM resident_line r WHERE r.id = :id;
INSERT INTO audit_event (user_id, role, operation, action, resident_id, outcome) VALUES (1, 'admin', 'getResident', 'read', :id, 'ok');
COMMIT;
SQL
# What Gridcare now sends for one read (the token check is kept in the service): one call that sets the
# scope, reads and writes the audit row in its own implicit transaction.
cat > "$OUT/one-call.sql" <<SQL
\set id random($MIN, $MAX)
SELECT * FROM gridcare_read_resident(1, 'admin', NULL, '*', '', 'getResident', :id, true);
SQL
echo "== pgbench: the whole database work of one API read, -M prepared -c8 -j2 -T${SECS}"
PGB=$(pg request.sql "-c role=gridcare_service" | tee /dev/stderr | awk '/^tps/ {print $3}')
echo "== pgbench: the one call Gridcare sends per read (scope, read, audit row), -M prepared -c8 -j2 -T${SECS}"
ONE=$(pg one-call.sql "-c role=gridcare_service" | tee /dev/stderr | awk '/^tps/ {print $3}')
echo "== pgbench: the SELECT alone (as the owner, no scope)"
pg read.sql
echo "== ratios (round: gridcare req/s and p99 ms; FastAPI req/s; gridcare/FastAPI; gridcare/pgbench of the"
echo "   statements a request used to send; gridcare/pgbench of the one call it sends now)"
ratios "$PGB" "$ONE"
