#!/bin/sh
# Host benchmark: a null source producing N records of SIZE bytes through
# a `sluice broker` into a null sink, against kcat producing and consuming
# the same bytes through the same kind of broker, in the same run.
#   sh bench/host.sh BUILDDIR [N] [SIZE] [MEMORY_BUDGET]
# Prints records/s, MB/s and peak RSS, and the ratios to kcat.
set -eu
b=$1
n=${2:-200000}
size=${3:-1024}
budget=${4:-256MiB}
parts=64 # 64 x ~5 MiB kept per partition by the mock: room for 300 MB
command -v kcat >/dev/null || { echo "bench: kcat is not installed (apt-get install kcat)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'kill $bpid 2>/dev/null || true; [ -n "${wpid:-}" ] && kill -9 $wpid 2>/dev/null; rm -rf "$tmp"' EXIT

now() { date +%s%N | cut -c1-13; }

"$b/sluice" broker --topic kcat:$parts --topic sluice:$parts \
	--bootstrap-file "$tmp/bs" >"$tmp/broker.log" 2>&1 &
bpid=$!
i=0
while [ ! -s "$tmp/bs" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
bs=$(cat "$tmp/bs")

# Keyed records, so that both sides spread them evenly over the
# partitions (an unkeyed producer sticks to one partition per batch and
# could overfill one past what the mock keeps).
awk -v n="$n" -v s="$size" 'BEGIN {
	line = ""; for (i = 1; i < s; i++) line = line sprintf("%c", 97 + i % 26)
	for (i = 0; i < n; i++) printf "%d\t%s\n", i, line }' >"$tmp/records"

echo "bench: $n records of $size bytes, $parts partitions, broker $bs"
t0=$(now)
kcat -P -b "$bs" -t kcat -K "$(printf '\t')" -X linger.ms=5 -l "$tmp/records"
t1=$(now)
got=$(kcat -C -b "$bs" -t kcat -o beginning -e -q | wc -l)
t2=$(now)
[ "$got" = "$n" ] || { echo "bench: kcat consumed $got of $n records" >&2; exit 1; }

mkdir -p "$tmp/c"
cat >"$tmp/sluice.yaml" <<YAML
bootstrap.servers: $bs
plugin.path: [$b/bench/.libs]
connectors.dir: c
memory.budget: $budget
log: {level: warn}
YAML
cat >"$tmp/c/1-source.yaml" <<YAML
name: src
plugin: bench-null-source
topic: sluice
config: {count: $n, size: ${size}B, report: $tmp/source.report}
YAML
cat >"$tmp/c/2-sink.yaml" <<YAML
name: sink
plugin: bench-null-sink
topics: sluice
config: {expect: $n, report: $tmp/sink.report}
YAML
"$b/sluice" run -c "$tmp/sluice.yaml" >"$tmp/worker.log" 2>&1 &
wpid=$!
i=0
while [ ! -s "$tmp/sink.report" ] && [ $i -lt 3000 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$tmp/sink.report" ] || { echo "bench: the sink did not receive $n records" >&2; tail "$tmp/worker.log" >&2; exit 1; }
rss_kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$wpid/status")
kill -TERM $wpid
wait $wpid || true
wpid=

read -r sf sl _ <"$tmp/source.report"
read -r _ kl _ <"$tmp/sink.report"
awk -v n="$n" -v size="$size" -v t0="$t0" -v t1="$t1" -v t2="$t2" \
	-v sf="$sf" -v sl="$sl" -v kl="$kl" -v rss="$rss_kb" -v budget="$budget" 'BEGIN {
	kp = n / ((t1 - t0) / 1000); kc = n / ((t2 - t1) / 1000)
	ke = n / ((t2 - t0) / 1000)
	sp = n / ((sl - sf) / 1000); se = n / ((kl - sf) / 1000)
	mb = size / 1e6
	printf "%-34s %12s %10s\n", "", "records/s", "MB/s"
	printf "%-34s %12.0f %10.1f\n", "kcat -P (produce)", kp, kp * mb
	printf "%-34s %12.0f %10.1f\n", "kcat -C (consume)", kc, kc * mb
	printf "%-34s %12.0f %10.1f\n", "kcat produce then consume", ke, ke * mb
	printf "%-34s %12.0f %10.1f\n", "sluice source (produce)", sp, sp * mb
	printf "%-34s %12.0f %10.1f\n", "sluice source -> sink (end to end)", se, se * mb
	printf "ratio produce  sluice/kcat: %.2f\n", sp / kp
	printf "ratio moved    sluice/kcat: %.2f  (end to end vs produce+consume)\n", se / ke
	printf "peak RSS of the worker: %.1f MiB (memory.budget %s)\n", rss / 1024, budget
}'
