#!/usr/bin/env bash
# Medallion throughput benchmark (issues #6 and #7): sluice streaming the
# shipped bronze and silver (MODE bronze-silver) or bronze, silver and
# gold (MODE medallion) connectors of connectors.d/ over N source-faker
# events in a `sluice broker`, against DuckDB (bench/duckdb, npm
# @duckdb/node-api) computing the same tables in batch from the same
# events as a JSON Lines file, in the same run; ratio printed.
#   bash bench/medallion.sh BUILDDIR SRCDIR MODE [N] [PARTITIONS]
# (defaults 100000 events, 32 partitions per topic: the mock broker keeps
# about 5 MiB per partition and a bronze record is ~830 bytes; the gold
# topics, one row per day, user and product, get the shipped sluice.yaml's
# default of 4, GOLD_PARTITIONS to change it).
# Environment: MEDALLION_FAKER (extra source-faker config line),
# MEDALLION_KAFKA (extra lines for the worker's `kafka:` map, e.g.
# "  fetch.wait.max.ms: 10"), MEDALLION_LOG (log level), MEDALLION_KEEP=1
# (keep the temp dir), MEDALLION_DUCKDB_THREADS (default 2), MEDALLION_WRAP
# (a command the sluice runs go through, e.g. "perf record -g -o FILE").
#
# 1. A faker-only triggered run writes N events (seed 42, wall clock, as
#    fast as it can, MEDALLION_FAKER extra config, default 1% exact
#    duplicates; the wall clock because with the simulated clock's 0.5 s
#    per event a backlog read across partitions skews event time by
#    hours and gold rightly sends what is beyond allowed.lateness to
#    gold_late, which a batch computation does not model)
#    into transaction_logs; kcat dumps their values as events.jsonl.
# 2. sluice: `sluice run --trigger available-now` with only the shipped
#    30-bronze.yaml, 40-silver.yaml (and 50-gold.yaml) from SRCDIR, timed
#    from process start to exit (plugins loaded, groups joined, every
#    record produced and acknowledged, offsets and state committed).
#    events/s = N / that time. The per-connector summary lines are
#    printed too.
# 3. DuckDB: node bench/duckdb/medallion.js over events.jsonl, timed
#    inside node from the file read to the last table materialised in
#    memory (node's start and the module load excluded: that favours
#    DuckDB), 2 threads (the machine's cores).
# 4. Every output topic is dumped and compared with DuckDB's tables
#    (rows, and rows that differ; upsert topics by their last record per
#    key), so a reader can see both computed the same thing.
# The worker and the broker are this script's children, killed by PID
# on exit; everything is on 127.0.0.1; the temp dir is removed.
set -euo pipefail
b=${1:?BUILDDIR}
src=${2:?SRCDIR}
mode=${3:?MODE: bronze-silver or medallion}
n=${4:-100000}
parts=${5:-32}
gold_parts=${GOLD_PARTITIONS:-4}
faker_extra=${MEDALLION_FAKER:-anomaly.duplicate: 0.01}
case $mode in
bronze-silver) tables=bronze-silver files="30-bronze.yaml 40-silver.yaml" ;;
medallion) tables=all files="30-bronze.yaml 40-silver.yaml 50-gold.yaml" ;;
*) echo "bench: MODE is bronze-silver or medallion" >&2; exit 2 ;;
esac
for c in kcat node npm; do
	command -v $c >/dev/null || { echo "bench: $c is not installed" >&2; exit 1; }
done
if [ ! -d "$src/bench/duckdb/node_modules/@duckdb/node-api" ]; then
	echo "bench: npm install in $src/bench/duckdb (benchmark-only dependency)"
	(cd "$src/bench/duckdb" && timeout 300 npm install --no-audit --no-fund) >&2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sluice-medallion.XXXXXX")
bpid=
wpid=
cleanup() {
	if [ -n "$wpid" ]; then kill -9 "$wpid" 2>/dev/null || true; fi
	if [ -n "$bpid" ]; then kill "$bpid" 2>/dev/null || true; wait "$bpid" 2>/dev/null || true; fi
	if [ -n "${MEDALLION_KEEP:-}" ]; then echo "bench: kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

now_ms() { date +%s%3N; }

topics=(transaction_logs bronze_transactions bronze_quarantine bronze_dq
	silver_transactions silver_users silver_items silver_quarantine silver_dq
	gold_daily_metrics gold_user_summary gold_product_summary gold_late)
# The stateful connectors' changelogs too: against a `sluice broker` the
# worker's admin CreateTopics times out (10 s per connector, the mock has
# no admin API) and the topic is then created on first use.
targs=(--topic sluice-offsets:1 --topic sluice-silver-state:1 --topic sluice-gold-state:1)
for t in "${topics[@]}"; do
	case $t in gold_*) targs+=(--topic "$t:$gold_parts") ;; *) targs+=(--topic "$t:$parts") ;; esac
