#!/bin/sh
# The shipped pipeline (connectors.d/) end to end as triggered runs
# against a `sluice broker` in another process and the test S3 server:
#   run 1: 10,000 events through every layer, then the worker stops
#          by itself; the counts add up layer by layer and the gold
#          snapshots in S3 hold exactly those events;
#   run 2: nothing new, so nothing is processed, exit 0;
#   run 3: 500 more events (max.events 10,500): exactly those 500.
# Needs S3_ENDPOINT and the keys (scripts/test exports them); skipped
# (exit 77) without them.
set -eu
[ -n "${S3_ENDPOINT:-}" ] || { echo "no S3_ENDPOINT: skipped"; exit 77; }
build=${top_builddir:?}
src=${top_srcdir:?}
sluice=$build/sluice
dir=$(mktemp -d "${TMPDIR:-/tmp}/sluice-pipeline.XXXXXX")
broker_pid=
cleanup() {
	[ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null && wait "$broker_pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

s3() {
	curl -sf --max-time 30 --aws-sigv4 "aws:amz:${S3_REGION:-us-east-1}:s3" \
		--user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"
}
bucket=pipeline-$$-$(date +%s)
s3 -X PUT "$S3_ENDPOINT/$bucket" >/dev/null || fail "cannot create bucket $bucket"

"$sluice" broker --bootstrap-file "$dir/bootstrap" >"$dir/broker.log" 2>&1 &
broker_pid=$!
i=0
while [ ! -s "$dir/bootstrap" ]; do
	i=$((i + 1))
	[ $i -le 300 ] || fail "the broker did not start in 30 s"
	sleep 0.1
done

cat >"$dir/sluice.yaml" <<YAML
bootstrap.servers: $(cat "$dir/bootstrap")
connectors.dir: $src/connectors.d
plugin.path: [$build/plugins/source-faker/.libs, $build/plugins/sink-s3/.libs,
  $build/plugins/transform-bronze/.libs, $build/plugins/transform-silver/.libs,
  $build/plugins/transform-gold/.libs]
rest:
  listen: "off"
kafka:
  session.timeout.ms: 6000
  heartbeat.interval.ms: 500
YAML

# One triggered run; its log in $dir/run$1.log. Bounded by `timeout`.
run() {
	S3_BUCKET=$bucket FAKER_MAX_EVENTS=$2 FAKER_RATE=0 GOLD_SNAPSHOT_INTERVAL=1h \
		timeout -s KILL 300 "$sluice" run -c "$dir/sluice.yaml" \
		--trigger available-now >"$dir/run$1.log" 2>&1 ||
		{ tail -30 "$dir/run$1.log"; fail "run $1 exited $?"; }
}

# A number from connector $2's summary line of run $1: the value after
# the word $3 ("in", "out", "transactions", "quarantine", ...).
count() {
	line=$(grep "\[$2\] summary:" "$dir/run$1.log") ||
		fail "run $1: no summary for $2"
	echo "$line" | sed 's/.*summary://; s/(/, /; s/)//' | tr ',' '\n' |
		awk -v w="$3" '$1 == w { print $2; found = 1 } END { if (!found) print "?" }' |
		head -1
}

expect() { # run connector word value
	got=$(count "$1" "$2" "$3")
	[ "$got" = "$4" ] || fail "run $1: $2 $3 is $got, expected $4"
}

# The number in a gold snapshot's only daily row, summed over its rows.
gold_daily_transactions() {
	latest=$(s3 "$S3_ENDPOINT/$bucket/gold/gold_daily_metrics/_latest") ||
		fail "no gold_daily_metrics snapshot"
	s3 "$S3_ENDPOINT/$bucket/$latest" | gzip -cdf |
		sed -n 's/.*"daily_transactions": *\([0-9]*\).*/\1/p' |
		awk '{ n += $1 } END { print n + 0 }'
}

run 1 10000
expect 1 faker out 10000
expect 1 landing in 10000
expect 1 bronze in 10000
bronze_out=$(count 1 bronze out)
quarantine=$(count 1 bronze quarantine)
[ $((bronze_out + quarantine)) = 10000 ] ||
	fail "bronze out $bronze_out + quarantine $quarantine is not 10000"
expect 1 silver in "$(count 1 bronze out)"
tx=$(count 1 silver transactions)
items=$(count 1 silver items)
expect 1 gold in $((tx + items))
expect 1 lake-gold failed 0
[ "$(gold_daily_transactions)" = "$tx" ] ||
	fail "gold daily_transactions $(gold_daily_transactions), silver transactions $tx"
echo "run 1: 10000 events, bronze $bronze_out + quarantine $quarantine, silver $tx transactions, $items items; gold agrees"

# Rows in the gold snapshots now (every table).
gold_rows() {
	n=0
	for t in gold_daily_metrics gold_user_summary gold_product_summary; do
		latest=$(s3 "$S3_ENDPOINT/$bucket/gold/$t/_latest") || fail "no $t snapshot"
		r=$(s3 "$S3_ENDPOINT/$bucket/$latest" | gzip -cdf | grep -c .)
		n=$((n + r))
	done
	echo $n
}

run 2 10000
for c in faker landing bronze silver gold lake; do
	expect 2 "$c" in 0
done
# gold emits every row of its tables once after a restore (its outputs
# are upserts, so the tables converge even if emits were lost in a
# crash); nothing else moves.
rows=$(gold_rows)
expect 2 gold out "$rows"
expect 2 lake-gold in "$rows"
echo "run 2: nothing new processed; gold re-emitted its $rows rows"

run 3 10500
expect 3 faker out 500
expect 3 landing in 500
expect 3 bronze in 500
tx3=$(count 3 silver transactions)
[ "$(gold_daily_transactions)" = $((tx + tx3)) ] ||
	fail "gold daily_transactions $(gold_daily_transactions), expected $((tx + tx3))"
echo "run 3: exactly 500 more; gold holds $((tx + tx3)) transactions"
