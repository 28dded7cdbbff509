#!/usr/bin/env bash
# Notifications from commit to the receiver's 200: events committed at a steady rate (pgbench -R) while
# the service's delivery worker sends each as a signed webhook and a WeCom application message to a
# loopback receiver; then the p50/p99 from the event's commit to its arrival. Beside it, the API's own
# latency (GET /v1/residents/{id}, wrk) without and with that load, interleaved in rounds on one service,
# and what the delivery costs the machine's CPU with no API load.
# Usage: [ROUNDS=3] bench/notifications.sh [EVENTS_PER_SECOND] [SECONDS]   (defaults 50 and 30)
source "$(dirname "$0")/common.sh"
RATE=${1:-50}; SECS=${2:-30}; PORT=18095; RECEIVER=18094
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
URL=$(bench_db gc_bench_notify)
export GRIDCARE_DATABASE_URL="$URL"
"$BIN" demo --residents 20000 --seed 1 --log-level warning >/dev/null
TOKEN=$("$BIN" token issue --user admin --ttl-hours 1 --quiet --log-level warning)
DOCTOR=$(psql "$URL" -qAtc "SELECT id FROM app_user WHERE username = 'doctor'")
MIN=$(psql "$URL" -qAtc "SELECT min(id) FROM resident"); MAX=$(psql "$URL" -qAtc "SELECT max(id) FROM resident")

python3 bench/notification-receiver.py $RECEIVER "$OUT/received.tsv" & RECV=$!
export GRIDCARE_NOTIFICATIONS_WEBHOOK_URL="http://127.0.0.1:$RECEIVER/hook" GRIDCARE_NOTIFICATIONS_WEBHOOK_SECRET=bench
export GRIDCARE_NOTIFICATIONS_WECOM_API_BASE="http://127.0.0.1:$RECEIVER" GRIDCARE_NOTIFICATIONS_WECOM_CORP_SECRET=bench
export GRIDCARE_NOTIFICATIONS_QUIET_HOURS=""
serve() { # notifications.enabled
  GRIDCARE_NOTIFICATIONS_ENABLED=$1 "$BIN" serve --port $PORT --log-level error & SERVER=$!
  for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
}
trap 'kill $SERVER $RECV 2>/dev/null || true' EXIT

cat > "$OUT/notify-read.lua" <<LUA
math.randomseed(42)
request = function() return wrk.format("GET", "/v1/residents/" .. math.random($MIN, $MAX), {["Authorization"] = "Bearer $TOKEN"}) end
LUA
api() { wrk -t2 -c8 -d"${SECS}s" --latency -s "$OUT/notify-read.lua" "http://127.0.0.1:$PORT" | grep -E "Requests/sec|50%|99%|Non-2xx" | tr -s ' ' | tr '\n' ' '; echo; }
# One event per transaction, as a change's trigger writes it: the doctor told, one webhook and one WeCom message.
events() { # key prefix
  cat > "$OUT/notify.sql" <<SQL
SELECT gridcare_notify(NULL, 'urgent_reading', '$1:' || txid_current(), true, NULL, ARRAY[$DOCTOR]::bigint[], '压测', '事件 ' || txid_current(), NULL);
SQL
  pgbench -n -c2 -j2 -R "$RATE" -T "$SECS" -f "$OUT/notify.sql" "$URL" > "$OUT/notify-pgbench.txt" 2>&1
}

# The demo's own notifications are sent first, before anything is measured. One service runs every
# phase, its delivery worker on throughout, so a phase differs from the next only in the events.
serve true
for _ in $(seq 1 60); do
  [ "$(psql "$URL" -qAtc "SELECT count(*) FROM notification WHERE dispatched_at IS NULL")" = 0 ] && \
  [ "$(psql "$URL" -qAtc "SELECT count(*) FROM notification_delivery WHERE status = 'pending'")" = 0 ] && break; sleep 1
done
busy() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat; } # the machine's busy clock ticks
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; } # one process's user + system clock ticks
seconds() { echo "scale=2; $1 / $(getconf CLK_TCK)" | bc -l; }

# What delivering costs the machine, with no API load: its busy time idle, then at $RATE events/s.
B0=$(busy); sleep "$SECS"; IDLE=$(( $(busy) - B0 ))
B0=$(busy); S0=$(cpu $SERVER); R0=$(cpu $RECV)
events cost; DELIVER=$(( $(busy) - B0 )); SERVICE=$(( $(cpu $SERVER) - S0 )); RECEIVER_CPU=$(( $(cpu $RECV) - R0 ))
echo "== the machine's CPU over ${SECS} s, no API load: idle $(seconds $IDLE) s; at $RATE events/s delivered twice $(seconds $DELIVER) s" \
     "(the service $(seconds $SERVICE) s, the receiver $(seconds $RECEIVER_CPU) s, the rest PostgreSQL and pgbench) of $((2 * SECS)) s"

# The API beside nothing and beside the events, interleaved (A B B A …) so the machine's drift between
# runs falls on both sides alike.
ROUNDS=${ROUNDS:-3}
echo "== the API (GET /v1/residents/{id}, admin, wrk -t2 -c8 -d${SECS}s) alone and beside $RATE events/s, each delivered twice"
for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) = 1 ]; then order="alone beside"; else order="beside alone"; fi
  for phase in $order; do
    if [ "$phase" = alone ]; then echo "  round $r, alone:  $(api)"
    else events "bench$r" & LOAD=$!; echo "  round $r, beside: $(api)"; wait $LOAD; fi
  done
done
grep -E "^(number of transactions actually processed|tps)" "$OUT/notify-pgbench.txt" || true
# Every delivery received, then the times from each event's commit to its arrival.
for _ in $(seq 1 120); do
  left=$(psql "$URL" -qAtc "SELECT count(*) FROM notification n WHERE (n.event_key LIKE 'bench%' OR n.event_key LIKE 'cost:%') AND (n.dispatched_at IS NULL OR EXISTS (SELECT 1 FROM notification_delivery d WHERE d.notification_id = n.id AND d.status <> 'delivered'))")
  [ "$left" = 0 ] && break; sleep 1
done
echo "undelivered after the run: $left"
psql "$URL" -q <<SQL
CREATE TEMP TABLE received (at double precision, key text);
\copy received FROM '$OUT/received.tsv'
CREATE TEMP VIEW sent AS
    SELECT 'hook ' || d.idempotency_key AS key, n.created_at FROM notification_delivery d JOIN notification n ON n.id = d.notification_id
    WHERE d.channel = 'webhook' AND n.event_key LIKE 'bench%'
    UNION ALL
    SELECT 'app ' || n.title || ' ' || n.body, n.created_at FROM notification n WHERE n.event_key LIKE 'bench%';
WITH lat AS (
    SELECT split_part(s.key, ' ', 1) AS channel, (r.at - extract(epoch FROM s.created_at)) * 1000 AS ms
    FROM sent s JOIN (SELECT key, min(at) AS at FROM received GROUP BY key) r ON r.key = s.key
)
SELECT channel, count(*) AS messages, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 1) AS p50_ms,
       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 1) AS p99_ms, round(max(ms)::numeric, 1) AS max_ms
FROM lat GROUP BY channel ORDER BY channel;
-- A message the receiver took more than once (a resend it would recognise by its key).
SELECT (SELECT count(*) FROM sent) AS sent, count(*) AS received, count(*) - count(DISTINCT r.key) AS received_again
FROM received r WHERE r.key IN (SELECT key FROM sent);
SQL
