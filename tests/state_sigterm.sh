#!/bin/sh
# Stateful transforms across graceful stops: the shipped pipeline
# (connectors.d/ without the S3 sinks: faker, bronze, silver, gold) run
# continuously (`sluice run`, not triggered) against a `sluice broker`,
# stopped with SIGTERM and started again 3 times while events flow, then
# drained by a triggered run. A SIGTERM ends each stateful task with a
# final position marker, so nothing may be counted twice or missed:
#   - silver_transactions holds each of the N events exactly once;
#   - gold (de-duplication window 1, so that its window cannot hide a
#     record counted again) has sum(daily_transactions) and
#     sum(total_transactions) over the latest row per key equal to N,
#     and each restart resumed from a marker.
# SIGKILL restarts are tested by tests/test_state_rt and tests/e2e.sh.
# Needs kcat and python3 (skipped, exit 77, without). About 30 s.
# SIGTERM_KEEP=1 keeps the directory (logs, worker file).
set -eu
command -v kcat >/dev/null || { echo "no kcat: skipped"; exit 77; }
command -v python3 >/dev/null || { echo "no python3: skipped"; exit 77; }
build=${top_builddir:?}
src=${top_srcdir:?}
sluice=$build/sluice
events=8000
dir=$(mktemp -d "${TMPDIR:-/tmp}/sluice-sigterm.XXXXXX")
broker_pid=
worker_pid=
cleanup() {
	set +e # a failed kill or wait must not leave the broker running
	[ -z "$worker_pid" ] || { kill -KILL "$worker_pid" 2>/dev/null; wait "$worker_pid" 2>/dev/null; }
	[ -z "$broker_pid" ] || { kill "$broker_pid" 2>/dev/null; wait "$broker_pid" 2>/dev/null; }
	if [ -n "${SIGTERM_KEEP:-}" ]; then echo "kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
fail() {
	echo "FAIL: $*"
	exit 1
}

# Every topic made by the broker (no topic-creation waits); few events
# a partition, far below the ~5 MiB the mock broker keeps of each.
set --
for t in transaction_logs:4 bronze_transactions:4 bronze_quarantine:1 \
	bronze_dq:1 silver_transactions:4 silver_items:4 silver_users:1 \
	silver_quarantine:1 silver_dq:1 gold_daily_metrics:4 \
	gold_user_summary:4 gold_product_summary:4 gold_late:1 \
	sluice-offsets:1 sluice-silver-state:1 sluice-gold-state:1; do
	set -- "$@" --topic "$t"
done
"$sluice" broker --bootstrap-file "$dir/bootstrap" "$@" >"$dir/broker.log" 2>&1 &
broker_pid=$!
i=0
while [ ! -s "$dir/bootstrap" ]; do
	i=$((i + 1))
	[ $i -le 300 ] || fail "the broker did not start in 30 s"
	sleep 0.1
done
bootstrap=$(cat "$dir/bootstrap")

mkdir "$dir/conn"
cp "$src/connectors.d/10-faker.yaml" "$src/connectors.d/30-bronze.yaml" \
	"$src/connectors.d/40-silver.yaml" "$src/connectors.d/50-gold.yaml" \
	"$dir/conn/"
cat >"$dir/sluice.yaml" <<YAML
bootstrap.servers: $bootstrap
connectors.dir: $dir/conn
plugin.path: [$build/plugins/source-faker/.libs,
  $build/plugins/transform-bronze/.libs, $build/plugins/transform-silver/.libs,
  $build/plugins/transform-gold/.libs]
topics.partitions: {default: 4}
rest:
  listen: "off"
kafka:
  session.timeout.ms: 6000
  heartbeat.interval.ms: 500
YAML

# 8,000 events at 500 a second (16 s) on a simulated clock (one day):
# each run is stopped after the next 2,000 reached silver, the
# triggered run drains the rest.
export FAKER_SEED=42 FAKER_MAX_EVENTS=$events FAKER_RATE=500
export FAKER_CLOCK=simulated FAKER_CLOCK_START=2026-01-01T00:05:00Z
export FAKER_CLOCK_STEP=10ms GOLD_DEDUP_WINDOW=1

topic() { kcat -b "$bootstrap" -C -e -q -t "$1" -f "$2" 2>"$dir/kcat.err"; }
for run in 1 2 3; do
	nice -n 5 "$sluice" run -c "$dir/sluice.yaml" >"$dir/run$run.log" 2>&1 &
	worker_pid=$!
	# Until silver has written 2,000 more transactions (60 s at most;
	# bronze joins its group first): faker is still producing then, so
	# the stop lands while every layer has records in flight.
	deadline=$(($(date +%s) + 60))
	while [ "$(topic silver_transactions '.\n' | wc -l)" -lt $((run * 2000)) ]; do
		kill -0 "$worker_pid" 2>/dev/null ||
			{ tail -20 "$dir/run$run.log"; fail "run $run: the worker exited"; }
		[ "$(date +%s)" -le $deadline ] ||
			{ tail -20 "$dir/run$run.log"; fail "run $run: silver did not reach $((run * 2000)) transactions in 60 s"; }
		sleep 0.3
	done
	kill -TERM "$worker_pid"
	i=0
	while kill -0 "$worker_pid" 2>/dev/null; do
		i=$((i + 1))
		[ $i -le 600 ] || { tail -20 "$dir/run$run.log"; fail "run $run did not stop within 60 s of SIGTERM"; }
		sleep 0.1
	done
	rc=0
	wait "$worker_pid" || rc=$?
	worker_pid=
	[ $rc = 0 ] || { tail -20 "$dir/run$run.log"; fail "run $run exited $rc after SIGTERM"; }
	echo "run $run: stopped by SIGTERM, exit 0"
done
for run in 2 3; do
	grep -q 'gold/0.*state restored.*inputs resume at {' "$dir/run$run.log" ||
		fail "run $run: gold did not resume from a position marker"
done

# The rest, as a triggered run: it ends once faker's 8,000 are through.
rc=0
timeout -s KILL 300 nice -n 5 "$sluice" run -c "$dir/sluice.yaml" \
	--trigger available-now >"$dir/final.log" 2>&1 || rc=$?
[ $rc = 0 ] || { tail -20 "$dir/final.log"; fail "the triggered run exited $rc"; }

topic silver_transactions '%s\n' >"$dir/silver"
topic gold_daily_metrics '%k\t%s\n' >"$dir/daily"
topic gold_user_summary '%k\t%s\n' >"$dir/users"
got=$(python3 - "$dir" <<'PY'
import json, sys
d = sys.argv[1]
ids = [json.loads(l)["transaction_id"] for l in open(d + "/silver") if l.strip()]
def latest(name, field):
    last = {}
    for l in open(d + "/" + name):
        if "\t" in l:
            k, v = l.rstrip("\n").split("\t", 1)
            last[k] = json.loads(v)
    return sum(v[field] for v in last.values())
print(len(ids), len(set(ids)), latest("daily", "daily_transactions"),
      latest("users", "total_transactions"))
PY
)
echo "silver records, distinct ids, gold daily_transactions, total_transactions: $got"
[ "$got" = "$events $events $events $events" ] ||
	fail "expected $events of each after 3 SIGTERM restarts"
echo "state_sigterm: passed"
