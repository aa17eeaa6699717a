/*
 * test_sink_s3_units.c - sink-s3's pieces that need no server: keys and
 * their encodings, time partitions and timestamps, the JSON validator
 * (against json-c), SHA-256, the XML reader, the credential chain, the
 * retry policy, and the URLs and headers a signed request is made of.
 */
#include <check.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jsonv.h"
#include "keys.h"
#include "s3_client.h"
#include "s3_creds.h"
#include "s3_retry.h"
#include "s3_xml.h"
#include "sha256.h"

#ifndef SAMPLE_EVENTS
#define SAMPLE_EVENTS "sample-events.jsonl"
#endif

static char *enc(const char *s, int keep_slash)
{
	struct s3s_buf b = {0};
	s3s_uri_encode(&b, s, strlen(s), keep_slash);
	return s3s_buf_take(&b);
}

START_TEST(uri_encoding)
{
	char *e = enc("a b=c+d/\xc3\xa9~._-Z9", 1);
	ck_assert_str_eq(e, "a%20b%3Dc%2Bd/%C3%A9~._-Z9");
	free(e);
	e = enc("raw/x y", 0);
	ck_assert_str_eq(e, "raw%2Fx%20y");
	free(e);
	e = enc("%&?#*", 1);
	ck_assert_str_eq(e, "%25%26%3F%23%2A");
	free(e);
}
END_TEST

START_TEST(query_canonical)
{
	struct s3s_param p[] = {{"uploadId", "x y+z"},
				{"partNumber", "3"},
				{"uploads", NULL},
				{"prefix", "raw/\xc3\xa4 b=1"}};
	struct s3s_buf b = {0};
	s3s_query_build(&b, p, 4);
	ck_assert_str_eq(b.p, "partNumber=3&prefix=raw%2F%C3%A4%20b%3D1&"
			      "uploadId=x%20y%2Bz&uploads=");
	s3s_buf_free(&b);
	s3s_query_build(&b, NULL, 0);
	ck_assert_str_eq(b.p, "");
	s3s_buf_free(&b);
}
END_TEST

