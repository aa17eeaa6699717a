#!/bin/sh
# `sluice graph`: the shipped connectors.d as exact DOT text
# (tests/graph/shipped.dot), and its errors: an invalid connector file
# exits 3 naming it and prints no graph, a stray argument exits 2.
set -eu
build=${top_builddir:?}
src=${top_srcdir:?}
sluice=$build/sluice
dir=$(mktemp -d "${TMPDIR:-/tmp}/sluice-graph.XXXXXX")
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

: >"$dir/empty.yaml"
graph() {
	"$sluice" graph -c "$dir/empty.yaml" -p "$build/plugins/source-faker/.libs" \
		-p "$build/plugins/sink-s3/.libs" -p "$build/plugins/transform-bronze/.libs" \
		-p "$build/plugins/transform-silver/.libs" -p "$build/plugins/transform-gold/.libs" "$@"
}
graph -d "$src/connectors.d" >"$dir/out.dot" || fail "sluice graph exited $?"
diff -u "$src/tests/graph/shipped.dot" "$dir/out.dot" || fail "the DOT text differs"
echo "shipped connectors.d: $(grep -c -- '->' "$dir/out.dot") edges as expected"

mkdir "$dir/bad"
printf 'name: x\nplugin: sink-s4\ntopics: [t]\n' >"$dir/bad/x.yaml"
rc=0
graph -d "$dir/bad" >"$dir/bad.out" 2>"$dir/bad.err" || rc=$?
[ $rc = 3 ] || fail "invalid connector: exit $rc, expected 3"
[ ! -s "$dir/bad.out" ] || fail "a graph was printed for an invalid pipeline"
grep -q "x.yaml:2:9: error: .*sink-s4" "$dir/bad.err" || fail "$(cat "$dir/bad.err")"
rc=0
"$sluice" graph stray >/dev/null 2>&1 || rc=$?
[ $rc = 2 ] || fail "stray argument: exit $rc, expected 2"
"$sluice" graph --help | grep -q "^Usage: sluice graph" || fail "no --help"
echo "errors: 3 for an invalid file, 2 for a stray argument"
