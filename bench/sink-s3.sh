#!/bin/sh
# sink-s3 benchmark: N seed-shaped events already in a topic of a
# `sluice broker`, written by a sluice worker with sink-s3 to the S3
# server of the environment (scripts/s3-server: S3_ENDPOINT, S3_BUCKET,
# S3_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), against kcat -C
# consuming the same topic in the same run (the ceiling).
#   sh bench/sink-s3.sh BUILDDIR SRCDIR [N] [PARTITIONS] [MEMORY_BUDGET]
# Prints events/s and MB/s (from the group's assignment to the moment
# every partition is committed to its end, i.e. every object acknowledged
# by S3) for JSON Lines as they are and for gzip, the ratios to kcat, and
# the worker's peak RSS against the sink's memory.budget.
set -eu
b=$1
src=$2
n=${3:-200000}
parts=${4:-50}
budget=${5:-64MiB}
: "${S3_ENDPOINT:?set the S3 server environment (scripts/s3-server env)}"
: "${S3_BUCKET:?}" "${AWS_ACCESS_KEY_ID:?}" "${AWS_SECRET_ACCESS_KEY:?}"
region=${S3_REGION:-us-east-1}
command -v kcat >/dev/null || { echo "bench: kcat is not installed (apt-get install kcat)" >&2; exit 1; }
per=$((n / parts))
n=$((per * parts))
tmp=$(mktemp -d)
bpid=
wpid=
cleanup() {
	[ -n "$wpid" ] && kill -9 "$wpid" 2>/dev/null
	[ -n "$bpid" ] && kill "$bpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

now() { date +%s%3N; }
# epoch ms of the ISO timestamp that starts a log line
log_ms() { date -d "$(printf '%s' "$1" | cut -c1-23)Z" +%s%3N; }

"$b/sluice" broker --topic "transaction_logs:$parts" --topic sluice-offsets:1 \
	--bootstrap-file "$tmp/bs" >"$tmp/broker.log" 2>&1 &
bpid=$!
i=0
while [ ! -s "$tmp/bs" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
bs=$(cat "$tmp/bs")
kcat -L -b "$bs" -m 10 >/dev/null 2>&1 ||
	{ echo "bench: the broker does not answer" >&2; cat "$tmp/broker.log" >&2; exit 1; }

# N events from the seed's shape, each with its own transaction_id, the
# same number per partition (the mock keeps about 5 MiB per partition).
nonce=$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
awk -v n="$n" -v parts="$parts" -v nonce="$nonce" -v dir="$tmp" '
	{ k = index($0, "\"transaction_id\": \"") + 18
	  pre[NR - 1] = substr($0, 1, k); post[NR - 1] = substr($0, k + 37) }
	END { for (p = 0; p < parts; p++) f[p] = dir "/part-" p
	for (i = 0; i < n; i++) {
		t = i % NR
		printf "%s%s-0000-4000-8000-%012d%s\n", pre[t], nonce, i,
		    post[t] > f[i % parts]
	} }' "$src/tests/sink-s3/sample-events.jsonl"
bytes=$(cat "$tmp"/part-* | wc -c)

echo "bench: $n events ($((bytes / n)) bytes each, $((bytes / 1000000)) MB) in $parts partitions, broker $bs, S3 $S3_ENDPOINT"
t0=$(now)
p=0
while [ $p -lt "$parts" ]; do
	kcat -P -b "$bs" -t transaction_logs -p "$p" -X linger.ms=5 -l "$tmp/part-$p"
	p=$((p + 1))
done
t1=$(now)
got=$(kcat -C -b "$bs" -t transaction_logs -o beginning -e -q | wc -l)
t2=$(now)
[ "$got" = "$n" ] || { echo "bench: kcat consumed $got of $n events" >&2; exit 1; }

prefix=bench/$(date +%Y%m%dT%H%M%S)-$$

# run_worker NAME: runs the connector file $tmp/NAME.yaml (connector
# NAME) in a worker until its group has committed everything; sets ta
# (assignment, epoch ms), td (all committed) and rss_kb (peak RSS).
run_worker() {
	rm -rf "$tmp/c"
	mkdir -p "$tmp/c"
	cp "$tmp/$1.yaml" "$tmp/c/"
	cat >"$tmp/sluice.yaml" <<YAML
bootstrap.servers: $bs
plugin.path: [$b/plugins/sink-s3/.libs, $b/bench/.libs]
connectors.dir: c
memory.budget: ${SINK_S3_BENCH_KAFKA_BUDGET:-32MiB}
log: {level: info, progress.interval: 1s}
YAML
	ts=$(now)
	"$b/sluice" run -c "$tmp/sluice.yaml" >"$tmp/$1.log" 2>&1 &
	wpid=$!
	i=0
	while ! grep -q 'assigned' "$tmp/$1.log" && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
	grep -q 'assigned' "$tmp/$1.log" || { echo "bench: no assignment" >&2; tail "$tmp/$1.log" >&2; exit 1; }
	ta=$(log_ms "$(grep -m1 'assigned' "$tmp/$1.log")")
	td=$("$b/bench/sink-s3-wait" "$bs" "sluice-$1" transaction_logs "$parts" 600) ||
		{ echo "bench: not everything committed" >&2; tail "$tmp/$1.log" >&2; exit 1; }
	rss_kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$wpid/status")
	kill -TERM "$wpid"
	wait "$wpid" || true
	wpid=
}

# The host alone: the same consumption into the null sink (everything
# durable at once), when it is built (make bench-host builds it).
nta=0 ntd=0 nrss=0
if [ -f "$b/bench/.libs/null-sink.so" ]; then
	cat >"$tmp/nullbase.yaml" <<YAML
name: nullbase
plugin: bench-null-sink
topics: [transaction_logs]
YAML
	run_worker nullbase
	nta=$ta ntd=$td nrss=$rss_kb
fi

# Two runs of the sink over the same topic: JSON Lines as they are, then
# gzip (compression.level SINK_S3_BENCH_GZIP_LEVEL, default 1), each in
# its own group and prefix. SINK_S3_BENCH_TARGET=file:///dir writes to a
# directory instead; SINK_S3_BENCH_CONFIG adds config lines to both
# ("  key: value").
# sink_run NAME EXTRA: runs sink-s3 as connector NAME with EXTRA config
# lines; sets NAME's figures in ta_NAME, td_NAME, ts_NAME, rss_NAME.
sink_run() {
	cat >"$tmp/$1.yaml" <<YAML
name: $1
plugin: sink-s3
topics: [transaction_logs]
config:
  target: ${SINK_S3_BENCH_TARGET:-s3://$S3_BUCKET}
  prefix: $prefix/$1
${SINK_S3_BENCH_CONFIG:-}
$2
  s3.endpoint: $S3_ENDPOINT
  s3.region: $region
  flush.size: $((per / 2))
  memory.budget: $budget
  path.format: dt=%Y-%m-%d/hour=%H
  timestamp.field: timestamp
YAML
	run_worker "$1"
	eval "ta_$1=\$ta td_$1=\$td ts_$1=\$ts rss_$1=\$rss_kb"
}
sink_run bench ""
sink_run benchgz "  compression: gzip
  compression.level: ${SINK_S3_BENCH_GZIP_LEVEL:-1}"

# The objects go (a test server is small): list and delete the prefix.
s3() {
	curl -sS --max-time 60 --aws-sigv4 "aws:amz:$region:s3" \
		--user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"
}
if [ -z "${SINK_S3_BENCH_TARGET:-}" ]; then
	s3 "$S3_ENDPOINT/$S3_BUCKET/?list-type=2&max-keys=1000&prefix=$(printf %s "$prefix" | sed 's|/|%2F|g')" |
		tr '<' '\n' | sed -n 's/^Key>//p' | sed 's|+|%2B|g; s|=|%3D|g' |
		while read -r k; do s3 -X DELETE -o /dev/null "$S3_ENDPOINT/$S3_BUCKET/$k"; done
fi

awk -v n="$n" -v bytes="$bytes" -v t0="$t0" -v t1="$t1" -v t2="$t2" \
	-v ts="$ts_bench" -v ta="$ta_bench" -v td="$td_bench" -v rss="$rss_bench" \
	-v gts="$ts_benchgz" -v gta="$ta_benchgz" -v gtd="$td_benchgz" -v grss="$rss_benchgz" \
	-v level="${SINK_S3_BENCH_GZIP_LEVEL:-1}" -v budget="$budget" \
	-v nta="$nta" -v ntd="$ntd" -v nrss="$nrss" \
	-v kbudget="${SINK_S3_BENCH_KAFKA_BUDGET:-32MiB}" 'BEGIN {
	kp = n / ((t1 - t0) / 1000); kc = n / ((t2 - t1) / 1000)
	s = n / ((td - ta) / 1000); sw = n / ((td - ts) / 1000)
	g = n / ((gtd - gta) / 1000); gw = n / ((gtd - gts) / 1000)
	mb = bytes / n / 1e6
	printf "%-48s %12s %10s\n", "", "events/s", "MB/s"
	printf "%-48s %12.0f %10.1f\n", "kcat -P (produce, per partition)", kp, kp * mb
	printf "%-48s %12.0f %10.1f\n", "kcat -C (consume: the ceiling)", kc, kc * mb
	if (ntd > 0) {
		ns = n / ((ntd - nta) / 1000)
		printf "%-48s %12.0f %10.1f\n", "sluice null sink (the host alone)", ns, ns * mb
	}
	printf "%-48s %12.0f %10.1f\n", "sink-s3 JSON Lines, assignment to all committed", s, s * mb
	printf "%-48s %12.0f %10.1f\n", "sink-s3 JSON Lines, process start to committed", sw, sw * mb
	printf "%-48s %12.0f %10.1f\n", "sink-s3 gzip " level ", assignment to all committed", g, g * mb
	printf "%-48s %12.0f %10.1f\n", "sink-s3 gzip " level ", process start to committed", gw, gw * mb
	printf "ratio sink-s3 / kcat -C: JSON Lines %.2f, gzip %.2f\n", s / kc, g / kc
	if (ntd > 0)
		printf "ratio sink-s3 / null sink: JSON Lines %.2f, gzip %.2f\n", s / ns, g / ns
	printf "peak RSS of the worker: JSON Lines %.1f MiB, gzip %.1f MiB (sink memory.budget %s, the worker'"'"'s Kafka memory.budget %s)\n", rss / 1024, grss / 1024, budget, kbudget
	if (ntd > 0)
		printf "peak RSS with the null sink: %.1f MiB\n", nrss / 1024
}'
sed -n 's/.*\[bench\/0\] closing: /sink-s3 JSON Lines: /p' "$tmp/bench.log"
sed -n 's/.*\[benchgz\/0\] closing: /sink-s3 gzip: /p' "$tmp/benchgz.log"
