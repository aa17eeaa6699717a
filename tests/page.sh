#!/bin/sh
# The pipeline page, `sluice status`, GET /sluice/pipeline and
# /sluice/tables against the shipped pipeline (connectors.d/ with the
# sink-s3 connectors writing to a directory instead of S3) running on a
# `sluice broker`, and the page in headless Chromium:
#   - every node of `sluice graph` (each connector and each topic) is on
#     the page, silver with its five expectations, the gold tables and
#     the revenue chart are drawn;
#   - the counts grow between two loads of the page;
#   - `sluice status` lists every connector, and names the URL when no
#     worker answers there;
#   - the tables endpoint answers bad input with 400/404/405, sorts and
#     limits; /metrics has the lag per partition; GET / the cluster id.
# With SLUICE_PAGE_SCREENSHOT=FILE (scripts/test sets it) a screenshot
# of the page is saved there. Skipped (77) without chromium. Ports: the
# broker's and the REST API's are picked by the kernel (port 0) and read
# back, so runs never collide. Every wait is bounded.
set -eu
build=${top_builddir:?}
src=${top_srcdir:?}
sluice=$build/sluice
chromium=${CHROMIUM:-chromium}
command -v "$chromium" >/dev/null 2>&1 || { echo "no chromium: skipped"; exit 77; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/sluice-page.XXXXXX")
broker_pid= worker_pid=
cleanup() {
	[ -n "$worker_pid" ] && kill "$worker_pid" 2>/dev/null && wait "$worker_pid" 2>/dev/null
	[ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null && wait "$broker_pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	tail -20 "$dir/run.log" 2>/dev/null || true
	exit 1
}

plugins="-p $build/plugins/source-faker/.libs -p $build/plugins/sink-s3/.libs
	-p $build/plugins/transform-bronze/.libs -p $build/plugins/transform-silver/.libs
	-p $build/plugins/transform-gold/.libs"
mkdir "$dir/connectors.d" "$dir/lake"
for f in "$src"/connectors.d/*.yaml; do
	sed "s|target: s3://.*|target: file://$dir/lake|" "$f" >"$dir/connectors.d/${f##*/}"
done
: >"$dir/empty.yaml"
# shellcheck disable=SC2086
"$sluice" graph -c "$dir/empty.yaml" -d "$dir/connectors.d" $plugins >"$dir/graph.dot" ||
	fail "sluice graph"
nodes=$(sed -n 's/^\t"\(\(connector\|topic\):[^"]*\)" \[.*/\1/p' "$dir/graph.dot")
[ "$(echo "$nodes" | wc -l)" = 22 ] || fail "graph has $(echo "$nodes" | wc -l) nodes, expected 22"

# Every topic exists before the worker starts: a sluice broker has no
# admin API, and creating them on demand costs a timeout each.
topics="--topic sluice-offsets:1 --topic sluice-silver-state:1 --topic sluice-gold-state:1"
for n in $nodes; do
	case $n in topic:*) topics="$topics --topic ${n#topic:}:4" ;; esac
done
# shellcheck disable=SC2086
"$sluice" broker $topics --bootstrap-file "$dir/bootstrap" >"$dir/broker.log" 2>&1 &
broker_pid=$!
i=0
while [ ! -s "$dir/bootstrap" ]; do
	i=$((i + 1))
	[ $i -le 300 ] || fail "the broker did not start in 30 s"
	sleep 0.1
done

cat >"$dir/sluice.yaml" <<YAML
bootstrap.servers: $(cat "$dir/bootstrap")
connectors.dir: $dir/connectors.d
plugin.path: [$build/plugins/source-faker/.libs, $build/plugins/sink-s3/.libs,
  $build/plugins/transform-bronze/.libs, $build/plugins/transform-silver/.libs,
  $build/plugins/transform-gold/.libs]
rest:
  listen: 127.0.0.1:0
kafka:
  session.timeout.ms: 6000
  heartbeat.interval.ms: 500
