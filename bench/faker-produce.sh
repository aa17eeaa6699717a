#!/bin/sh
# Faker produce benchmark: `sluice run --trigger available-now` with a
# source-faker connector writing N events into a `sluice broker`, against
# `kcat -P` producing the very same events (keys and values, dumped from
# sluice's topic) from a file into a fresh topic of the same partitions,
# in the same run and through the same broker process.
#   sh bench/faker-produce.sh BUILDDIR [N] [PARTITIONS] [ROUNDS]
# Prints events/s and MB/s of each, best of ROUNDS alternating rounds
# (the machine is shared: the best is the least disturbed), the ratios
# and the worker's peak RSS. Every timing is a whole process (start,
# connect, produce, wait for every acknowledgement, exit). sluice's
# producer is always idempotent (acks=all) and by default batches for
# 20 ms with lz4; kcat's is not by default, so kcat is also timed with
# those settings (enable.idempotence, linger.ms 20, lz4).
set -eu
b=$1
n=${2:-300000}
# The mock broker keeps about 5 MiB per partition; events are about
# 710 bytes, so 64 partitions hold 300,000 of them (about 3.3 MB each)
# with nothing trimmed. The count checks below would see any loss.
parts=${3:-64}
rounds=${4:-3}
command -v kcat >/dev/null || { echo "bench: kcat is not installed (apt-get install kcat)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is not installed (apt-get install time)" >&2; exit 1; }
tmp=$(mktemp -d)
bpid=
trap '[ -n "$bpid" ] && kill $bpid 2>/dev/null; rm -rf "$tmp"' EXIT

now() { date +%s%N | cut -c1-13; }
tab=$(printf '\t')

topics="--topic sluice-offsets:1"
r=1
while [ $r -le "$rounds" ]; do
	topics="$topics --topic s$r:$parts --topic k$r:$parts --topic i$r:$parts"
	r=$((r + 1))
done
# shellcheck disable=SC2086 # $topics is a list of words
"$b/sluice" broker $topics --bootstrap-file "$tmp/bs" >"$tmp/broker.log" 2>&1 &
bpid=$!
i=0
while [ ! -s "$tmp/bs" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$tmp/bs" ] || { echo "bench: the broker did not start" >&2; cat "$tmp/broker.log" >&2; exit 1; }
bs=$(cat "$tmp/bs")

mkdir -p "$tmp/c"
cat >"$tmp/sluice.yaml" <<YAML
bootstrap.servers: $bs
plugin.path: [$b/plugins/source-faker/.libs]
connectors.dir: c
log: {level: info}
YAML
# A new connector name each round, so that no round resumes another's
# stored positions.
cat >"$tmp/faker.yaml.in" <<YAML
name: faker-@TOPIC@
plugin: source-faker
topic: @TOPIC@
config: {max.events: $n, rate: 0, clock: simulated, seed: 42, key: transaction_id}
YAML

# Records in a topic: the sum of its partitions' end offsets, from the
# last record of each (trimming by the mock would not lower these).
count() {
	kcat -C -b "$bs" -t "$1" -o -1 -e -q -f '%o\n' | awk '{ s += $1 + 1 } END { print s + 0 }'
}

# One sluice run into topic $1; prints its milliseconds.
sluice_run() {
	sed "s/@TOPIC@/$1/" "$tmp/faker.yaml.in" >"$tmp/c/faker.yaml"
	t0=$(now)
	/usr/bin/time -f '%M' -o "$tmp/rss.$1" "$b/sluice" run -c "$tmp/sluice.yaml" \
		--trigger available-now >"$tmp/worker.$1.log" 2>&1 || {
		echo "bench: sluice run failed" >&2; tail "$tmp/worker.$1.log" >&2; exit 1; }
	t1=$(now)
	rm -f "$tmp/c/faker.yaml"
	got=$(count "$1")
	[ "$got" = "$n" ] || { echo "bench: topic $1 holds $got of $n events" >&2; exit 1; }
	echo $((t1 - t0))
}

# One kcat -P run into topic $1 with more -X options; prints milliseconds.
kcat_run() {
	t=$1
	shift
	t0=$(now)
	kcat -P -b "$bs" -t "$t" -K "$tab" -X linger.ms=5 "$@" -l "$tmp/events"
	t1=$(now)
	got=$(count "$t")
	[ "$got" = "$n" ] || { echo "bench: topic $t holds $got of $n events" >&2; exit 1; }
	echo $((t1 - t0))
}

echo "bench: $n faker events, $parts partitions, best of $rounds rounds, broker $bs"
sluice_ms=$(sluice_run s1)
# The same events as a keyed file for kcat: key TAB value per line (the
# values are one-line JSON without tabs).
kcat -C -b "$bs" -t s1 -o beginning -e -q -K "$tab" >"$tmp/events"
got=$(wc -l <"$tmp/events")
[ "$got" = "$n" ] || { echo "bench: s1 gave back $got of $n events (trimmed?)" >&2; exit 1; }
bytes=$(wc -c <"$tmp/events")
kcat_ms=$(kcat_run k1)
same="-X enable.idempotence=true -X linger.ms=20 -X compression.type=lz4"
# shellcheck disable=SC2086 # $same is a list of words
idem_ms=$(kcat_run i1 $same)
echo "round 1: sluice $sluice_ms ms, kcat $kcat_ms ms, kcat as sluice $idem_ms ms"
r=2
while [ $r -le "$rounds" ]; do
	a=$(sluice_run s$r)
	k=$(kcat_run k$r)
	# shellcheck disable=SC2086
	i=$(kcat_run i$r $same)
	echo "round $r: sluice $a ms, kcat $k ms, kcat as sluice $i ms"
	[ "$a" -lt "$sluice_ms" ] && sluice_ms=$a
	[ "$k" -lt "$kcat_ms" ] && kcat_ms=$k
	[ "$i" -lt "$idem_ms" ] && idem_ms=$i
	r=$((r + 1))
done
rss=$(cat "$tmp"/rss.* | sort -n | tail -n 1)

awk -v n="$n" -v bytes="$bytes" -v s_ms="$sluice_ms" -v k_ms="$kcat_ms" \
	-v i_ms="$idem_ms" -v rss="$rss" 'BEGIN {
	# The file holds key TAB value NEWLINE: the record bytes plus 2.
	eb = (bytes - n * 2) / n
	s = n / (s_ms / 1000); k = n / (k_ms / 1000); i = n / (i_ms / 1000)
	printf "event size (key + value): %.0f bytes\n", eb
	printf "%-44s %10s %8s\n", "best of each", "events/s", "MB/s"
	printf "%-44s %10.0f %8.1f\n", "sluice run, source-faker", s, s * eb / 1e6
	printf "%-44s %10.0f %8.1f\n", "kcat -P -l, same events", k, k * eb / 1e6
	printf "%-44s %10.0f %8.1f\n", "kcat -P -l, sluice producer settings", i, i * eb / 1e6
	printf "ratio sluice/kcat: %.2f\n", s / k
	printf "ratio sluice/kcat with the same settings: %.2f\n", s / i
	printf "peak RSS of the worker: %.1f MiB\n", rss / 1024
}'
