/*
 * test_ytree - YAML loading: positions of keys and values, environment
 * references, and every refusal with its exact message and place.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ytree.h"

static struct diags d;

static void setup(void)
{
	d = (struct diags){0};
}

static void teardown(void)
{
	diags_free(&d);
}

static struct ynode *load(const char *text)
{
	return ytree_load_string("t.yaml", text, strlen(text), &d);
}

static struct ynode *load_ok(const char *text)
{
	struct ynode *n = load(text);
	if (d.n)
		ck_abort_msg("unexpected: %d:%d: %s", d.v[0].line, d.v[0].col,
			     d.v[0].msg);
	ck_assert_ptr_nonnull(n);
	return n;
}

/* Diagnostic i is "t.yaml:line:col: msg". */
static void diag_is(size_t i, int line, int col, const char *msg)
{
	ck_assert_uint_gt(d.n, i);
	ck_assert_str_eq(d.v[i].file, "t.yaml");
	ck_assert_str_eq(d.v[i].msg, msg);
	ck_assert_int_eq(d.v[i].line, line);
	ck_assert_int_eq(d.v[i].col, col);
}

/* The text is refused with exactly one diagnostic. */
static void refused_n(const char *text, size_t len, int line, int col,
		      const char *msg)
{
	ck_assert_ptr_null(ytree_load_string("t.yaml", text, len, &d));
	diag_is(0, line, col, msg);
	ck_assert_uint_eq(d.n, 1);
}

static void refused(const char *text, int line, int col, const char *msg)
{
	refused_n(text, strlen(text), line, col, msg);
}

static void at(const struct ynode *n, int line, int col)
{
	ck_assert_ptr_nonnull(n);
	ck_assert_int_eq(n->line, line);
	ck_assert_int_eq(n->col, col);
}

static void key_at(const struct ynode *n, int line, int col)
{
	ck_assert_ptr_nonnull(n);
	ck_assert_int_eq(n->key_line, line);
	ck_assert_int_eq(n->key_col, col);
}

START_TEST(block_positions)
{
	struct ynode *r = load_ok("# comment\n"
				  "name: s3-sink\n"
				  "config:\n"
				  "  bucket: \"logs\"\n"
				  "  flush.size:   5MiB\n"
				  "topics:\n"
				  "  - one\n"
				  "  -   two\n"
				  "  - k: v\n");
	ck_assert_int_eq(r->type, YNODE_MAP);
	ck_assert_uint_eq(r->n, 3);
	ck_assert_ptr_null(r->key);

	struct ynode *n = ytree_get(r, "name");
	ck_assert_int_eq(n->type, YNODE_SCALAR);
	ck_assert_str_eq(n->value, "s3-sink");
	ck_assert_int_eq(n->plain, 1);
	key_at(n, 2, 1);
	at(n, 2, 7);

	struct ynode *c = ytree_get(r, "config");
	ck_assert_int_eq(c->type, YNODE_MAP);
	key_at(c, 3, 1);
	at(c, 4, 3);
	n = ytree_get(c, "bucket");
	ck_assert_str_eq(n->value, "logs");
	ck_assert_int_eq(n->plain, 0);
	key_at(n, 4, 3);
	at(n, 4, 11);
	n = ytree_get(c, "flush.size");
	ck_assert_str_eq(n->value, "5MiB");
	key_at(n, 5, 3);
	at(n, 5, 17);

	struct ynode *t = ytree_get(r, "topics");
	ck_assert_int_eq(t->type, YNODE_SEQ);
	ck_assert_uint_eq(t->n, 3);
	at(t, 7, 3);
	ck_assert_ptr_null(t->kids[0]->key);
	ck_assert_str_eq(t->kids[0]->value, "one");
	at(t->kids[0], 7, 5);
	ck_assert_str_eq(t->kids[1]->value, "two");
	at(t->kids[1], 8, 7);
	ck_assert_int_eq(t->kids[2]->type, YNODE_MAP);
	at(t->kids[2], 9, 5);
	key_at(ytree_get(t->kids[2], "k"), 9, 5);
	at(ytree_get(t->kids[2], "k"), 9, 8);

	/* file order is kept */
	ck_assert_str_eq(r->kids[0]->key, "name");
	ck_assert_str_eq(r->kids[1]->key, "config");
	ck_assert_str_eq(r->kids[2]->key, "topics");
	ytree_free(r);
}
END_TEST

