#!/usr/bin/env bash
# tests/run-test runs *.sh with sh: go on in bash.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
# Smoke test of the test S3 server (scripts/s3-server) and the fault proxy
# (scripts/s3-proxy): signed PUT/GET/HEAD/DELETE, refused signatures, and
# each kind of injected fault with its counters. Starts the server if it
# does not run (and stops it again at the end); always runs its own proxy.
# Exit 77 (skipped) when the server cannot be installed (not root).
#
# Environment: S3_TEST_DIR (the server's DIR, default REPO/.run/s3),
# S3_TEST_PROXY_DIR (REPO/.run/s3proxy-test), S3_TEST_PROXY_PORT (7492),
# S3_TEST_PROXY_CONTROL_PORT (7493).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SERVER=$ROOT/scripts/s3-server
PROXY=$ROOT/scripts/s3-proxy
S3_DIR=${S3_TEST_DIR:-$ROOT/.run/s3}
PROXY_DIR=${S3_TEST_PROXY_DIR:-$ROOT/.run/s3proxy-test}
export S3_PROXY_PORT=${S3_TEST_PROXY_PORT:-7492}
export S3_PROXY_CONTROL_PORT=${S3_TEST_PROXY_CONTROL_PORT:-7493}

PASSED=0
FAILED=0
STARTED_SERVER=0
STARTED_PROXY=0
TMP=$(mktemp -d /tmp/s3-smoke.XXXXXX)

pass() {
	PASSED=$((PASSED + 1))
	printf 'ok - %s\n' "$1"
}
fail() {
	FAILED=$((FAILED + 1))
	printf 'FAIL - %s\n' "$*"
}
# check NAME EXPECTED ACTUAL
check() {
	if [[ $2 == "$3" ]]; then pass "$1"; else fail "$1: expected '$2', got '$3'"; fi
}

# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	if ((STARTED_PROXY)); then "$PROXY" -d "$PROXY_DIR" stop --purge >/dev/null 2>&1; fi
	if ((STARTED_SERVER)); then "$SERVER" stop "$S3_DIR" >/dev/null 2>&1; fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

finish() {
	printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
	((FAILED == 0))
	exit
}

# s3 ARGS...: curl signed with the test user's keys.
s3() {
	curl -sS --max-time 60 --aws-sigv4 "aws:amz:$S3_REGION:s3" \
		--user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"
}

# stat_of KEY: one counter of the proxy.
stat_of() {
	"$PROXY" -d "$PROXY_DIR" stats | sed -n "s/^$1=//p"
}

# proxy_set KEY=VALUE...: new fault settings, counters reset.
proxy_set() {
	"$PROXY" -d "$PROXY_DIR" set "$@" >/dev/null
}

# --- server -------------------------------------------------------------

if "$SERVER" status "$S3_DIR" >/dev/null 2>&1; then
	pass "server already running ($S3_DIR)"
else
	if ! command -v radosgw >/dev/null 2>&1 && [[ $(id -u) -ne 0 ]]; then
		echo "skipped: radosgw is not installed and installing it needs root"
		exit 77
	fi
	t0=$SECONDS
	if "$SERVER" start "$S3_DIR" >"$TMP/start.out" 2>"$TMP/start.err"; then
		STARTED_SERVER=1
		pass "server started in $((SECONDS - t0)) s"
	else
		STARTED_SERVER=1
		tail -n 30 "$TMP/start.err"
		fail "scripts/s3-server start"
		finish
	fi
fi
set -a
# shellcheck source=/dev/null
. "$S3_DIR/env"
set +a
for v in S3_ENDPOINT AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY S3_BUCKET S3_REGION S3_ADMIN_SOCKET; do
	if [[ -z ${!v:-} ]]; then fail "env file lacks $v"; fi
done

# --- direct requests ------------------------------------------------------

KEY=smoke/$$-$RANDOM
URL=$S3_ENDPOINT/$S3_BUCKET/$KEY
head -c 300000 /dev/urandom >"$TMP/obj"

check "PUT object" 200 "$(s3 -T "$TMP/obj" -o /dev/null -w '%{http_code}' "$URL")"
check "GET object" 200 "$(s3 -o "$TMP/got" -w '%{http_code}' "$URL")"
if cmp -s "$TMP/obj" "$TMP/got"; then pass "GET gives the bytes PUT"; else fail "GET gives other bytes"; fi
check "HEAD size" 300000 "$(s3 -I "$URL" | tr -d '\r' | sed -n 's/^[Cc]ontent-[Ll]ength: //p')"

code=$(curl -sS --max-time 30 --aws-sigv4 "aws:amz:$S3_REGION:s3" \
	--user "$AWS_ACCESS_KEY_ID:wrong-secret" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
	-o "$TMP/err" -w '%{http_code}' "$URL")
check "wrong secret: 403" 403 "$code"
if grep -q '<Code>SignatureDoesNotMatch</Code>' "$TMP/err"; then
	pass "wrong secret: SignatureDoesNotMatch"
else
	fail "wrong secret: body $(head -c 300 "$TMP/err")"
fi
check "anonymous GET: 403" 403 "$(curl -sS --max-time 30 -o /dev/null -w '%{http_code}' "$URL")"

if out=$(timeout 20 ceph --admin-daemon "$S3_ADMIN_SOCKET" config get rgw_max_concurrent_requests 2>&1) &&
	[[ $out == *rgw_max_concurrent_requests* ]]; then
	pass "admin socket answers"
