#!/bin/sh
# The shipped pipeline (connectors.d/) proven end to end (issues 7 and 9):
# seed 42, simulated clock, 50,000 events with every anomaly on, as
# triggered runs against a `sluice broker` and the test S3.
#
#   reference: one uninterrupted run. tests/e2e_expected.py computes the
#     gold tables from the raw landing objects in S3 alone (Python stdlib,
#     written from PIPELINE.md, not from the plugins) and they must equal
#     the lake's gold snapshots value for value; the counts add up layer
#     by layer (events = bronze + quarantine; silver transactions = the
#     distinct valid transaction ids, so duplicates removed exactly).
#   killed: the same run on a fresh broker and bucket, SIGKILLed at 5
#     random moments (seeded: E2E_SEED, printed) and started again until a
#     run finishes by itself with exit status 0: gold identical to the
#     reference, the same distinct rows and counts in every layer, every
#     event in the landing zone at least as often and nothing else.
#
# Needs S3_ENDPOINT and the keys (scripts/test exports them) and python3;
# skipped (exit 77) without them. About 3 minutes on 2 cores.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -euo pipefail
[ -n "${S3_ENDPOINT:-}" ] || { echo "no S3_ENDPOINT: skipped"; exit 77; }
command -v python3 >/dev/null || { echo "no python3: skipped"; exit 77; }
build=${top_builddir:?}
src=${top_srcdir:?}
sluice=$build/sluice
expected=$src/tests/e2e_expected.py
events=${E2E_EVENTS:-50000}
seed=${E2E_SEED:-$(date +%s)}
dir=$(mktemp -d "${TMPDIR:-/tmp}/sluice-e2e.XXXXXX")
broker_pid=
worker_pid=
cleanup() {
	[ -z "$worker_pid" ] || { kill -KILL "$worker_pid" 2>/dev/null; wait "$worker_pid" 2>/dev/null; }
	[ -z "$broker_pid" ] || { kill "$broker_pid" 2>/dev/null; wait "$broker_pid" 2>/dev/null; }
	rm -rf "$dir"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	exit 1
}
elapsed() { echo "$((SECONDS - t0)) s"; }
t0=$SECONDS

s3() {
	curl -sf --max-time 30 --aws-sigv4 "aws:amz:${S3_REGION:-us-east-1}:s3" \
		--user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"
}

# The run's settings: every one through the connector files' ${env:...}.
export FAKER_SEED=42 FAKER_MAX_EVENTS=$events FAKER_CLOCK=simulated
# 50,000 events 10 ms apart from 00:05 span 8 min 20 s; late events up to
# 30 min early fall on the day before. Everything stays within gold's
# allowed.lateness (1h) of everything else, so no event is late for gold
# whatever order its partitions are read in (a wider span would make
# gold_late depend on that order).
export FAKER_CLOCK_START=2026-01-01T00:05:00Z FAKER_CLOCK_STEP=10ms
export FAKER_ANOMALY_LATE_MAX=30m
for a in MALFORMED MISSING_FIELD WRONG_TYPE NEGATIVE_AMOUNT AMOUNT_MISMATCH \
	INVALID_EMAIL UNKNOWN_CURRENCY DUPLICATE LATE; do
	export "FAKER_ANOMALY_$a=0.005"
done
# A bounded source rate bounds what a kill makes the source send again
# (its positions are stored every second): silver's dedup window must
# cover that, and stay small enough that a state snapshot (~130 bytes a
# key) fits twice, with the changelog between snapshots, in the ~5 MiB
# the mock broker keeps per changelog partition (else a restore finds no
# complete snapshot). What bronze and silver send again after a kill is
# dropped by the host's origin stamps, whatever the distance: gold runs
# as shipped, without a window of its own, and silver with its shipped
# commit cadence.
export FAKER_RATE=${E2E_RATE:-3000} SILVER_DEDUP_WINDOW=12000
# The sinks close objects sooner than the shipped 5,000 records / 30 s, so
# that their commits move on between kills (else each restart reads again
# from the start).
export LANDING_FLUSH_IDLE=5s LAKE_FLUSH_SIZE=1000 LAKE_FLUSH_IDLE=5s
# Gold snapshots every 5 s, so that lake-gold commits between kills (a
# final flush writes one more at the end).
export GOLD_SNAPSHOT_INTERVAL=5s

# Topics made by the broker: enough partitions that no partition of the
# mock broker (~5 MiB kept each) drops records a consumer has not read.
topics="transaction_logs:16 bronze_transactions:16 bronze_quarantine:4
bronze_dq:1 silver_transactions:16 silver_items:16 silver_users:4
silver_quarantine:4 silver_dq:1 gold_daily_metrics:16 gold_user_summary:16
gold_product_summary:16 gold_late:1 landing-dlq:1 lake-dlq:1 sluice-offsets:1
sluice-silver-state:1 sluice-gold-state:1"