START_TEST(flow_positions)
{
	struct ynode *r = load_ok("a: [1, {e: f}, ~]\n"
				  "b: {x: 'y', z: [ ]}\n");
	struct ynode *a = ytree_get(r, "a");
	at(a, 1, 4);
	ck_assert_uint_eq(a->n, 3);
	at(a->kids[0], 1, 5);
	at(a->kids[1], 1, 8);
	key_at(ytree_get(a->kids[1], "e"), 1, 9);
	at(ytree_get(a->kids[1], "e"), 1, 12);
	at(a->kids[2], 1, 16);
	ck_assert(ytree_is_null(a->kids[2]));
	struct ynode *b = ytree_get(r, "b");
	at(b, 2, 4);
	key_at(ytree_get(b, "z"), 2, 13);
	at(ytree_get(b, "z"), 2, 16);
	ck_assert_uint_eq(ytree_get(b, "z")->n, 0);
	ck_assert_str_eq(ytree_get(b, "x")->value, "y");
	ck_assert_int_eq(ytree_get(b, "x")->plain, 0);
	ytree_free(r);
}
END_TEST

/* Columns count characters, as libyaml's marks do. */
START_TEST(columns_are_characters)
{
	struct ynode *r = load_ok("\xc3\xa9t\xc3\xa9: ok\n");
	struct ynode *n = ytree_get(r, "\xc3\xa9t\xc3\xa9");
	key_at(n, 1, 1);
	at(n, 1, 6);
	ytree_free(r);
}
END_TEST

START_TEST(nulls)
{
	struct ynode *r = load_ok("a:\nb: ~\nc: null\nd: Null\ne: NULL\n"
				  "f: ''\ng: \"null\"\nh: nul\ni: !!str ~\n");
	ck_assert(ytree_is_null(ytree_get(r, "a")));
	at(ytree_get(r, "a"), 1, 3);
	ck_assert(ytree_is_null(ytree_get(r, "b")));
	ck_assert(ytree_is_null(ytree_get(r, "c")));
	ck_assert(ytree_is_null(ytree_get(r, "d")));
	ck_assert(ytree_is_null(ytree_get(r, "e")));
	ck_assert(!ytree_is_null(ytree_get(r, "f")));
	ck_assert_str_eq(ytree_get(r, "f")->value, "");
	ck_assert(!ytree_is_null(ytree_get(r, "g")));
	ck_assert(!ytree_is_null(ytree_get(r, "h")));
	ck_assert(!ytree_is_null(ytree_get(r, "i")));
	ck_assert(!ytree_is_null(r));
	ck_assert(!ytree_is_null(NULL));
	ytree_free(r);
}
END_TEST

START_TEST(lookups)
{
	struct ynode *r = load_ok("a: [x]\nb: 1\n");
	ck_assert_ptr_null(ytree_get(r, "c"));
	ck_assert_ptr_null(ytree_get(NULL, "a"));
	ck_assert_ptr_null(ytree_get(ytree_get(r, "a"), "x"));
	ck_assert_ptr_null(ytree_get(ytree_get(r, "b"), "b"));
	ck_assert_str_eq(ytree_type_name(YNODE_SCALAR), "scalar");
	ck_assert_str_eq(ytree_type_name(YNODE_MAP), "map");
	ck_assert_str_eq(ytree_type_name(YNODE_SEQ), "sequence");
	ytree_free(r);
}
END_TEST