YAML
FAKER_RATE=100 GOLD_SNAPSHOT_INTERVAL=5s "$sluice" run -c "$dir/sluice.yaml" >"$dir/run.log" 2>&1 &
worker_pid=$!
port=
i=0
while [ -z "$port" ]; do
	i=$((i + 1))
	[ $i -le 300 ] || fail "no REST API in 30 s"
	kill -0 "$worker_pid" 2>/dev/null || fail "the worker exited"
	sleep 0.1
	port=$(sed -n 's|.*REST API on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$dir/run.log")
done
url=http://127.0.0.1:$port

# The OUT column of a connector's row (task -) in `sluice status`.
status_out() {
	awk -v c="$1" '$1 == c && $2 == "-" { print $6 }' "$dir/status"
}
# Until gold's tables and the lake-gold sink have something.
i=0
while :; do
	"$sluice" status --url "$url" >"$dir/status" 2>&1 || true
	g=$(status_out gold)
	[ "${g:-0}" -gt 0 ] 2>/dev/null && break
	i=$((i + 1))
	[ $i -le 60 ] || { cat "$dir/status"; fail "gold produced nothing in 30 s"; }
	sleep 0.5
done

# `sluice status`: the header, a row per connector and per task.
head -1 "$dir/status" | grep -q "^worker 127.0.0.1:$port, sluice .*, Kafka cluster mockCluster" ||
	fail "status header: $(head -1 "$dir/status")"
sed -n 3p "$dir/status" | grep -q '^CONNECTOR  TASK  TYPE  *STATE  *IN  *OUT  *IN/S  *OUT/S  *LAG$' ||
	fail "status columns: $(sed -n 3p "$dir/status")"
for c in faker:source landing:sink bronze:transform silver:transform gold:transform \
	lake:sink lake-gold:sink; do
	awk -v c="${c%:*}" -v t="${c#*:}" '$1 == c && $2 == "-" && $3 == t && $4 == "RUNNING" { ok = 1 }
		$1 == c && $2 == "0" && $3 == "RUNNING" { task = 1 } END { exit !(ok && task) }' \
		"$dir/status" || { cat "$dir/status"; fail "status: no RUNNING rows for $c"; }
done
[ "$(grep -c . "$dir/status")" = 16 ] || { cat "$dir/status"; fail "status: not 16 lines"; }
if "$sluice" status --url http://127.0.0.1:1 >"$dir/none" 2>&1; then
	fail "status against no worker exited 0"
fi
grep -q "cannot reach the worker at http://127.0.0.1:1" "$dir/none" || fail "status: $(cat "$dir/none")"
echo "sluice status: every connector and task RUNNING; no worker named"

# HTTP status of a GET (or of method $2).
code() { curl -s -o "$dir/body" -w '%{http_code}' -X "${2:-GET}" "$url$1"; }
for q in 'bad%20name' 'x..y%21' "$(printf 'a%.0s' $(seq 250))" \
	'gold_daily_metrics?limit=0' 'gold_daily_metrics?limit=1001' \
	'gold_daily_metrics?limit=99999999999999999999' 'gold_daily_metrics?limit=-1' \
	'gold_daily_metrics?limit=abc' 'gold_daily_metrics?order=sideways' \
	'gold_daily_metrics?sort='; do
	c=$(code "/sluice/tables/$q")
	[ "$c" = 400 ] || fail "tables/$q: $c, expected 400: $(cat "$dir/body")"
	grep -q '"error_code":400' "$dir/body" || fail "tables/$q: $(cat "$dir/body")"
done
for q in sluice-offsets sluice-gold-state nothing_here; do
	c=$(code "/sluice/tables/$q")
	[ "$c" = 404 ] || fail "tables/$q: $c, expected 404"
done
[ "$(code /sluice/tables/gold_user_summary POST)" = 405 ] || fail "POST tables: not 405"
[ "$(code /sluice/pipeline DELETE)" = 405 ] || fail "DELETE pipeline: not 405"
# Every one of faker's 50 users has a row once it has had an event:
# ~225 events on average at 100 a second, which a busy machine's
# pipeline may not have delivered yet when gold's first row came out.
i=0
while :; do
	[ "$(code '/sluice/tables/gold_user_summary?limit=3&sort=total_spent&order=desc')" = 200 ] ||
		fail "tables: $(cat "$dir/body")"
	grep -q '"keys":50,' "$dir/body" && break
	i=$((i + 1))
	[ $i -le 60 ] || fail "user summary: not 50 users in 30 s: $(head -c 300 "$dir/body")"
	sleep 0.5
done
grep -q '^{"topic":"gold_user_summary","keys":50,"truncated":false,"rows":\[' "$dir/body" ||
	fail "user summary: $(head -c 300 "$dir/body")"
[ "$(grep -o '"user_id"' "$dir/body" | wc -l)" = 3 ] || fail "limit 3: $(cat "$dir/body")"
grep -o '"total_spent":[0-9.]*' "$dir/body" | cut -d: -f2 | sort -c -n -r ||
	fail "not sorted by total_spent: $(cat "$dir/body")"
echo "tables endpoint: 400 for bad names and limits, 404 outside the pipeline, sorted and limited"

curl -s "$url/metrics" >"$dir/metrics"
grep -q '^sluice_consumer_lag{connector="gold",task="0",topic="silver_transactions",partition="3"} [0-9]*$' \
	"$dir/metrics" || fail "no lag per partition: $(grep consumer_lag "$dir/metrics" | head -3)"
curl -s "$url/" | grep -q '"kafka_cluster_id":"mockCluster' || fail "GET /: $(curl -s "$url/")"
curl -s -H 'Accept: text/html' "$url/" | grep -q '<title>sluice pipeline</title>' ||
	fail "GET / for a browser is not the page"

# The page in headless Chromium. --virtual-time-budget lets its
# scripts run and its requests finish before the DOM is written.
page() {
	timeout 90 "$chromium" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
		--user-data-dir="$dir/chromium" --hide-scrollbars --window-size=1920,1100 \
		--virtual-time-budget=4000 "$@" "$url/" 2>>"$dir/chromium.log"
}
# "node records" per node of a dumped DOM.
records() {
	grep -o '<div [^>]*data-node="[^"]*"[^>]*>' "$1" |
		sed 's/.*data-records="\([0-9]*\)".*data-node="\([^"]*\)".*/\2 \1/'
}
page --dump-dom >"$dir/dom1.html" || fail "chromium failed: $(tail -3 "$dir/chromium.log")"
records "$dir/dom1.html" >"$dir/nodes1"
sleep 3
page --dump-dom >"$dir/dom2.html" || fail "chromium failed: $(tail -3 "$dir/chromium.log")"
records "$dir/dom2.html" >"$dir/nodes2"
for n in $nodes; do
	grep -q "^$n [0-9]*$" "$dir/nodes1" || fail "node $n not on the page (first load)"
	grep -q "^$n [0-9]*$" "$dir/nodes2" || fail "node $n not on the page (second load)"
done
[ "$(wc -l <"$dir/nodes2")" = 22 ] || fail "the page shows $(wc -l <"$dir/nodes2") nodes, expected 22"
for n in connector:faker connector:landing connector:bronze connector:silver connector:gold \
	connector:lake connector:lake-gold topic:transaction_logs topic:bronze_transactions \
	topic:silver_transactions topic:silver_items topic:gold_daily_metrics; do
	a=$(awk -v n="$n" '$1 == n { print $2 }' "$dir/nodes1")
	b=$(awk -v n="$n" '$1 == n { print $2 }' "$dir/nodes2")
	[ "$b" -gt "$a" ] || fail "$n: $a then $b records, expected growth"
done
ex=$(grep -o 'data-expectation="[^"]*"' "$dir/dom2.html" | cut -d'"' -f2 | tr '\n' ' ')
[ "$ex" = "valid_email positive_amount amount_matches_items known_currency user_id_present " ] ||
	fail "silver's expectations on the page: $ex"
for t in gold_daily_metrics gold_user_summary gold_product_summary; do
	grep -q "data-table=\"$t\"" "$dir/dom2.html" || fail "no $t table on the page"
done
grep -q '<svg viewBox="0 0 380 180" data-days="1">' "$dir/dom2.html" || fail "no revenue chart"
echo "page: all 22 nodes, counts growing, silver's 5 expectations, 3 gold tables, the chart"

if [ -n "${SLUICE_PAGE_SCREENSHOT:-}" ]; then
	mkdir -p "$(dirname "$SLUICE_PAGE_SCREENSHOT")"
	page --screenshot="$SLUICE_PAGE_SCREENSHOT" >/dev/null || fail "screenshot"
	echo "screenshot: $SLUICE_PAGE_SCREENSHOT"
fi

kill -TERM "$worker_pid"
i=0
while kill -0 "$worker_pid" 2>/dev/null; do
	i=$((i + 1))
	[ $i -le 400 ] || fail "the worker did not stop in 40 s"
	sleep 0.1
done
wait "$worker_pid" || fail "the worker exited $?"
worker_pid=
# Under --enable-sanitizers a report does not always change the exit code.
! grep -q "runtime error\|Sanitizer" "$dir/run.log" || fail "sanitizer report in the worker log"