# start_broker NAME: a fresh `sluice broker`; its address in $dir/NAME.bootstrap.
start_broker() {
	local args=() t i=0
	for t in $topics; do args+=(--topic "$t"); done
	"$sluice" broker --bootstrap-file "$dir/$1.bootstrap" "${args[@]}" \
		>"$dir/$1.broker.log" 2>&1 &
	broker_pid=$!
	while [ ! -s "$dir/$1.bootstrap" ]; do
		i=$((i + 1))
		[ $i -le 300 ] || fail "the broker did not start in 30 s"
		sleep 0.1
	done
	cat >"$dir/$1.yaml" <<YAML
bootstrap.servers: $(cat "$dir/$1.bootstrap")
connectors.dir: $src/connectors.d
plugin.path: [$build/plugins/source-faker/.libs, $build/plugins/sink-s3/.libs,
  $build/plugins/transform-bronze/.libs, $build/plugins/transform-silver/.libs,
  $build/plugins/transform-gold/.libs]
topics.partitions: {default: 16}
rest:
  listen: "off"
kafka:
  session.timeout.ms: 6000
  heartbeat.interval.ms: 500
YAML
}

stop_broker() {
	kill "$broker_pid" 2>/dev/null || true
	wait "$broker_pid" 2>/dev/null || true
	broker_pid=
}

new_bucket() {
	local b=e2e-$1-$$-$(date +%s)
	s3 -X PUT "$S3_ENDPOINT/$b" >/dev/null || fail "cannot create bucket $b"
	echo "$b"
}

# start_worker NAME LOG BUCKET: a triggered run in the background; its
# PID is the worker's own (nice execs it), so SIGKILL hits the worker.
start_worker() {
	S3_BUCKET=$3 nice -n 5 "$sluice" run -c "$dir/$1.yaml" \
		--trigger available-now >"$2" 2>&1 &
	worker_pid=$!
}

# wait_worker LOG: its exit status in $rc; SIGKILL and fail after 300 s.
wait_worker() {
	local i=0
	while kill -0 "$worker_pid" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 3000 ]; then
			kill -KILL "$worker_pid" 2>/dev/null || true
			tail -30 "$1"
			fail "a triggered run did not end within 300 s ($1)"
		fi
		sleep 0.1
	done
	rc=0
	wait "$worker_pid" || rc=$?
	worker_pid=
}

# ---- the reference: one uninterrupted run ----
echo "e2e: $events events, seed $FAKER_SEED, anomalies ${FAKER_ANOMALY_LATE} each, kill seed $seed"
ref_bucket=$(new_bucket ref)
start_broker ref
start_worker ref "$dir/ref.log" "$ref_bucket"
wait_worker "$dir/ref.log"
ref_secs=$((SECONDS - t0))
[ $rc = 0 ] || { tail -30 "$dir/ref.log"; fail "the uninterrupted run exited $rc"; }
grep -F '] summary:' "$dir/ref.log" | sed 's/^[^[]*//'
stop_broker
echo "reference run done ($(elapsed)); checking it against the landing zone"
python3 "$expected" check "$ref_bucket" "$dir/ref.json" --events "$events" \
	--summary "$dir/ref.log" || fail "the uninterrupted run disagrees with the independent computation"
echo "reference checked ($(elapsed))"

# ---- the same run, SIGKILLed at 5 random moments ----
RANDOM=$seed
kill_bucket=$(new_bucket kill)
start_broker kill
kills=0
for run in 1 2 3 4 5 6 7 8 9 10 11 12; do
	start_worker kill "$dir/kill$run.log" "$kill_bucket"
	if [ $kills -lt 5 ]; then
		# From 0.5 s after the start (start-up, restore) to a sixth of
		# the reference run's time (deep in the run), in tenths.
		d=$((5 + RANDOM % (ref_secs > 6 ? ref_secs * 5 / 3 - 4 : 6)))
		sleep "$((d / 10)).$((d % 10))"
		if kill -0 "$worker_pid" 2>/dev/null; then
			kill -KILL "$worker_pid"
			wait "$worker_pid" 2>/dev/null || true
			worker_pid=
			kills=$((kills + 1))
			echo "run $run: SIGKILL after $((d / 10)).$((d % 10)) s ($(elapsed))"
			continue
		fi
		echo "run $run: finished before its kill at $((d / 10)).$((d % 10)) s"
	fi
	wait_worker "$dir/kill$run.log"
	[ $rc = 0 ] || { tail -30 "$dir/kill$run.log"; fail "run $run after $kills kills exited $rc (issue 9: a killed triggered run must finish when started again)"; }
	[ $kills -ge 5 ] || fail "run $run finished before the 5th kill; raise E2E_EVENTS or lower E2E_RATE"
	echo "run $run: finished, exit 0 ($(elapsed))"
	grep -F '] summary:' "$dir/kill$run.log" | sed 's/^[^[]*//'
	break
done
[ $kills = 5 ] && [ -z "$worker_pid" ] || fail "the killed run did not finish"
stop_broker
python3 "$expected" check "$kill_bucket" "$dir/kill.json" ||
	fail "the killed run's lake is not consistent with its own landing zone"
python3 "$expected" same "$dir/ref.json" "$dir/kill.json" ||
	fail "the killed and restarted run differs from the uninterrupted one (kill seed $seed)"
echo "e2e: passed in $(elapsed) (kill seed $seed)"