START_TEST(top_level_not_a_map)
{
	struct ynode *r = load_ok("- a\n- b\n");
	ck_assert_int_eq(r->type, YNODE_SEQ);
	ck_assert_uint_eq(r->n, 2);
	ytree_free(r);
	r = load_ok("just text\n");
	ck_assert_int_eq(r->type, YNODE_SCALAR);
	ck_assert_str_eq(r->value, "just text");
	ytree_free(r);
}
END_TEST

START_TEST(empty_documents)
{
	static const char *const empty[] = {
		"",	 "\n",	    "# only a comment\n",
		"---\n", "--- ~\n", "---\n...\n"};
	for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		struct ynode *r = load_ok(empty[i]);
		ck_assert_int_eq(r->type, YNODE_MAP);
		ck_assert_uint_eq(r->n, 0);
		ytree_free(r);
	}
	struct ynode *r = ytree_load_string("t.yaml", NULL, 0, &d);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->type, YNODE_MAP);
	ytree_free(r);
}
END_TEST

START_TEST(env_expansion)
{
	setenv("YT_TOKEN", "s3cr3t", 1);
	setenv("YT_HOST", "db", 1);
	setenv("YT_EMPTY", "", 1);
	setenv("YT_NULL", "null", 1);
	setenv("YT_REF", "${env:YT_HOST}", 1);
	struct ynode *r = load_ok("auth: Bearer ${env:YT_TOKEN}\n"
				  "url: \"${env:YT_HOST}:${env:YT_HOST}/x\"\n"
				  "lit: $${env:YT_HOST}\n"
				  "mixed: a$${b}${env:YT_HOST}$$c$\n"
				  "empty: ${env:YT_EMPTY}\n"
				  "n: ${env:YT_NULL}\n"
				  "once: ${env:YT_REF}\n"
				  "${env:YT_HOST}: keys are not expanded\n"
				  "list: [\"${env:YT_HOST}\", x]\n");
	ck_assert_str_eq(ytree_get(r, "auth")->value, "Bearer s3cr3t");
	ck_assert_int_eq(ytree_get(r, "auth")->plain, 0);
	ck_assert_str_eq(ytree_get(r, "url")->value, "db:db/x");
	ck_assert_str_eq(ytree_get(r, "lit")->value, "${env:YT_HOST}");
	ck_assert_int_eq(ytree_get(r, "lit")->plain, 1);
	ck_assert_str_eq(ytree_get(r, "mixed")->value, "a${b}db$$c$");
	/* text from the environment is a string, never a YAML null */
	ck_assert_str_eq(ytree_get(r, "empty")->value, "");
	ck_assert(!ytree_is_null(ytree_get(r, "empty")));
	ck_assert_str_eq(ytree_get(r, "n")->value, "null");
	ck_assert(!ytree_is_null(ytree_get(r, "n")));
	/* expansion is not recursive */
	ck_assert_str_eq(ytree_get(r, "once")->value, "${env:YT_HOST}");
	ck_assert_ptr_nonnull(ytree_get(r, "${env:YT_HOST}"));
	ck_assert_str_eq(ytree_get(r, "list")->kids[0]->value, "db");
	ytree_free(r);
}
END_TEST

START_TEST(env_unset)
{
	unsetenv("YT_UNSET");
	unsetenv("YT_UNSET2");
	refused("a: 1\nb: x-${env:YT_UNSET}\n", 2, 4,
		"environment variable 'YT_UNSET' is not set");
}
END_TEST

/* ${env:NAME:-default}: the default when unset or empty, as in sh. */
START_TEST(env_default)
{
	unsetenv("YT_UNSET");
	setenv("YT_EMPTY", "", 1);
	setenv("YT_HOST", "db", 1);
	struct ynode *r =
		load_ok("a: ${env:YT_UNSET:-10000}\n"
			"b: ${env:YT_EMPTY:-x}\n"
			"c: ${env:YT_HOST:-x}\n"
			"d: ${env:YT_UNSET:-}\n"
			"e: http://${env:YT_UNSET:-127.0.0.1:7480}/p\n");
	ck_assert_str_eq(ytree_get(r, "a")->value, "10000");
	ck_assert_str_eq(ytree_get(r, "b")->value, "x");
	ck_assert_str_eq(ytree_get(r, "c")->value, "db");
	ck_assert_str_eq(ytree_get(r, "d")->value, "");
	ck_assert_str_eq(ytree_get(r, "e")->value, "http://127.0.0.1:7480/p");
	ytree_free(r);
	refused("a: ${env:A-B:-x}\n", 1, 4,
		"'A-B' is not a valid environment variable name");
}
END_TEST