else
	fail "admin socket $S3_ADMIN_SOCKET: $out"
fi

# --- through the proxy ----------------------------------------------------

if ! S3_PROXY_UPSTREAM=$S3_ENDPOINT "$PROXY" -d "$PROXY_DIR" start >"$TMP/proxy.out" 2>"$TMP/proxy.err"; then
	cat "$TMP/proxy.err"
	fail "scripts/s3-proxy start"
	finish
fi
STARTED_PROXY=1
PEP=$(sed -n 's/^S3_PROXY_ENDPOINT=//p' "$PROXY_DIR/env")
PURL=$PEP/$S3_BUCKET/$KEY

head -c 2500000 /dev/urandom >"$TMP/big" # over 1 MB: curl sends Expect: 100-continue
proxy_set
check "proxy: PUT 2.5 MB (Expect: 100-continue)" 200 \
	"$(s3 -T "$TMP/big" -o /dev/null -w '%{http_code}' "$PURL")"
check "proxy: GET" 200 "$(s3 -o "$TMP/got" -w '%{http_code}' "$PURL")"
if cmp -s "$TMP/big" "$TMP/got"; then pass "proxy: same bytes"; else fail "proxy: other bytes"; fi
check "proxy: counted 2 requests" 2 "$(stat_of requests)"

code=$(curl -sS --max-time 30 --aws-sigv4 "aws:amz:$S3_REGION:s3" \
	--user "$AWS_ACCESS_KEY_ID:wrong-secret" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
	-o /dev/null -w '%{http_code}' "$PURL")
check "proxy: wrong secret still 403" 403 "$code"

proxy_set
s3 -o /dev/null -o /dev/null -o /dev/null -o /dev/null "$PURL" "$PURL" "$PURL" "$PURL" 2>/dev/null
check "proxy: keep-alive (4 requests, 1 connection)" "4 1" \
	"$(stat_of requests) $(stat_of connections)"

# Every 3rd request 503 SlowDown: exactly the 3rd, 6th and 9th fail.
proxy_set error_every=3
codes=
for i in 1 2 3 4 5 6 7 8 9; do
	codes+="$(s3 -o "$TMP/r$i" -w '%{http_code}' "$PURL") "
done
check "error_every=3: statuses" "200 200 503 200 200 503 200 200 503 " "$codes"
if grep -q '<Code>SlowDown</Code>' "$TMP/r6"; then pass "503 body is SlowDown"; else fail "503 body: $(head -c 300 "$TMP/r6")"; fi
check "error_every=3: counters" "9 3 6" \
	"$(stat_of requests) $(stat_of errors_injected) $(stat_of forwarded)"

# The same on one keep-alive connection: the connection survives the 503s.
proxy_set error_every=3
codes=$(s3 -o /dev/null -o /dev/null -o /dev/null -o /dev/null -o /dev/null -o /dev/null \
	-w '%{http_code} ' "$PURL" "$PURL" "$PURL" "$PURL" "$PURL" "$PURL")
check "error_every=3 on one connection" "200 200 503 200 200 503 1" "$codes$(stat_of connections)"

proxy_set error_every=1 error_status=500
code=$(s3 -T "$TMP/obj" -o "$TMP/err" -w '%{http_code}' "$PURL")
check "error_status=500: PUT refused" "500 InternalError" \
	"$code $(sed -n 's/.*<Code>\([A-Za-z]*\)<.*/\1/p' "$TMP/err")"
proxy_set
s3 -o "$TMP/got" "$PURL"
if cmp -s "$TMP/big" "$TMP/got"; then pass "the refused PUT changed nothing"; else fail "object changed by a refused PUT"; fi

# Every 2nd request dropped: curl sees an empty reply (exit 52).
proxy_set drop_every=2
rcs=
for i in 1 2 3 4; do
	s3 -o /dev/null "$PURL" 2>/dev/null
	rcs+="$? "
done
check "drop_every=2: curl exit codes" "0 52 0 52 " "$rcs"
check "drop_every=2: counters" "4 2" "$(stat_of requests) $(stat_of dropped)"

proxy_set delay_ms=400
t=$(s3 -o /dev/null -w '%{time_total}' "$PURL")
if awk -v t="$t" 'BEGIN { exit !(t >= 0.4) }'; then pass "delay_ms=400 (took $t s)"; else fail "delay_ms=400 took $t s"; fi

# Down: connections refused (curl exit 7), then back.
proxy_set down=1.5
s3 -o /dev/null "$PURL" 2>/dev/null
check "down: connection refused" 7 "$?"
ok=0
for ((i = 0; i < 40; i++)); do
	if [[ $(s3 -o /dev/null -w '%{http_code}' "$PURL" 2>/dev/null) == 200 ]]; then
		ok=1
		break
	fi
	sleep 0.1
done
check "up again after down=1.5" 1 "$ok"

# --- clean up -------------------------------------------------------------

proxy_set
check "DELETE object" 204 "$(s3 -X DELETE -o /dev/null -w '%{http_code}' "$URL")"
code=$(s3 -o "$TMP/err" -w '%{http_code}' "$URL")
check "GET after DELETE: 404 NoSuchKey" "404 1" "$code $(grep -c '<Code>NoSuchKey</Code>' "$TMP/err")"

finish
