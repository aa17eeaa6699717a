#!/bin/sh
# out-of-tree.sh PREFIX - builds a plugin the way a third party would:
# outside the source tree, finding the installed header through
# pkg-config only, with strict warnings; then checks that the installed
# binary loads it and shows its name, version and options.
#
#   make install prefix=$PWD/inst && sh tests/out-of-tree.sh $PWD/inst
#
# Prints one PASS or FAIL line; exits non-zero on any failure.
set -u

fail()
{
	echo "FAIL: out-of-tree plugin: $*" >&2
	exit 1
}

if [ $# -ne 1 ]; then
	echo "usage: $0 PREFIX (where 'make install prefix=PREFIX' put sluice)" >&2
	exit 2
fi
prefix=$1
sluice=$prefix/bin/sluice
[ -x "$sluice" ] || fail "$sluice is missing or not executable"

PKG_CONFIG_PATH=$prefix/lib/pkgconfig:$prefix/lib64/pkgconfig
export PKG_CONFIG_PATH
cflags=$(pkg-config --cflags sluice) ||
	fail "pkg-config finds no sluice.pc under $prefix"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sluice-oot.XXXXXX") ||
	fail "cannot create a temporary directory"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

cat >"$tmp/oot-greeter.c" <<'EOF'
#include <sluice/plugin.h>

static const struct sluice_option options[] = {
	{.name = "greeting", .type = SLUICE_OPT_STRING, .def = "hello",
	 .doc = "what to say"},
	{.name = "repeat", .type = SLUICE_OPT_INT, .def = "1", .min = "1",
	 .max = "10", .doc = "how many times"},
	{0},
};

static enum sluice_status open_task(struct sluice_task *t,
				    const struct sluice_host *host,
				    void **state)
{
	(void)t;
	(void)host;
	*state = NULL;
	return SLUICE_OK;
}

static enum sluice_status poll_task(void *state, struct sluice_task *t,
				    size_t max)
{
	(void)state;
	(void)t;
	(void)max;
	return SLUICE_DONE;
}

static const struct sluice_plugin plugin = {
	SLUICE_PLUGIN_HEADER,
	.name = "oot-greeter",
	.version = "3.1.4",
	.description = "built outside the sluice tree",
	.kind = SLUICE_KIND_SOURCE,
	.options = options,
	.open = open_task,
	.poll = poll_task,
};

SLUICE_PLUGIN_EXPORT(plugin)
EOF

# $cflags is split on purpose: it may hold several flags.
# shellcheck disable=SC2086
${CC:-cc} -std=c11 -pedantic -Wall -Wextra -Werror -shared -fPIC $cflags \
	-o "$tmp/oot-greeter.so" "$tmp/oot-greeter.c" ||
	fail "does not compile against the installed header ($cflags)"

out=$("$sluice" plugins --plugin-path "$tmp" oot-greeter 2>&1) ||
	fail "'sluice plugins --plugin-path $tmp oot-greeter' failed: $out"
for want in oot-greeter 3.1.4 greeting repeat; do
	case $out in
	*"$want"*) ;;
	*) fail "'$want' is missing from 'sluice plugins oot-greeter': $out" ;;
	esac
done

list=$("$sluice" plugins --plugin-path "$tmp" 2>&1) ||
	fail "'sluice plugins --plugin-path $tmp' failed: $list"
echo "$list" | grep -Eq '^oot-greeter[[:space:]]+source[[:space:]]+3\.1\.4[[:space:]]' ||
	fail "no 'oot-greeter source 3.1.4 ...' line in 'sluice plugins': $list"

echo "PASS: out-of-tree plugin built with pkg-config and loaded by $sluice"