/* Every bad reference is reported, not only the first. */
START_TEST(env_errors_all_reported)
{
	unsetenv("YT_UNSET");
	unsetenv("YT_UNSET2");
	ck_assert_ptr_null(load("a: ${env:YT_UNSET}${env:YT_UNSET2}\n"
				"b:\n"
				"  - \"${foo:x}\"\n"
				"c: ${env:}\n"
				"d: ${env:A-B}\n"
				"e: x ${env:HOME\n"));
	ck_assert_uint_eq(d.n, 6);
	diag_is(0, 1, 4, "environment variable 'YT_UNSET' is not set");
	diag_is(1, 1, 4, "environment variable 'YT_UNSET2' is not set");
	diag_is(2, 3, 5,
		"unknown reference '${foo:x}'; only ${env:NAME} and "
		"${env:NAME:-default} are supported");
	diag_is(3, 4, 4, "'' is not a valid environment variable name");
	diag_is(4, 5, 4, "'A-B' is not a valid environment variable name");
	diag_is(5, 6, 4, "unterminated '${' (write '$${' for a literal '${')");
}
END_TEST

/* Expansion is bounded like the file itself. */
START_TEST(env_expansion_bounded)
{
	char *big = malloc(300 * 1024 + 1);
	memset(big, 'x', 300 * 1024);
	big[300 * 1024] = '\0';
	setenv("YT_BIG", big, 1);
	free(big);
	struct ynode *r = load_ok("a: ${env:YT_BIG}${env:YT_BIG}\n");
	ck_assert_uint_eq(strlen(ytree_get(r, "a")->value), 600 * 1024);
	ytree_free(r);
	refused("a: 1\nb: ${env:YT_BIG}${env:YT_BIG}${env:YT_BIG}"
		"${env:YT_BIG}${env:YT_UNSET}\n",
		2, 4,
		"the value is over 1MiB once environment variables are "
		"expanded");
	unsetenv("YT_BIG");
}
END_TEST

START_TEST(not_utf8)
{
	refused("a: 1\nbb: x\xffy\n", 2, 6, "not valid UTF-8 (byte 0xff)");
	teardown();
	/* columns count characters before the bad byte */
	refused("\xc3\xa9\xc3\xa9: \xc3\n", 1, 5,
		"not valid UTF-8 (byte 0xc3)");
	teardown();
	/* overlong encoding of '/' */
	refused("a: \xc0\xaf\n", 1, 4, "not valid UTF-8 (byte 0xc0)");
	teardown();
	/* UTF-16 surrogate */
	refused("a: \xed\xa0\x80\n", 1, 4, "not valid UTF-8 (byte 0xed)");
	teardown();
	/* above U+10FFFF */
	refused("a: \xf4\x90\x80\x80\n", 1, 4, "not valid UTF-8 (byte 0xf4)");
	teardown();
	/* truncated at the end */
	refused("a: \xe2\x82", 1, 4, "not valid UTF-8 (byte 0xe2)");
	teardown();
	/* CRLF line ends count once */
	refused("a: 1\r\nb: 2\r\nc: \x80\r\n", 3, 4,
		"not valid UTF-8 (byte 0x80)");
	teardown();
	/* a UTF-16 byte order mark is not UTF-8 either */
	refused_n("\xff\xfe"
		  "a\0:\0",
		  6, 1, 1, "not valid UTF-8 (byte 0xff)");
	teardown();
	/* a UTF-8 byte order mark is fine and takes no column */
	struct ynode *r = load_ok("\xef\xbb\xbf"
				  "a: 1\nb: 2\n");
	key_at(ytree_get(r, "a"), 1, 1);
	at(ytree_get(r, "a"), 1, 4);
	at(ytree_get(r, "b"), 2, 4);
	ytree_free(r);
	refused("\xef\xbb\xbf"
		"a: \xff\n",
		1, 4, "not valid UTF-8 (byte 0xff)");
}
END_TEST