done
"$b/sluice" broker "${targs[@]}" --bootstrap-file "$tmp/bs" >"$tmp/broker.log" 2>&1 &
bpid=$!
for _ in $(seq 100); do [ -s "$tmp/bs" ] && break; sleep 0.1; done
[ -s "$tmp/bs" ] || { echo "bench: the broker did not start" >&2; cat "$tmp/broker.log" >&2; exit 1; }
bs=$(cat "$tmp/bs")

mkdir -p "$tmp/c" "$tmp/sluice"
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

# Silver's shipped de-duplication window (10,000 ids) is sized for
# restores on the embedded broker. Read as a backlog spread over 32
# partitions, an event and its duplicate can be further apart than that,
# so this one-pass run (no restore) remembers every id, as DuckDB's batch
# de-duplication does. Gold runs as shipped (no window of its own).
export SILVER_DEDUP_WINDOW=${SILVER_DEDUP_WINDOW:-1000000}

# run NAME: a triggered run of what is in c/, bounded; log in NAME.log.
run() {
	local rc=0
	# shellcheck disable=SC2086 # MEDALLION_WRAP is a command line
	timeout -s KILL 600 ${MEDALLION_WRAP:-} "$b/sluice" run -c "$tmp/sluice.yaml" --trigger available-now \
		>"$tmp/$1.log" 2>&1 &
	wpid=$!
	wait "$wpid" || rc=$?
	wpid=
	[ "$rc" = 0 ] || { echo "bench: sluice run ($1) exited $rc" >&2; tail -30 "$tmp/$1.log" >&2; exit 1; }
}

# 1. The events.
cat >"$tmp/c/10-faker.yaml" <<YAML
name: faker
plugin: source-faker
topic: transaction_logs
config:
  seed: 42
  users: 50
  rate: 0
  clock: wall
  max.events: $n
  key: transaction_id
  $faker_extra
YAML
run produce
rm "$tmp/c/10-faker.yaml"
timeout 300 kcat -C -b "$bs" -t transaction_logs -o beginning -e -q -f '%s\n' >"$tmp/events.jsonl"
got=$(wc -l <"$tmp/events.jsonl")
[ "$got" = "$n" ] || { echo "bench: transaction_logs gave back $got of $n events (trimmed?)" >&2; exit 1; }
bytes=$(wc -c <"$tmp/events.jsonl")

# 2. sluice.
for f in $files; do cp "$src/connectors.d/$f" "$tmp/c/"; done
echo "bench: $mode, $n events ($((bytes / n)) bytes each, faker: $faker_extra), $parts partitions per topic ($gold_parts for gold_*), broker $bs"
echo "load: $(uptime | sed 's/.*load average/load average/')"
t0=$(now_ms)
run stream
t1=$(now_ms)
sluice_ms=$((t1 - t0))
sed -n 's/.*\(\[[a-z]*\] summary:.*\)/sluice \1/p' "$tmp/stream.log"

# 3. DuckDB, then the comparison of every table.
for t in "${topics[@]}"; do
	case $t in transaction_logs | *_dq) continue ;; esac
	timeout 300 kcat -C -b "$bs" -t "$t" -o beginning -e -q -f '%s\n' >"$tmp/sluice/$t.jsonl"
done
node "$src/bench/duckdb/medallion.js" --input "$tmp/events.jsonl" --tables "$tables" \
	--threads "${MEDALLION_DUCKDB_THREADS:-2}" --sluice "$tmp/sluice" | tee "$tmp/duckdb.out" |
	grep -v '^duckdb-result '
duck_ms=$(sed -n 's/^duckdb-result .*"ms":\([0-9.]*\).*/\1/p' "$tmp/duckdb.out")
[ -n "$duck_ms" ] || { echo "bench: no result from DuckDB" >&2; exit 1; }
if grep -q '^compare.*MISMATCH' "$tmp/duckdb.out"; then mismatch=yes; else mismatch=no; fi

awk -v n="$n" -v s_ms="$sluice_ms" -v d_ms="$duck_ms" -v mode="$mode" -v mm="$mismatch" 'BEGIN {
	s = n / (s_ms / 1000); d = n / (d_ms / 1000)
	printf "%-58s %10s %10s\n", mode ": " n " events", "ms", "events/s"
	printf "%-58s %10.0f %10.0f\n", "sluice run --trigger available-now (start to exit)", s_ms, s
	printf "%-58s %10.0f %10.0f\n", "DuckDB batch from JSONL (in-process, 2 threads)", d_ms, d
	printf "ratio sluice/DuckDB: %.2f (goal >= 0.50: %s); tables differ: %s\n", s / d,
	    (s / d >= 0.5) ? "met" : "NOT met", mm
}'
echo "load: $(uptime | sed 's/.*load average/load average/')"
