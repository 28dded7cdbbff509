#!/usr/bin/env bash
# gridcare import vs psql \copy into the same schema with the same indexes, side by side in one run.
# Also times `gridcare demo` for the same district. Usage: bench/import.sh [RESIDENTS]   (default 1,000,000)
# ROUNDS=n alternates the two loaders n times (default 2) and prints the median ratio.
source "$(dirname "$0")/common.sh"
N=${1:-1000000}
# REUSE=1 keeps the database and CSV files of the previous run (skips the demo timing).
if [ "${REUSE:-0}" = 1 ]; then
  URL="${SERVER_URL%/*}/gc_bench_import"; demo_s=0
else
  URL=$(bench_db gc_bench_import)
fi
export GRIDCARE_DATABASE_URL="$URL"
if [ "${REUSE:-0}" != 1 ]; then
  t0=$(now); "$BIN" demo --residents "$N" --seed 77 --log-level warning --residents-csv "$OUT/residents.csv"; t1=$(now)
  demo_s=$(echo "$t1 - $t0" | bc)
fi
D=$(psql "$URL" -qAtc "SELECT id FROM area WHERE level = 'district' LIMIT 1")

# The same rows in both files: the import format (refs) and the table format (ids), for the two loaders.
[ "${REUSE:-0}" = 1 ] || {
psql "$URL" -qc "\copy (SELECT external_ref AS ref, micro_grid_id, address, latitude, longitude FROM household ORDER BY id) TO '$OUT/households.csv' CSV HEADER"
# The import file comes from the generator (demo --residents-csv): the database holds the numbers sealed.
psql "$URL" -qc "\copy (SELECT id, district_id, micro_grid_id, external_ref, address, latitude, longitude, code_token FROM household ORDER BY id) TO '$OUT/households.table.csv' CSV"
# The peer loads rows already sealed (bytea as hex): it copies what gridcare import must first encrypt and index.
psql "$URL" -qc "\copy (SELECT district_id, household_id, micro_grid_id, name, sex, birth_date, id_number_sealed, id_number_index, phone, conditions, circumstances FROM resident ORDER BY id) TO '$OUT/residents.table.csv' CSV"
}
H=$(($(wc -l < "$OUT/households.table.csv"))); R=$(($(wc -l < "$OUT/residents.table.csv")))
rows=$((H + R))
# Care records, slips, bookings and due visits reference residents: empty them all (CASCADE), and keep
# the demo's contracts out of both loads.
empty() { psql "$URL" -qc "TRUNCATE resident, household CASCADE" >/dev/null; psql "$URL" -qc "CHECKPOINT" >/dev/null; }

: > "$OUT/import_ratios.txt"
for round in $(seq 1 "${ROUNDS:-2}"); do
  empty
  t0=$(now); "$BIN" import --district "$D" --households "$OUT/households.csv" --residents "$OUT/residents.csv" --log-level warning >/dev/null; t1=$(now)
  ours=$(echo "$t1 - $t0" | bc)
  empty
  t0=$(now)
  psql "$URL" -q -v ON_ERROR_STOP=1 <<SQL
BEGIN;
\copy household (id, district_id, micro_grid_id, external_ref, address, latitude, longitude, code_token) FROM '$OUT/households.table.csv' CSV
\copy resident (district_id, household_id, micro_grid_id, name, sex, birth_date, id_number_sealed, id_number_index, phone, conditions, circumstances) FROM '$OUT/residents.table.csv' CSV
COMMIT;
SQL
  t1=$(now)
  peer=$(echo "$t1 - $t0" | bc)
  printf 'round %d: gridcare import %.1f s (%d rows/s) | psql \\copy %.1f s (%d rows/s) | ratio %.0f%%\n' "$round" \
    "$ours" "$(echo "$rows / $ours" | bc)" "$peer" "$(echo "$rows / $peer" | bc)" "$(echo "100 * $peer / $ours" | bc -l)"
  echo "$ours $peer" >> "$OUT/import_ratios.txt"
done
python3 - "$OUT/import_ratios.txt" <<'PY'
import statistics, sys
rows = [tuple(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
print(f"median: gridcare import {statistics.median(r[0] for r in rows):.1f} s, psql \\copy {statistics.median(r[1] for r in rows):.1f} s; "
      f"median of the rounds' ratios {statistics.median(r[1] / r[0] for r in rows):.0%}")
PY
printf 'rows: %d households + %d residents; demo --residents %d: %.1f s\n' "$H" "$R" "$N" "$demo_s"