START_TEST(control_characters)
{
	refused("a: 1\nb: x\x01y\n", 2, 5,
		"control characters are not allowed (U+0001)");
	teardown();
	refused_n("a: x\0y\n", 7, 1, 5,
		  "control characters are not allowed (U+0000)");
	teardown();
	refused("a: \"x\\0y\"\n", 1, 4, "a NUL character (\\0) is not allowed");
}
END_TEST

START_TEST(syntax_errors)
{
	refused("a: 1\nb: [1,\n", 3, 1, "did not find expected node content");
	teardown();
	refused("a: 1\n b: 2\n", 2, 3,
		"mapping values are not allowed in this context");
	teardown();
	refused("a: 'x\n", 2, 1, "found unexpected end of stream");
	teardown();
	refused("a:\n\t- b\n", 2, 1,
		"found character that cannot start any token");
}
END_TEST

START_TEST(duplicate_keys)
{
	ck_assert_ptr_null(load("a: 1\nc: 1\nb: 2\nc: 2\na: 3\n"
				"m:\n  x: 1\n  x: 2\nc: 3\n"));
	ck_assert_uint_eq(d.n, 4);
	diag_is(0, 8, 3, "duplicate key 'x' (first at line 7)");
	diag_is(1, 4, 1, "duplicate key 'c' (first at line 2)");
	diag_is(2, 5, 1, "duplicate key 'a' (first at line 1)");
	diag_is(3, 9, 1, "duplicate key 'c' (first at line 2)");
	teardown();
	refused("{a: 1, b: 2, a: 3}\n", 1, 14,
		"duplicate key 'a' (first at line 1)");
	teardown();
	/* the same key in different maps is fine */
	ytree_free(load_ok("a: {x: 1}\nb: {x: 1}\n"));
}
END_TEST

/* A map with many keys is checked fast (sorted, not pairwise). */
START_TEST(many_keys)
{
	size_t n = 60000;
	char *text = malloc(n * 16);
	size_t len = 0;
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "k%zu: %zu\n", i, i);
	len += (size_t)sprintf(text + len, "k77: dup\n");
	ck_assert_ptr_null(ytree_load_string("t.yaml", text, len, &d));
	diag_is(0, (int)n + 1, 1, "duplicate key 'k77' (first at line 78)");
	ck_assert_uint_eq(d.n, 1);
	free(text);
}
END_TEST

START_TEST(non_scalar_keys)
{
	refused("? [a]\n: 1\n", 1, 3,
		"a map key must be a scalar, not a "
		"sequence");
	teardown();
	refused("{? {a: 1}: 2}\n", 1, 4,
		"a map key must be a scalar, not a "
		"map");
}
END_TEST

START_TEST(anchors_and_aliases)
{
	refused("a: 1\nb: *x\n", 2, 4, "anchors and aliases are not supported");
	teardown();
	/* both the anchor and the alias are pointed at */
	ck_assert_ptr_null(load("base: &b {x: 1}\nother: *b\n"));
	ck_assert_uint_eq(d.n, 2);
	diag_is(0, 1, 7, "anchors and aliases are not supported");
	diag_is(1, 2, 8, "anchors and aliases are not supported");
	teardown();
	refused("a: &x 1\n", 1, 4, "anchors and aliases are not supported");
	teardown();
	refused("- &x [1]\n", 1, 3, "anchors and aliases are not supported");
	teardown();
	refused("? &k a\n: 1\n", 1, 3, "anchors and aliases are not supported");
}
END_TEST

