#!/usr/bin/env bash
# Gold latency benchmark (issue #7): the time from an event's production
# to its gold update, at a steady rate (default 20,000 events/s, wall
# clock), through the shipped bronze, silver and gold connectors of
# connectors.d/ in one continuously running worker against a
# `sluice broker`.
#   bash bench/latency.sh BUILDDIR SRCDIR [RATE] [MEASURE_S] [WARMUP_S] [PARTITIONS]
# (defaults 20000 events/s, 30 s measured after 10 s of warm-up, 16
# partitions per topic: the mock broker keeps about 5 MiB per partition;
# the gold topics, one row per day, user and product, get the shipped
# sluice.yaml's default of 4, GOLD_PARTITIONS to change it: librdkafka
# 2.0 sends a produce request per partition, at most 5 in flight per
# connection, so gold's few rows spread over 16 partitions waited for
# round trips: every event measured, p99 266-273 ms over 16 against
# 220-226 over 4).
#
# Method. bench/gold-latency (librdkafka, no group, fetch.wait.max.ms 5)
# is started on the empty gold topics before the worker and reads every
# gold upsert as it arrives. source-faker (rate RATE, clock wall,
# max.events RATE x (WARMUP_S + MEASURE_S + 5)) leaves the record
# timestamp to the producer, so a raw event's Kafka timestamp is the
# moment the worker handed it to its producer; bronze, silver and gold
# each give their outputs the timestamp of the input they come from, so
# every gold upsert carries the CreateTime of the raw event that caused
# it. latency = receive time in gold-latency (CLOCK_REALTIME, same
# machine) - that timestamp. Only events produced between WARMUP_S and
# WARMUP_S + MEASURE_S after the first one count (start-up, group joins
# and state restore stay out). As a cross-check, gold_user_summary's
# last_seen (faker's own wall-clock event time, taken at generation) is
# used the same way. The rate of gold_daily_metrics upserts in the
# window is printed (one per transaction with GOLD_EMIT_INTERVAL=0ms):
# if the pipeline falls behind, latency grows with the backlog and shows
# it. Gold's emit.interval (shipped 100ms) folds a row's changes into
# one upsert stamped with the newest input's time, so with it the figure
# is each upsert's newest event; GOLD_EMIT_INTERVAL=0ms measures every
# event.
#
# Intervals that bound latency (host defaults, none changed here):
# producers linger.ms 20 (four produce hops: faker, bronze, silver,
# gold); consumers fetch.wait.max.ms 25 (three consume hops; the
# embedded broker answers a fetch only when that wait ends); gold's
# emit.interval 100 ms; the stateful connectors' barriers (silver, gold)
# no longer stop input; offsets.flush.interval 1 s (not on the data
# path). LATENCY_TOPICS measures other topics instead of the gold ones
# (every stage stamps its outputs with its input's time, so
# "transaction_logs", "bronze_transactions" or "silver_transactions"
# give the latency up to that hop). MEDALLION_KAFKA adds lines to the
# worker's `kafka:` map, LATENCY_STATE to each stateful connector file
# (e.g. "state: {commit.interval: 5s}"). The worker and the broker are
# this script's children, killed by PID; loopback only; the temp dir
# removed.
set -euo pipefail
b=${1:?BUILDDIR}
src=${2:?SRCDIR}
rate=${3:-20000}
measure=${4:-30}
warmup=${5:-10}
parts=${6:-16}
gold_parts=${GOLD_PARTITIONS:-4}
max=$((rate * (warmup + measure + 5)))
[ -x "$b/bench/gold-latency" ] || { echo "bench: build bench/gold-latency first (make bench-latency)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sluice-latency.XXXXXX")
bpid=
wpid=
lpid=
cleanup() {
	if [ -n "$lpid" ]; then kill "$lpid" 2>/dev/null || true; fi
	if [ -n "$wpid" ]; then kill -9 "$wpid" 2>/dev/null || true; fi
	if [ -n "$bpid" ]; then kill "$bpid" 2>/dev/null || true; wait "$bpid" 2>/dev/null || true; fi
	if [ -n "${MEDALLION_KEEP:-}" ]; then echo "bench: kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

topics=(transaction_logs bronze_transactions bronze_quarantine bronze_dq
	silver_transactions silver_users silver_items silver_quarantine silver_dq
	gold_daily_metrics gold_user_summary gold_product_summary gold_late)
# The changelogs too: against a `sluice broker` the worker's admin
# CreateTopics would time out (10 s per stateful connector).
targs=(--topic sluice-offsets:1 --topic sluice-silver-state:1 --topic sluice-gold-state:1)
for t in "${topics[@]}"; do
	case $t in gold_*) targs+=(--topic "$t:$gold_parts") ;; *) targs+=(--topic "$t:$parts") ;; esac