START_TEST(time_partitions)
{
	char out[64];
	/* 2026-01-01T05:07:09Z */
	int64_t ms = 1767225600000LL + (5 * 3600 + 7 * 60 + 9) * 1000LL + 999;
	ck_assert_int_eq(
		s3s_time_partition("dt=%Y-%m-%d/hour=%H", ms, out, sizeof(out)),
		21);
	ck_assert_str_eq(out, "dt=2026-01-01/hour=05");
	ck_assert_int_eq(s3s_time_partition("", ms, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(s3s_time_partition(NULL, ms, out, sizeof(out)), 0);
	/* before the epoch: the second that contains it */
	ck_assert_int_gt(
		s3s_time_partition("%Y%m%d%H%M%S", -1, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "19691231235959");
	ck_assert_int_eq(s3s_time_partition("%Y-%m-%d", ms, out, 5), -1);
}
END_TEST

START_TEST(object_keys)
{
	struct s3s_buf b = {0};
	s3s_object_key(&b, "raw/", "transaction_logs", "dt=2026-01-01", 3, 42,
		       ".jsonl");
	ck_assert_str_eq(b.p, "raw/transaction_logs/dt=2026-01-01/"
			      "transaction_logs+3+00000000000000000042.jsonl");
	s3s_buf_reset(&b);
	s3s_object_key(&b, "", "t", "", 0, 9223372036854775807LL, ".jsonl.gz");
	ck_assert_str_eq(b.p, "t/t+0+09223372036854775807.jsonl.gz");
	s3s_buf_reset(&b);
	s3s_object_key(&b, "/a b/c/", "t", "/x/y/", 1, 0, ".jsonl");
	ck_assert_str_eq(b.p, "a b/c/t/x/y/t+1+00000000000000000000.jsonl");
	s3s_buf_reset(&b);
	s3s_table_key(&b, "gold", "gold_user_summary", "_latest");
	ck_assert_str_eq(b.p, "gold/gold_user_summary/_latest");
	s3s_buf_reset(&b);
	s3s_marker_key(&b, "raw", "raw/t/dt=1/t+0+1.jsonl");
	ck_assert_str_eq(b.p, "raw/_sluice/ends/t/dt=1/t+0+1.jsonl");
	s3s_buf_reset(&b);
	s3s_marker_key(&b, "", "t/t+0+1.jsonl");
	ck_assert_str_eq(b.p, "_sluice/ends/t/t+0+1.jsonl");
	s3s_buf_free(&b);
}
END_TEST

static int64_t pt(const char *s)
{
	int64_t ms = -42;
	if (s3s_parse_time(s, strlen(s), &ms))
		return -1;
	return ms;
}

START_TEST(timestamps)
{
	/* The seed's format. */
	ck_assert_int_eq(pt("2026-01-21T00:39:04.153833Z"), 1768955944153LL);
	ck_assert_int_eq(pt("2026-01-21T00:39:04Z"), 1768955944000LL);
	ck_assert_int_eq(pt("2026-01-21 00:39:04.5"), 1768955944500LL);
	ck_assert_int_eq(pt("2026-01-21T02:39:04+02:00"), 1768955944000LL);
	ck_assert_int_eq(pt("2026-01-20T23:39:04-0100"), 1768955944000LL);
	ck_assert_int_eq(pt("2026-01-21T00:39"), 1768955940000LL);
	ck_assert_int_eq(pt("2026-01-21"), 1768953600000LL);
	ck_assert_int_eq(pt("1970-01-01T00:00:00Z"), 0);
	ck_assert_int_eq(pt("2024-02-29T00:00:00Z"), 1709164800000LL);
	ck_assert_int_eq(pt("2026-02-29T00:00:00Z"), -1);
	ck_assert_int_eq(pt("2026-13-01"), -1);
	ck_assert_int_eq(pt("2026-1-01"), -1);
	ck_assert_int_eq(pt("2026-01-21T24:00:00Z"), -1);
	ck_assert_int_eq(pt("2026-01-21T00:39:04Zjunk"), -1);
	ck_assert_int_eq(pt("2026-01-21T00:39:04."), -1);
	ck_assert_int_eq(pt(""), -1);
	char out[40];
	s3s_format_compact_time(1768955944153LL, out, sizeof(out));
	ck_assert_str_eq(out, "20260121T003904.153Z");
}
END_TEST

static const char *jcheck(const char *s)
{
	size_t where;
	return s3s_json_check(s, strlen(s), NULL, &where);
}

START_TEST(json_valid_and_invalid)
{
	static const char *const good[] = {
		"{}",
		"[]",
		"0",
		"-0",
		"1.5e-3",
		"\"\"",
		"true",
		"null",
		" {\"a\" : [1, 2.0, -3e+2, {\"b\": null}] } ",
		"{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\uD83D\\uDE00\"}",
		"\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"",
		"{\n  \"pretty\": true\r\n}",
		"[[[[[]]]]]",
		"1E9",
		"{\"a\":1,\"a\":2}"};
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		ck_assert_msg(!jcheck(good[i]), "refused %s: %s", good[i],
			      jcheck(good[i]));
	static const char *const bad[] = {"",
					  " ",
					  "{",
					  "}",
					  "[1,]",
					  "{\"a\":1,}",
					  "{'a':1}",
					  "{a:1}",
					  "01",
					  "1.",
					  ".5",
					  "+1",
					  "-",
					  "1e",
					  "1e+",
					  "NaN",
					  "Infinity",
					  "tru",
					  "nul",
					  "True",
					  "[1 2]",
					  "{\"a\" 1}",
					  "{\"a\":}",
					  "\"unterminated",
					  "\"bad \\x escape\"",
					  "\"\\u12G4\"",
					  "\"tab\there\"",
					  "\"nl\nhere\"",
					  "\"\xc3\"",
					  "\"\xc0\xaf\"",
					  "\"\xed\xa0\x80\"",
					  "\"\xf4\x90\x80\x80\"",
					  "\"\xff\"",
					  "{} {}",
					  "[] x",
					  "\xef\xbb\xbf{}",
					  "not json",
					  "{\"a\":1}garbage",
					  "[",
					  "[\"a\",",
					  "{\"a\"",
					  "{\"a\":[}"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		ck_assert_msg(jcheck(bad[i]) != NULL, "accepted '%s'", bad[i]);
	/* Depth: 512 is fine, 513 is not. */
	char deep[1100];
	memset(deep, '[', 512);
	memset(deep + 512, ']', 512);
	deep[1024] = '\0';
	ck_assert_ptr_null(jcheck(deep));
	memset(deep, '[', 513);
	memset(deep + 513, ']', 513);
	deep[1026] = '\0';
	ck_assert_str_eq(jcheck(deep), "nesting too deep");
	/* A NUL byte inside is not JSON. */
	size_t where;
	ck_assert_ptr_nonnull(
		s3s_json_check("{\"a\":\"x\0y\"}", 11, NULL, &where));
	ck_assert_uint_eq(where, 7);
}
END_TEST

static void field_is(const char *json, const char *name, const char *want)
{
	struct s3s_json_field f = {name, strlen(name), NULL, 0};
	size_t where;
	ck_assert_ptr_null(s3s_json_check(json, strlen(json), &f, &where));
	if (!want) {
		ck_assert_ptr_null(f.at);
		return;
	}
	ck_assert_ptr_nonnull(f.at);
	ck_assert_int_eq((int)f.len, (int)strlen(want));
	ck_assert(!memcmp(f.at, want, f.len));
}

START_TEST(json_field)
{
	field_is("{\"timestamp\": \"2026-01-01T00:00:00Z\", \"a\": 1}",
		 "timestamp", "\"2026-01-01T00:00:00Z\"");
	field_is("{\"a\":{\"timestamp\":1},\"timestamp\":12345}", "timestamp",
		 "12345");
	field_is("{\"a\":{\"timestamp\":1}}", "timestamp", NULL);
	field_is("[{\"timestamp\":1}]", "timestamp", NULL);
	field_is("{\"t\":[1,{\"x\":2}] ,\"u\":3}", "t", "[1,{\"x\":2}]");
	field_is("{\"t\":1,\"t\":2}", "t", "1");
	field_is("{\"timestamps\":1}", "timestamp", NULL);
	/* invalid JSON never reports a field */
	struct s3s_json_field f = {"a", 1, NULL, 0};
	size_t where;
	ck_assert_ptr_nonnull(s3s_json_check("{\"a\":1,", 7, &f, &where));
	ck_assert_ptr_null(f.at);
}
END_TEST

static int jsonc_ok(struct json_tokener *tok, const char *s, size_t n)
{
	json_tokener_reset(tok);
	json_object *o = json_tokener_parse_ex(tok, s, (int)n);
	enum json_tokener_error e = json_tokener_get_error(tok);
	int ok = o && e == json_tokener_success &&
		 json_tokener_get_parse_end(tok) == n;
	/* json-c stops after the first value: what follows must be blank */
	if (o && e == json_tokener_success) {
		size_t end = json_tokener_get_parse_end(tok);
		ok = 1;
		for (size_t i = end; i < n; i++)
			if (!strchr(" \t\r\n", s[i]))
				ok = 0;
	}
	json_object_put(o);
	return ok;
}

static double seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The seed's events, and random damage done to them, are judged by the
 * validator as by json-c's strict tokener (UTF-8 checked), except where
 * json-c is laxer than RFC 8259 (a number "1.e5"): never the other way. */
START_TEST(json_agrees_with_jsonc)
{
	FILE *f = fopen(SAMPLE_EVENTS, "r");
	ck_assert_msg(f != NULL, "%s", SAMPLE_EVENTS);
	char line[8192];
	struct json_tokener *tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
					    JSON_TOKENER_VALIDATE_UTF8);
	unsigned seed = 12345;
	int lines = 0, mutated = 0, bad = 0, lenient = 0;
	static const char junk[] = "{}[]\",:0-.eE\\ utfn\x80\xc3\xff";
	while (fgets(line, sizeof(line), f)) {
		size_t n = strcspn(line, "\n");
		line[n] = '\0';
		ck_assert_ptr_null(jcheck(line));
		ck_assert(jsonc_ok(tok, line, n));
		lines++;
		for (int k = 0; k < 20; k++) {
			char m[8192];
			memcpy(m, line, n + 1);
			size_t at = (size_t)rand_r(&seed) % n;
			int op = rand_r(&seed) % 3;
			size_t mn = n;
			char c = junk[(size_t)rand_r(&seed) %
				      (sizeof(junk) - 1)];
			if (op == 0) {
				m[at] = c;
			} else if (op == 1) {
				memmove(m + at, m + at + 1, n - at);
				mn--;
			} else {
				memmove(m + at + 1, m + at, n - at + 1);
				m[at] = c;
				mn++;
			}
			size_t where;
			int mine = !s3s_json_check(m, mn, NULL, &where);
			int theirs = jsonc_ok(tok, m, mn);
			/* Never more lenient than json-c; json-c is more
			 * lenient in a few places (it takes "1.e5"). */
			ck_assert_msg(!mine || theirs,
				      "accepted what json-c refuses: %.*s",
				      (int)mn, m);
			lenient += mine != theirs;
			mutated++;
			bad += !mine;
		}
	}
	fclose(f);
	ck_assert_int_eq(lines, 200);
	ck_assert_int_gt(bad, mutated / 4);
	ck_assert_int_lt(lenient, mutated / 100);

	/* How much faster than json-c (printed, not checked). */
	f = fopen(SAMPLE_EVENTS, "r");
	char *all = malloc(1 << 20);
	size_t len = fread(all, 1, (1 << 20) - 1, f);
	fclose(f);
	all[len] = '\0';
	double t0 = seconds();
	size_t bytes = 0;
	for (int r = 0; r < 50; r++)
		for (char *p = all; *p;) {
			char *e = strchr(p, '\n');
			size_t where;
			ck_assert_ptr_null(s3s_json_check(p, (size_t)(e - p),
							  NULL, &where));
			bytes += (size_t)(e - p);
			p = e + 1;
		}
	double t1 = seconds();
	for (int r = 0; r < 50; r++)
		for (char *p = all; *p;) {
			char *e = strchr(p, '\n');
			ck_assert(jsonc_ok(tok, p, (size_t)(e - p)));
			p = e + 1;
		}
	double t2 = seconds();
	printf("JSON check of the seed events: jsonv %.0f MB/s, json-c "
	       "tokener %.0f MB/s\n",
	       (double)bytes / (t1 - t0) / 1e6,
	       (double)bytes / (t2 - t1) / 1e6);
	free(all);
	json_tokener_free(tok);
}
END_TEST

static const char *hex(const char *s, size_t n)
{
	static char out[65];
	s3s_sha256_hex(s, n, out);
	return out;
}

START_TEST(sha256_vectors)
{
	ck_assert_str_eq(hex("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4"
				     "649b934ca495991b7852b855");
	ck_assert_str_eq(hex("abc", 3),
			 "ba7816bf8f01cfea414140de5dae2223b00361a"
			 "396177a9cb410ff61f20015ad");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomno"
			  "pnopq";
	ck_assert_str_eq(hex(two, strlen(two)),
			 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6e"
			 "cedd419db06c1");
	char *a = malloc(1000000);
	memset(a, 'a', 1000000);
	ck_assert_str_eq(hex(a, 1000000), "cdc76e5c9914fb9281a1c7e284d73e67f"
					  "1809a48a497200e046d39ccc7112cd0");
	/* In pieces of every size: the same digest. */
	struct s3s_sha256 c;
	unsigned char d[32];
	s3s_sha256_init(&c);
	for (size_t i = 0, k = 1; i < 1000000; i += k, k = k % 130 + 1)
		s3s_sha256_update(&c, a + i, i + k > 1000000 ? 1000000 - i : k);
	s3s_sha256_final(&c, d);
	ck_assert_int_eq(d[0], 0xcd);
	ck_assert_int_eq(d[31], 0xd0);
	/* The SHA-NI code (where the processor has it) and the portable
	 * one agree on every length around the block size, and on big
	 * random data; and how fast each is (printed). */
	uint64_t x = 1;
	for (size_t i = 0; i < 1000000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		a[i] = (char)x;
	}
	for (size_t n = 0; n < 300; n++) {
		char h1[65], h2[65];
		s3s_sha256_hex(a + n, n * 37 % 1000 + n, h1);
		s3s_sha256_portable_only = 1;
		s3s_sha256_hex(a + n, n * 37 % 1000 + n, h2);
		s3s_sha256_portable_only = 0;
		ck_assert_str_eq(h1, h2);
	}
	char h1[65], h2[65];
	struct timespec t0, t1, t2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int r = 0; r < 20; r++)
		s3s_sha256_hex(a, 1000000, h1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s3s_sha256_portable_only = 1;
	for (int r = 0; r < 20; r++)
		s3s_sha256_hex(a, 1000000, h2);
	s3s_sha256_portable_only = 0;
	clock_gettime(CLOCK_MONOTONIC, &t2);
	ck_assert_str_eq(h1, h2);
	printf("SHA-256: %.0f MB/s (dispatched), %.0f MB/s (portable)\n",
	       20.0 / ((double)(t1.tv_sec - t0.tv_sec) +
		       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9),
	       20.0 / ((double)(t2.tv_sec - t1.tv_sec) +
		       (double)(t2.tv_nsec - t1.tv_nsec) / 1e9));
	free(a);
}
END_TEST

START_TEST(xml_reading)
{
	const char *x =
		"<?xml version=\"1.0\"?><ListMultipartUploadsResult "
		"xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
		"<Bucket>b</Bucket><KeyMarker/><Upload><Key>a &amp; b&#233;"
		"&lt;&#x41;</Key><UploadId>id1</UploadId></Upload>"
		"<Upload><Key>k2</Key><UploadId>id2</UploadId></Upload>"
		"<IsTruncated>false</IsTruncated></ListMultipartUploadsResult>";
	struct s3s_buf item = {0}, v = {0};
	size_t pos = 0, p2;
	ck_assert(s3s_xml_next(x, strlen(x), "KeyMarker", &pos, &v, 0));
	ck_assert_str_eq(v.p, "");
	pos = 0;
	ck_assert(s3s_xml_next(x, strlen(x), "Upload", &pos, &item, 1));
	p2 = 0;
	ck_assert(s3s_xml_next(item.p, item.len, "Key", &p2, &v, 0));
	ck_assert_str_eq(v.p, "a & b\xc3\xa9<A");
	ck_assert(s3s_xml_next(x, strlen(x), "Upload", &pos, &item, 1));
	p2 = 0;
	ck_assert(s3s_xml_next(item.p, item.len, "UploadId", &p2, &v, 0));
	ck_assert_str_eq(v.p, "id2");
	ck_assert(!s3s_xml_next(x, strlen(x), "Upload", &pos, &item, 1));
	const char *e = "<Error><Code>SlowDown</Code><Message/></Error>";
	pos = 0;
	ck_assert(s3s_xml_next(e, strlen(e), "Code", &pos, &v, 0));
	ck_assert_str_eq(v.p, "SlowDown");
	s3s_buf_reset(&v);
	s3s_xml_escape(&v, "\"a\"<&>'");
	ck_assert_str_eq(v.p, "&quot;a&quot;&lt;&amp;&gt;&apos;");
	s3s_buf_free(&item);
	s3s_buf_free(&v);
}
END_TEST

/* ---- credentials ---- */

static const char *fake_env[16][2];
static const char *env_of(const char *name)
{
	for (int i = 0; i < 16 && fake_env[i][0]; i++)
		if (!strcmp(fake_env[i][0], name))
			return fake_env[i][1];
	return NULL;
}

static void env_set(int i, const char *name, const char *value)
{
	fake_env[i][0] = name;
	fake_env[i][1] = value;
	fake_env[i + 1][0] = NULL;
}

static char credfile[64];

static void creds_setup(void)
{
	snprintf(credfile, sizeof(credfile), "/tmp/s3s-creds-XXXXXX");
	int fd = mkstemp(credfile);
	ck_assert_int_ge(fd, 0);
	const char *text =
		"# comment\n[default]\naws_access_key_id = DEFID\n"
		"aws_secret_access_key = defsecret\n\n"
		"[profile other]\naws_access_key_id=OTHERID\n"
		"aws_secret_access_key=othersecret\naws_session_token = tok\n"
		"[broken]\naws_access_key_id = X\n";
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	fake_env[0][0] = NULL;
}

static void creds_teardown(void)
{
	unlink(credfile);
}

START_TEST(creds_chain)
{
	struct s3s_creds c;
	char err[512];
	struct s3s_creds_src src = {.env = env_of, .file = credfile};

	/* the profile file, default profile */
	ck_assert_int_eq(s3s_creds_resolve(&src, &c, err, sizeof(err)), 0);
	ck_assert_str_eq(c.key_id, "DEFID");
	ck_assert_str_eq(c.secret, "defsecret");
	ck_assert_ptr_null(c.token);
	ck_assert_ptr_nonnull(strstr(c.source, "profile default"));
	s3s_creds_clear(&c);

	/* AWS_PROFILE, "[profile NAME]" sections, a session token */
	env_set(0, "AWS_PROFILE", "other");
	ck_assert_int_eq(s3s_creds_resolve(&src, &c, err, sizeof(err)), 0);
	ck_assert_str_eq(c.key_id, "OTHERID");
	ck_assert_str_eq(c.token, "tok");
	s3s_creds_clear(&c);

	/* the environment comes before the file */
	env_set(1, "AWS_ACCESS_KEY_ID", "ENVID");
	env_set(2, "AWS_SECRET_ACCESS_KEY", "envsecret");
	ck_assert_int_eq(s3s_creds_resolve(&src, &c, err, sizeof(err)), 0);
	ck_assert_str_eq(c.key_id, "ENVID");
	ck_assert_str_eq(c.source, "the environment");
	s3s_creds_clear(&c);

	/* the options come before everything */
	src.key_id = "OPTID";
	src.secret = "optsecret";
	ck_assert_int_eq(s3s_creds_resolve(&src, &c, err, sizeof(err)), 0);
	ck_assert_str_eq(c.key_id, "OPTID");
	ck_assert_str_eq(c.secret, "optsecret");
	s3s_creds_clear(&c);

	/* half-set options or environment are errors, without secrets */
	src.key_id = NULL;
	ck_assert_int_eq(s3s_creds_resolve(&src, &c, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "must be set together"));
	ck_assert_ptr_null(strstr(err, "optsecret"));
	src.secret = NULL;
	env_set(2, "AWS_SECRET_ACCESS_KEY_X", "x");
	ck_assert_int_eq(s3s_creds_resolve(&src, &c, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "AWS_SECRET_ACCESS_KEY"));

	/* an incomplete or missing profile */
	fake_env[0][0] = NULL;
	src.profile = "broken";
	ck_assert_int_eq(s3s_creds_resolve(&src, &c, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "lacks"));
	src.profile = "nope";
	ck_assert_int_eq(s3s_creds_resolve(&src, &c, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "no S3 credentials"));
	ck_assert_ptr_null(strstr(err, "defsecret"));
	ck_assert_ptr_null(strstr(err, "othersecret"));

	/* HOME/.aws/credentials when no file is named */
	src.profile = NULL;
	src.file = NULL;
	env_set(0, "HOME", "/nonexistent-home");
	ck_assert_int_eq(s3s_creds_resolve(&src, &c, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(
		strstr(err, "/nonexistent-home/.aws/credentials"));
}
END_TEST

START_TEST(retry_policy)
{
	ck_assert_int_eq(s3s_classify(0, 200, ""), S3S_SUCCESS);
	ck_assert_int_eq(s3s_classify(0, 204, ""), S3S_SUCCESS);
	ck_assert_int_eq(s3s_classify(0, 503, "SlowDown"), S3S_TRANSIENT);
	ck_assert_int_eq(s3s_classify(0, 500, "InternalError"), S3S_TRANSIENT);
	ck_assert_int_eq(s3s_classify(0, 502, ""), S3S_TRANSIENT);
	ck_assert_int_eq(s3s_classify(0, 429, ""), S3S_TRANSIENT);
	ck_assert_int_eq(s3s_classify(0, 400, "RequestTimeout"), S3S_TRANSIENT);
	ck_assert_int_eq(s3s_classify(0, 501, "NotImplemented"), S3S_PERMANENT);
	ck_assert_int_eq(s3s_classify(0, 403, "SignatureDoesNotMatch"),
			 S3S_PERMANENT);
	ck_assert_int_eq(s3s_classify(0, 403, "AccessDenied"), S3S_PERMANENT);
	ck_assert_int_eq(s3s_classify(0, 403, "InvalidAccessKeyId"),
			 S3S_PERMANENT);
	ck_assert_int_eq(s3s_classify(0, 404, "NoSuchBucket"), S3S_PERMANENT);
	ck_assert_int_eq(s3s_classify(CURLE_COULDNT_CONNECT, 0, ""),
			 S3S_TRANSIENT);
	ck_assert_int_eq(s3s_classify(CURLE_OPERATION_TIMEDOUT, 0, ""),
			 S3S_TRANSIENT);
	ck_assert_int_eq(s3s_classify(CURLE_GOT_NOTHING, 0, ""), S3S_TRANSIENT);
	ck_assert_int_eq(s3s_classify(CURLE_RECV_ERROR, 0, ""), S3S_TRANSIENT);
	ck_assert_int_eq(s3s_classify(CURLE_PEER_FAILED_VERIFICATION, 0, ""),
			 S3S_PERMANENT);
	uint64_t rng = 7;
	for (int a = 1; a <= 12; a++)
		for (int k = 0; k < 50; k++) {
			int64_t d = s3s_backoff_ms(a, 100, 5000, &rng);
			int64_t full = 100;
			for (int i = 1; i < a && full < 5000; i++)
				full *= 2;
			if (full > 5000)
				full = 5000;
			ck_assert_int_ge(d, full / 2);
			ck_assert_int_le(d, full);
		}
}
END_TEST

/* ---- what a signed request is made of ---- */

static void cfg_init(struct s3s_s3cfg *c, const char *endpoint,
		     const char *addressing, const char *bucket)
{
	char err[256];
	memset(c, 0, sizeof(*c));
	c->bucket = strdup(bucket);
	c->region = strdup("eu-west-1");
	ck_assert_int_eq(
		s3s_s3cfg_endpoint(c, endpoint, addressing, err, sizeof(err)),
		0);
}

START_TEST(urls)
{
	struct s3s_s3cfg c;
	struct s3s_buf u = {0};
	struct s3s_param q[] = {{"uploadId", "a/b c"}, {"partNumber", "12"}};

	cfg_init(&c, "http://127.0.0.1:7480/", "auto", "sluice");
	ck_assert_int_eq(c.path_style, 1);
	s3s_url_build(&c, "raw/t/dt=2026-01-01/t+0+00000000000000000042.jsonl",
		      q, 2, &u);
	ck_assert_str_eq(u.p,
			 "http://127.0.0.1:7480/sluice/raw/t/"
			 "dt%3D2026-01-01/t%2B0%2B00000000000000000042.jsonl"
			 "?partNumber=12&uploadId=a%2Fb%20c");
	s3s_buf_reset(&u);
	s3s_url_build(&c, NULL, NULL, 0, &u);
	ck_assert_str_eq(u.p, "http://127.0.0.1:7480/sluice/");
	s3s_s3cfg_free(&c);

	cfg_init(&c, "https://s3.eu-west-1.amazonaws.com", "auto", "bkt");
	ck_assert_int_eq(c.path_style, 0);
	s3s_buf_reset(&u);
	s3s_url_build(&c, "a b/\xc3\xbc.jsonl", NULL, 0, &u);
	ck_assert_str_eq(u.p, "https://bkt.s3.eu-west-1.amazonaws.com/"
			      "a%20b/%C3%BC.jsonl");
	s3s_s3cfg_free(&c);

	/* dotted buckets stay path-style on AWS (TLS names) */
	cfg_init(&c, "https://s3.amazonaws.com", "auto", "my.bucket");
	ck_assert_int_eq(c.path_style, 1);
	s3s_s3cfg_free(&c);

	cfg_init(&c, "https://minio.local:9000/s3", "virtual", "b");
	s3s_buf_reset(&u);
	s3s_url_build(&c, "k", NULL, 0, &u);
	ck_assert_str_eq(u.p, "https://b.minio.local:9000/s3/k");
	s3s_s3cfg_free(&c);

	char err[256];
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(s3s_s3cfg_endpoint(&c, "127.0.0.1:7480", "auto", err,
					    sizeof(err)),
			 -1);
	ck_assert_int_eq(
		s3s_s3cfg_endpoint(&c, "ftp://x", "auto", err, sizeof(err)),
		-1);
	ck_assert_int_eq(s3s_s3cfg_endpoint(&c, "http://user@x", "auto", err,
					    sizeof(err)),
			 -1);
	s3s_s3cfg_free(&c);
	s3s_buf_free(&u);
}
END_TEST

static int has_header(struct curl_slist *h, const char *line)
{
	for (; h; h = h->next)
		if (!strcmp(h->data, line))
			return 1;
	return 0;
}

static int header_named(struct curl_slist *h, const char *prefix)
{
	for (; h; h = h->next)
		if (!strncasecmp(h->data, prefix, strlen(prefix)))
			return 1;
	return 0;
}

START_TEST(signed_headers)
{
	struct s3s_s3cfg c;
	cfg_init(&c, "http://127.0.0.1:7480", "path", "b");
	c.creds.key_id = strdup("AKID");
	c.creds.secret = strdup("SECRET");
	const char *extra[] = {"x-amz-meta-sluice-end: 42", NULL};
	struct s3s_req r = {.method = "PUT",
			    .key = "k",
			    .content_type = "application/x-ndjson",
			    .headers = extra};
	char hash[65];
	s3s_sha256_hex("body", 4, hash);
	struct curl_slist *h = s3s_headers_build(&c, &r, hash);
	char want[128];
	snprintf(want, sizeof(want), "x-amz-content-sha256: %s", hash);
	ck_assert(has_header(h, want));
	ck_assert(has_header(h, "Content-Type: application/x-ndjson"));
	ck_assert(has_header(h, "x-amz-meta-sluice-end: 42"));
	/* never an empty Expect: (curl would sign it and not send it),
	 * never the secret, no token without one */
	ck_assert(!header_named(h, "Expect"));
	ck_assert(!header_named(h, "x-amz-security-token"));
	for (struct curl_slist *x = h; x; x = x->next)
		ck_assert_ptr_null(strstr(x->data, "SECRET"));
	curl_slist_free_all(h);

	c.creds.token = strdup("TOKEN");
	h = s3s_headers_build(&c, &r, "UNSIGNED-PAYLOAD");
	ck_assert(has_header(h, "x-amz-security-token: TOKEN"));
	ck_assert(has_header(h, "x-amz-content-sha256: UNSIGNED-PAYLOAD"));
	curl_slist_free_all(h);
	s3s_s3cfg_free(&c);
}
END_TEST

/* A request to a port nobody listens on: retried, then a message that
 * names the endpoint, bucket and key, and no secret. */
START_TEST(unreachable_message)
{
	struct s3s_s3cfg c;
	cfg_init(&c, "http://127.0.0.1:9", "path", "bkt");
	c.creds.key_id = strdup("AKID");
	c.creds.secret = strdup("TOPSECRET");
	c.retries = 2;
	c.backoff_ms = 1;
	c.backoff_max_ms = 2;
	c.connect_timeout_ms = 2000;
	c.timeout_ms = 5000;
	void *h = s3s_handle_new();
	struct s3s_resp resp = {0};
	struct s3s_req r = {.method = "GET", .key = "a b"};
	char err[1024];
	uint64_t rng = 1;
	ck_assert_int_eq(
		s3s_call(&c, h, &r, &resp, &rng, NULL, err, sizeof(err)),
		S3S_TRANSIENT);
	ck_assert_int_eq(resp.attempts, 3);
	ck_assert_ptr_nonnull(strstr(err, "http://127.0.0.1:9"));
	ck_assert_ptr_nonnull(strstr(err, "bucket 'bkt'"));
	ck_assert_ptr_nonnull(strstr(err, "key 'a b'"));
	ck_assert_ptr_null(strstr(err, "TOPSECRET"));
	s3s_buf_free(&resp.body);
	s3s_handle_free(h);
	s3s_s3cfg_free(&c);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("sink-s3 units");
	TCase *tc = tcase_create("keys");
	tcase_add_test(tc, uri_encoding);
	tcase_add_test(tc, query_canonical);
	tcase_add_test(tc, time_partitions);
	tcase_add_test(tc, object_keys);
	tcase_add_test(tc, timestamps);
	suite_add_tcase(s, tc);
	tc = tcase_create("json");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, json_valid_and_invalid);
	tcase_add_test(tc, json_field);
	tcase_add_test(tc, json_agrees_with_jsonc);
	suite_add_tcase(s, tc);
	tc = tcase_create("client");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, sha256_vectors);
	tcase_add_test(tc, xml_reading);
	tcase_add_test(tc, retry_policy);
	tcase_add_test(tc, urls);
	tcase_add_test(tc, signed_headers);
	tcase_add_test(tc, unreachable_message);
	suite_add_tcase(s, tc);
	tc = tcase_create("credentials");
	tcase_add_checked_fixture(tc, creds_setup, creds_teardown);
	tcase_add_test(tc, creds_chain);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