START_TEST(multiple_documents)
{
	refused("a: 1\n---\nb: 2\n", 2, 1,
		"multiple documents are not supported");
	teardown();
	refused("--- 1\n--- 2\n", 2, 1, "multiple documents are not supported");
}
END_TEST

static char *nested(size_t depth, const char *open, const char *close)
{
	size_t lo = strlen(open), lc = strlen(close);
	char *s = malloc(depth * (lo + lc) + 2);
	size_t n = 0;
	for (size_t i = 0; i < depth; i++, n += lo)
		memcpy(s + n, open, lo);
	for (size_t i = 0; i < depth; i++, n += lc)
		memcpy(s + n, close, lc);
	s[n++] = '\n';
	s[n] = '\0';
	return s;
}

START_TEST(depth_limit)
{
	char *s = nested(YTREE_MAX_DEPTH, "[", "]");
	struct ynode *r = load_ok(s);
	ytree_free(r);
	free(s);

	s = nested(YTREE_MAX_DEPTH + 1, "[", "]");
	refused(s, 1, YTREE_MAX_DEPTH + 1, "nesting is deeper than 64 levels");
	free(s);
	teardown();

	s = nested(1000, "[", "]");
	refused(s, 1, YTREE_MAX_DEPTH + 1, "nesting is deeper than 64 levels");
	free(s);
	teardown();

	s = nested(1000, "{a: ", "}");
	refused(s, 1, 4 * YTREE_MAX_DEPTH + 1,
		"nesting is deeper than 64 levels");
	free(s);
	teardown();

	/* a megabyte of '[' on one line */
	size_t n = YTREE_MAX_FILE_BYTES;
	s = malloc(n);
	memset(s, '[', n);
	refused_n(s, n, 1, YTREE_MAX_DEPTH + 1,
		  "nesting is deeper than 64 levels");
	free(s);
	teardown();

	/* block style, indented two more each level */
	size_t levels = 100, len = 0;
	s = malloc(levels * (levels * 2 + 8));
	for (size_t i = 0; i < levels; i++)
		len += (size_t)sprintf(s + len, "%*sk:\n", (int)(2 * i), "");
	refused(s, YTREE_MAX_DEPTH + 1, 2 * YTREE_MAX_DEPTH + 1,
		"nesting is deeper than 64 levels");
	free(s);
}
END_TEST