done
"$b/sluice" broker "${targs[@]}" --bootstrap-file "$tmp/bs" >"$tmp/broker.log" 2>&1 &
bpid=$!
for _ in $(seq 100); do [ -s "$tmp/bs" ] && break; sleep 0.1; done
[ -s "$tmp/bs" ] || { echo "bench: the broker did not start" >&2; cat "$tmp/broker.log" >&2; exit 1; }
bs=$(cat "$tmp/bs")

mkdir -p "$tmp/c"
cat >"$tmp/sluice.yaml" <<YAML
bootstrap.servers: $bs
connectors.dir: c
plugin.path: [$b/plugins/source-faker/.libs, $b/plugins/transform-bronze/.libs,
  $b/plugins/transform-silver/.libs, $b/plugins/transform-gold/.libs]
topics.partitions: {default: $parts, gold_daily_metrics: $gold_parts,
  gold_user_summary: $gold_parts, gold_product_summary: $gold_parts, gold_late: $gold_parts}
rest: {listen: "off"}
log: {level: ${MEDALLION_LOG:-info}, progress.interval: 5s}
kafka:
  session.timeout.ms: 6000
  heartbeat.interval.ms: 500
${MEDALLION_KAFKA:-}
YAML
cat >"$tmp/c/10-faker.yaml" <<YAML
name: faker
plugin: source-faker
topic: transaction_logs
config:
  seed: 42
  users: 50
  rate: $rate
  clock: wall
  max.events: $max
  key: transaction_id
YAML
for f in 30-bronze.yaml 40-silver.yaml 50-gold.yaml; do
	cp "$src/connectors.d/$f" "$tmp/c/"
	case $f in 40-* | 50-*) if [ -n "${LATENCY_STATE:-}" ]; then echo "$LATENCY_STATE" >>"$tmp/c/$f"; fi ;; esac
done

echo "bench: latency at $rate events/s (wall clock), $warmup s warm-up + $measure s measured, $parts partitions per topic ($gold_parts for gold_*), broker $bs"
echo "load: $(uptime | sed 's/.*load average/load average/')"
timeout=$((warmup + measure + 120))
# shellcheck disable=SC2086 # a list of topics
"$b/bench/gold-latency" "$bs" "$warmup" "$measure" "$timeout" \
	${LATENCY_TOPICS:-gold_daily_metrics gold_user_summary gold_product_summary} >"$tmp/latency.out" 2>&1 &
lpid=$!
for _ in $(seq 100); do grep -q 'reading' "$tmp/latency.out" && break; sleep 0.1; done
grep -q 'reading' "$tmp/latency.out" || { echo "bench: gold-latency did not start" >&2; cat "$tmp/latency.out" >&2; exit 1; }
"$b/sluice" run -c "$tmp/sluice.yaml" >"$tmp/worker.log" 2>&1 &
wpid=$!
rc=0
wait "$lpid" || rc=$?
lpid=
# The worker's CPU time (user + system, clock ticks) and peak RSS so far.
ticks=$(getconf CLK_TCK)
cpu=$(awk -v t="$ticks" '{ printf "%.1f", ($14 + $15) / t }' "/proc/$wpid/stat" 2>/dev/null || echo '?')
rss=$(awk '/^VmHWM:/ { printf "%d", $2 / 1024 }' "/proc/$wpid/status" 2>/dev/null || echo '?')
kill -TERM "$wpid" 2>/dev/null || true
for _ in $(seq 300); do kill -0 "$wpid" 2>/dev/null || break; sleep 0.1; done
kill -9 "$wpid" 2>/dev/null || true
wait "$wpid" 2>/dev/null || true
wpid=
grep -E '\[(faker|bronze|silver|gold)\] in ' "$tmp/worker.log" | sed 's/^[^ ]* INFO  /worker: /' | tail -n 12
grep -E 'WARN|ERROR' "$tmp/worker.log" | head -n 5 | sed 's/^/worker: /' || true
cat "$tmp/latency.out"
echo "worker CPU (user + system): $cpu s; peak RSS $rss MiB"
echo "load: $(uptime | sed 's/.*load average/load average/')"
[ "$rc" = 0 ] || { echo "bench: gold-latency exited $rc" >&2; exit 1; }
p99=$(sed -n 's/^latency p50 .* p99 \([0-9.]*\) ms$/\1/p' "$tmp/latency.out")
awk -v p="$p99" 'BEGIN { printf "goal p99 < 250 ms: %s\n", (p + 0 < 250) ? "met" : "NOT met" }'