static char *temp_file(const void *data, size_t len)
{
	char *path = strdup("/tmp/test_ytree.XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	size_t done = 0;
	while (done < len) {
		ssize_t w = write(fd, (const char *)data + done, len - done);
		ck_assert_int_gt(w, 0);
		done += (size_t)w;
	}
	close(fd);
	return path;
}

START_TEST(load_file)
{
	const char *text = "a: 1\nb:\n  - x\n";
	char *path = temp_file(text, strlen(text));
	struct ynode *r = ytree_load_file(path, &d);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_str_eq(ytree_get(r, "a")->value, "1");
	at(ytree_get(r, "b")->kids[0], 3, 5);
	ytree_free(r);
	unlink(path);
	free(path);

	/* diagnostics name the file */
	text = "a: [\n";
	path = temp_file(text, strlen(text));
	ck_assert_ptr_null(ytree_load_file(path, &d));
	ck_assert_uint_eq(d.n, 1);
	ck_assert_str_eq(d.v[0].file, path);
	ck_assert_int_eq(d.v[0].line, 2);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(load_file_missing)
{
	ck_assert_ptr_null(ytree_load_file("/nonexistent/x.yaml", &d));
	ck_assert_uint_eq(d.n, 1);
	ck_assert_str_eq(d.v[0].file, "/nonexistent/x.yaml");
	ck_assert_str_eq(d.v[0].msg, "cannot open: No such file or directory");
	ck_assert_int_eq(d.v[0].line, 0);
	teardown();
	ck_assert_ptr_null(ytree_load_file("/tmp", &d));
	ck_assert_uint_eq(d.n, 1);
	ck_assert_str_eq(d.v[0].msg, "cannot read: Is a directory");
}
END_TEST

START_TEST(oversize)
{
	size_t n = 10 * 1024 * 1024;
	char *big = malloc(n);
	memset(big, '#', n);
	char *path = temp_file(big, n);
	ck_assert_ptr_null(ytree_load_file(path, &d));
	ck_assert_uint_eq(d.n, 1);
	ck_assert_str_eq(d.v[0].file, path);
	ck_assert_int_eq(d.v[0].line, 0);
	ck_assert_int_eq(d.v[0].col, 0);
	ck_assert_str_eq(d.v[0].msg, "file is 10485760 bytes; configuration "
				     "files are limited to 1MiB");
	unlink(path);
	free(path);
	teardown();

	refused_n(big, YTREE_MAX_FILE_BYTES + 1, 0, 0,
		  "file is 1048577 bytes; configuration files are limited to "
		  "1MiB");
	teardown();

	/* exactly the limit is fine */
	big[0] = 'a';
	big[1] = ':';
	big[2] = '\n';
	struct ynode *r =
		ytree_load_string("t.yaml", big, YTREE_MAX_FILE_BYTES, &d);
	ck_assert_ptr_nonnull(r);
	ytree_free(r);
	free(big);
}
END_TEST

/* Not a file one can fstat for its size: read up to the limit. */
START_TEST(oversize_device)
{
	ck_assert_ptr_null(ytree_load_file("/dev/zero", &d));
	ck_assert_uint_eq(d.n, 1);
	ck_assert_str_eq(d.v[0].msg, "file is over 1MiB; configuration files "
				     "are limited to 1MiB");
}
END_TEST

/* Random bytes never crash the loader; it answers a tree or an error. */
START_TEST(garbage)
{
	unsigned seed = 12345;
	char buf[4096];
	for (int round = 0; round < 300; round++) {
		size_t n = (size_t)(rand_r(&seed) % (int)sizeof(buf));
		for (size_t i = 0; i < n; i++) {
			/* mostly YAML punctuation, to get past the reader */
			static const char alphabet[] =
				"[]{}:,-?#&*!|>'\"%@` \n\tab"
				"$${env:HOME}\xc3\xa9\xff";
			buf[i] = alphabet[rand_r(&seed) %
					  (sizeof(alphabet) - 1)];
		}
		size_t before = d.n;
		struct ynode *r = ytree_load_string("t.yaml", buf, n, &d);
		ck_assert(r ? d.n == before : d.n > before);
		ytree_free(r);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ytree");
	TCase *tc = tcase_create("ytree");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, block_positions);
	tcase_add_test(tc, flow_positions);
	tcase_add_test(tc, columns_are_characters);
	tcase_add_test(tc, nulls);
	tcase_add_test(tc, lookups);
	tcase_add_test(tc, top_level_not_a_map);
	tcase_add_test(tc, empty_documents);
	tcase_add_test(tc, env_expansion);
	tcase_add_test(tc, env_unset);
	tcase_add_test(tc, env_default);
	tcase_add_test(tc, env_errors_all_reported);
	tcase_add_test(tc, env_expansion_bounded);
	tcase_add_test(tc, not_utf8);
	tcase_add_test(tc, control_characters);
	tcase_add_test(tc, syntax_errors);
	tcase_add_test(tc, duplicate_keys);
	tcase_add_test(tc, many_keys);
	tcase_add_test(tc, non_scalar_keys);
	tcase_add_test(tc, anchors_and_aliases);
	tcase_add_test(tc, multiple_documents);
	tcase_add_test(tc, depth_limit);
	tcase_add_test(tc, load_file);
	tcase_add_test(tc, load_file_missing);
	tcase_add_test(tc, oversize);
	tcase_add_test(tc, oversize_device);
	tcase_add_test(tc, garbage);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
