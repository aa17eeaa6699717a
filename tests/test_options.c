/*
 * test_options - option tables (checked at plugin load) and a connector's
 * `config:` map parsed against them: values, defaults, and every kind of
 * problem with its exact message and place.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

static const char *const formats[] = {"json", "avro", NULL};
static const char *const codecs[] = {"gzip", "zstd", "lz4", NULL};

static const struct sluice_option table[] = {
	{.name = "bucket",
	 .type = SLUICE_OPT_STRING,
	 .flags = SLUICE_OPT_REQUIRED,
	 .min = "3",
	 .max = "63",
	 .doc = "bucket name"},
	{.name = "region", .type = SLUICE_OPT_STRING, .def = "us-east-1"},
	{.name = "rate",
	 .type = SLUICE_OPT_INT,
	 .def = "1000",
	 .min = "1",
	 .max = "1000000"},
	{.name = "ratio",
	 .type = SLUICE_OPT_DOUBLE,
	 .def = "0.5",
	 .min = "0",
	 .max = "1"},
	{.name = "compress", .type = SLUICE_OPT_BOOL, .def = "false"},
	{.name = "flush.size",
	 .type = SLUICE_OPT_SIZE,
	 .def = "5MiB",
	 .min = "1KiB",
	 .max = "5GiB"},
	{.name = "flush.interval",
	 .type = SLUICE_OPT_DURATION,
	 .def = "30s",
	 .min = "100ms",
	 .max = "1h"},
	{.name = "format",
	 .type = SLUICE_OPT_ENUM,
	 .def = "json",
	 .allowed = formats},
	{.name = "codecs",
	 .type = SLUICE_OPT_LIST,
	 .def = "gzip, zstd",
	 .allowed = codecs},
	{.name = "tags", .type = SLUICE_OPT_LIST},
	{.name = "password",
	 .type = SLUICE_OPT_STRING,
	 .flags = SLUICE_OPT_SECRET,
	 .min = "8"},
	{.name = "api.key",
	 .type = SLUICE_OPT_INT,
	 .flags = SLUICE_OPT_SECRET,
	 .max = "1000"},
	{0},
};

static struct diags d;
static struct optset set;
static struct ynode *root;

static void setup(void)
{
	d = (struct diags){0};
	root = NULL;
}

static void teardown(void)
{
	options_free(&set);
	ytree_free(root);
	root = NULL;
	diags_free(&d);
}

/* Loads the YAML and parses its `config:` against `t`. */
static int parse_with(const struct sluice_option *t, const char *plugin,
		      const char *yaml)
{
	root = ytree_load_string("c.yaml", yaml, strlen(yaml), &d);
	ck_assert_ptr_nonnull(root);
	ck_assert_uint_eq(d.n, 0);
	return options_parse(&set, t, plugin, ytree_get(root, "config"),
			     "c.yaml", &d);
}

static int parse(const char *yaml)
{
	return parse_with(table, "sink-s3", yaml);
}

static void diag_is(size_t i, int line, int col, const char *msg)
{
	ck_assert_uint_gt(d.n, i);
	ck_assert_str_eq(d.v[i].file, "c.yaml");
	ck_assert_str_eq(d.v[i].msg, msg);
	ck_assert_int_eq(d.v[i].line, line);
	ck_assert_int_eq(d.v[i].col, col);
}

/* The config is refused with exactly this one diagnostic. */
static void refused(const char *yaml, int line, int col, const char *msg)
{
	ck_assert_int_eq(parse(yaml), -1);
	diag_is(0, line, col, msg);
	ck_assert_uint_eq(d.n, 1);
	teardown();
}

static const struct optval *val(const char *name)
{
	const struct optval *v = options_find(&set, name);
	ck_assert_ptr_nonnull(v);
	return v;
}

START_TEST(table_ok)
{
	char err[256] = "";
	ck_assert_int_eq(options_check_table(table, err, sizeof(err)), 0);
	ck_assert_int_eq(options_check_table(NULL, err, sizeof(err)), 0);
	static const struct sluice_option none[] = {{0}};
	ck_assert_int_eq(options_check_table(none, err, sizeof(err)), 0);
	static const struct sluice_option empty_list[] = {
		{.name = "l", .type = SLUICE_OPT_LIST, .def = ""},
		{.name = "Mixed_case-1.x", .type = SLUICE_OPT_STRING},
		{0},
	};
	ck_assert_int_eq(options_check_table(empty_list, err, sizeof(err)), 0);
}
END_TEST

static void table_refused(const struct sluice_option *t, const char *msg)
{
	char err[256] = "";
	ck_assert_int_eq(options_check_table(t, err, sizeof(err)), -1);
	ck_assert_str_eq(err, msg);
}

#define REFUSE(msg, ...)                                                       \
	do {                                                                   \
		const struct sluice_option t_[] = {__VA_ARGS__, {0}};          \
		table_refused(t_, msg);                                        \
	} while (0)

static const char *const ab[] = {"a", "b", NULL};
static const char *const aa[] = {"a", "b", "a", NULL};
static const char *const nothing[] = {NULL};

START_TEST(table_refusals)
{
	REFUSE("option 'a' is declared twice",
	       {.name = "a", .type = SLUICE_OPT_INT},
	       {.name = "b", .type = SLUICE_OPT_INT},
	       {.name = "a", .type = SLUICE_OPT_STRING});
	REFUSE("option 'n': bad default: expected an integer, got 'many'",
	       {.name = "n", .type = SLUICE_OPT_INT, .def = "many"});
	REFUSE("option 's': bad default: expected a size such as 5MiB, got "
	       "'5 MiB' (no space before the unit)",
	       {.name = "s", .type = SLUICE_OPT_SIZE, .def = "5 MiB"});
	REFUSE("option 'n': min 10 is greater than max 5",
	       {.name = "n", .type = SLUICE_OPT_INT, .min = "10", .max = "5"});
	REFUSE("option 's': min 1MiB is greater than max 1000KiB",
	       {.name = "s",
		.type = SLUICE_OPT_SIZE,
		.min = "1MiB",
		.max = "1000KiB"});
	REFUSE("option 'r': min 1.5 is greater than max 0.5",
	       {.name = "r",
		.type = SLUICE_OPT_DOUBLE,
		.min = "1.5",
		.max = "0.5"});
	REFUSE("option 'n': bad default: 0 is below the minimum 1",
	       {.name = "n", .type = SLUICE_OPT_INT, .def = "0", .min = "1"});
	REFUSE("option 't': bad default: 2h is above the maximum 1h",
	       {.name = "t",
		.type = SLUICE_OPT_DURATION,
		.def = "2h",
		.max = "1h"});
	REFUSE("option 's': bad default: 'toolong' is longer than the maximum "
	       "of 3 bytes",
	       {.name = "s",
		.type = SLUICE_OPT_STRING,
		.def = "toolong",
		.max = "3"});
	REFUSE("option 'p': bad default: <secret> is shorter than the minimum "
	       "of 8 bytes",
	       {.name = "p",
		.type = SLUICE_OPT_STRING,
		.flags = SLUICE_OPT_SECRET,
		.def = "hunter2",
		.min = "8"});
	REFUSE("option 'e': an enum needs allowed values",
	       {.name = "e", .type = SLUICE_OPT_ENUM});
	REFUSE("option 'e': an enum needs allowed values",
	       {.name = "e", .type = SLUICE_OPT_ENUM, .allowed = nothing});
	REFUSE("option 'e': bad default: 'zzz' is not one of a, b",
	       {.name = "e",
		.type = SLUICE_OPT_ENUM,
		.def = "zzz",
		.allowed = ab});
	REFUSE("option 'l': bad default: 'xyz' is not one of a, b",
	       {.name = "l",
		.type = SLUICE_OPT_LIST,
		.def = "a, xyz",
		.allowed = ab});
	REFUSE("option 'e': allowed value 'a' is listed twice",
	       {.name = "e", .type = SLUICE_OPT_ENUM, .allowed = aa});
	REFUSE("option 'x': unknown type 99",
	       {.name = "x", .type = (enum sluice_opt_type)99});
	REFUSE("option 'x': unknown type 0",
	       {.name = "x", .type = (enum sluice_opt_type)0});
	REFUSE("option 'x': unknown flags 0x4",
	       {.name = "x", .type = SLUICE_OPT_INT, .flags = 0x4});
	REFUSE("option 'b': min and max do not apply to bool options",
	       {.name = "b", .type = SLUICE_OPT_BOOL, .min = "0"});
	REFUSE("option 'l': min and max do not apply to list options",
	       {.name = "l", .type = SLUICE_OPT_LIST, .max = "3"});
	REFUSE("option 'n': allowed values apply only to enum and list options",
	       {.name = "n", .type = SLUICE_OPT_INT, .allowed = ab});
	REFUSE("option 'd': bad min: expected a duration such as 250ms, 30s or "
	       "5m, got 'soon'",
	       {.name = "d", .type = SLUICE_OPT_DURATION, .min = "soon"});
	REFUSE("option 'd': bad max: a duration needs a unit (ms, s, m, h or "
	       "d): '30'",
	       {.name = "d", .type = SLUICE_OPT_DURATION, .max = "30"});
	REFUSE("option 's': bad max: a length cannot be negative",
	       {.name = "s", .type = SLUICE_OPT_STRING, .max = "-1"});
	REFUSE("option 'Bad Name': a name is letters, digits, '.', '_' and "
	       "'-', starting with a letter",
	       {.name = "Bad Name", .type = SLUICE_OPT_INT});
	REFUSE("option '1st': a name is letters, digits, '.', '_' and '-', "
	       "starting with a letter",
	       {.name = "1st", .type = SLUICE_OPT_INT});
	REFUSE("option '': a name is letters, digits, '.', '_' and '-', "
	       "starting with a letter",
	       {.name = "", .type = SLUICE_OPT_INT});
}
END_TEST

START_TEST(valid_config)
{
	ck_assert_int_eq(parse("name: x\n"
			       "config:\n"
			       "  bucket: logs-bucket\n"
			       "  region: eu-west-1\n"
			       "  rate: 2000\n"
			       "  ratio: 0.25\n"
			       "  compress: yes\n"
			       "  flush.size: 16MiB\n"
			       "  flush.interval: 5m\n"
			       "  format: avro\n"
			       "  codecs: [lz4, gzip]\n"
			       "  tags: single\n"
			       "  password: \"correct horse\"\n"
			       "  api.key: 42\n"),
			 0);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_uint_eq(set.n, 12);
	ck_assert_ptr_eq(set.decls, table);
	for (size_t i = 0; i < set.n; i++) {
		ck_assert_ptr_eq(set.vals[i].decl, &table[i]);
		ck_assert_int_eq(set.vals[i].set, 1);
		ck_assert_int_eq(set.vals[i].has_value, 1);
		ck_assert_int_eq(set.vals[i].line, (int)i + 3);
	}

	const struct optval *v = val("bucket");
	ck_assert_str_eq(v->text, "logs-bucket");
	ck_assert_int_eq(v->col, 11);
	ck_assert_str_eq(val("region")->text, "eu-west-1");
	ck_assert_int_eq(val("rate")->num.i, 2000);
	ck_assert_str_eq(val("rate")->text, "2000");
	ck_assert_int_eq(val("rate")->col, 9);
	ck_assert(val("ratio")->num.d == 0.25);
	ck_assert_int_eq(val("compress")->num.i, 1);
	ck_assert_str_eq(val("compress")->text, "yes");
	ck_assert_int_eq(val("flush.size")->num.i, 16 * 1024 * 1024);
	ck_assert_int_eq(val("flush.size")->col, 15);
	ck_assert_int_eq(val("flush.interval")->num.i, 300000);
	ck_assert_str_eq(val("format")->text, "avro");

	v = val("codecs");
	ck_assert_ptr_null(v->text);
	ck_assert_uint_eq(v->list_n, 2);
	ck_assert_str_eq(v->list[0], "lz4");
	ck_assert_str_eq(v->list[1], "gzip");
	ck_assert_ptr_null(v->list[2]);
	ck_assert_int_eq(v->col, 11);
	ck_assert_str_eq(options_display(v), "lz4, gzip");

	/* one scalar is a list of one */
	v = val("tags");
	ck_assert_uint_eq(v->list_n, 1);
	ck_assert_str_eq(v->list[0], "single");
	ck_assert_str_eq(options_display(v), "single");

	ck_assert_str_eq(val("password")->text, "correct horse");
	ck_assert_str_eq(options_display(val("password")), "<secret>");
	ck_assert_int_eq(val("api.key")->num.i, 42);
	ck_assert_str_eq(options_display(val("api.key")), "<secret>");
	ck_assert_str_eq(options_display(val("region")), "eu-west-1");

	ck_assert_ptr_null(options_find(&set, "nope"));
	ck_assert_ptr_null(options_find(NULL, "rate"));
}
END_TEST

START_TEST(defaults)
{
	ck_assert_int_eq(parse("config:\n  bucket: logs\n"), 0);
	const struct optval *v = val("rate");
	ck_assert_int_eq(v->set, 0);
	ck_assert_int_eq(v->has_value, 1);
	ck_assert_int_eq(v->line, 0);
	ck_assert_int_eq(v->col, 0);
	ck_assert_str_eq(v->text, "1000");
	ck_assert_int_eq(v->num.i, 1000);
	ck_assert(val("ratio")->num.d == 0.5);
	ck_assert_int_eq(val("compress")->num.i, 0);
	ck_assert_int_eq(val("compress")->has_value, 1);
	ck_assert_int_eq(val("flush.size")->num.i, 5 * 1024 * 1024);
	ck_assert_int_eq(val("flush.interval")->num.i, 30000);
	ck_assert_str_eq(val("format")->text, "json");
	ck_assert_str_eq(val("region")->text, "us-east-1");
	ck_assert_str_eq(options_display(val("region")), "us-east-1");

	v = val("codecs");
	ck_assert_int_eq(v->set, 0);
	ck_assert_int_eq(v->has_value, 1);
	ck_assert_uint_eq(v->list_n, 2);
	ck_assert_str_eq(v->list[0], "gzip");
	ck_assert_str_eq(v->list[1], "zstd");
	ck_assert_str_eq(options_display(v), "gzip, zstd");

	/* no default, not given */
	v = val("tags");
	ck_assert_int_eq(v->has_value, 0);
	ck_assert_ptr_null(v->list);
	ck_assert_uint_eq(v->list_n, 0);
	ck_assert_str_eq(options_display(v), "");
	ck_assert_int_eq(val("password")->has_value, 0);
	ck_assert_ptr_null(val("password")->text);
	ck_assert_str_eq(options_display(val("password")), "");
	ck_assert_str_eq(val("bucket")->text, "logs");
	ck_assert_int_eq(val("bucket")->set, 1);
}
END_TEST

START_TEST(empty_values)
{
	ck_assert_int_eq(parse("config:\n"
			       "  bucket: abc\n"
			       "  region: ''\n"
			       "  tags: []\n"),
			 0);
	ck_assert_str_eq(val("region")->text, "");
	ck_assert_int_eq(val("region")->set, 1);
	const struct optval *v = val("tags");
	ck_assert_int_eq(v->set, 1);
	ck_assert_int_eq(v->has_value, 1);
	ck_assert_uint_eq(v->list_n, 0);
	ck_assert_ptr_nonnull(v->list);
	ck_assert_ptr_null(v->list[0]);
	ck_assert_str_eq(options_display(v), "");
}
END_TEST

/* Every problem is reported, each at the value (or key) at fault. */
START_TEST(every_problem)
{
	ck_assert_int_eq(parse("config:\n"
			       "  bucket: ab\n"
			       "  rate: 2000000\n"
			       "  ratio: lots\n"
			       "  compress: maybe\n"
			       "  flush.size: lots\n"
			       "  flush.interval: 30\n"
			       "  format: xml\n"
			       "  codecs: [gzip, brotli, {a: b}]\n"
			       "  tags: {a: b}\n"
			       "  flsh.size: 1MiB\n"),
			 -1);
	ck_assert_uint_eq(d.n, 11);
	diag_is(0, 2, 11,
		"config.bucket: 'ab' is shorter than the minimum of 3 bytes");
	diag_is(1, 3, 9, "config.rate: 2000000 is above the maximum 1000000");
	diag_is(2, 4, 10, "config.ratio: expected a number, got 'lots'");
	diag_is(3, 5, 13,
		"config.compress: expected true or false, got 'maybe'");
	diag_is(4, 6, 15,
		"config.flush.size: expected a size such as 5MiB, got 'lots'");
	diag_is(5, 7, 19,
		"config.flush.interval: a duration needs a unit (ms, s, m, h "
		"or d): '30'");
	diag_is(6, 8, 11, "config.format: 'xml' is not one of json, avro");
	diag_is(7, 9, 18,
		"config.codecs[1]: 'brotli' is not one of gzip, zstd, lz4");
	diag_is(8, 9, 26, "config.codecs[2]: expected a string, got a map");
	diag_is(9, 10, 9, "config.tags: expected a list of strings, got a map");
	diag_is(10, 11, 3,
		"config.flsh.size: unknown option for plugin 'sink-s3'; did "
		"you mean 'flush.size'?");
	/* bad values leave the defaults in place */
	ck_assert_int_eq(val("rate")->num.i, 1000);
	ck_assert_int_eq(val("rate")->set, 0);
	ck_assert_uint_eq(val("codecs")->list_n, 2);
}
END_TEST

START_TEST(ranges)
{
	refused("config:\n  bucket: abc\n  rate: 0\n", 3, 9,
		"config.rate: 0 is below the minimum 1");
	refused("config:\n  bucket: abc\n  ratio: -0.1\n", 3, 10,
		"config.ratio: -0.1 is below the minimum 0");
	refused("config:\n  bucket: abc\n  ratio: 1.5\n", 3, 10,
		"config.ratio: 1.5 is above the maximum 1");
	refused("config:\n  bucket: abc\n  flush.size: 6GiB\n", 3, 15,
		"config.flush.size: 6GiB is above the maximum 5GiB");
	refused("config:\n  bucket: abc\n  flush.size: 1023\n", 3, 15,
		"config.flush.size: 1023 is below the minimum 1KiB");
	refused("config:\n  bucket: abc\n  flush.interval: 50ms\n", 3, 19,
		"config.flush.interval: 50ms is below the minimum 100ms");
	refused("config:\n  bucket: "
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aa\n",
		2, 11,
		"config.bucket: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' "
		"is "
		"longer than the maximum of 63 bytes");
	/* the bounds themselves are fine */
	ck_assert_int_eq(parse("config:\n  bucket: abc\n  rate: 1000000\n"
			       "  ratio: 1\n  flush.size: 5GiB\n"
			       "  flush.interval: 100ms\n"),
			 0);
}
END_TEST

START_TEST(enum_did_you_mean)
{
	refused("config:\n  bucket: abc\n  format: jsn\n", 3, 11,
		"config.format: 'jsn' is not one of json, avro; did you mean "
		"'json'?");
	refused("config:\n  bucket: abc\n  format: JSON\n", 3, 11,
		"config.format: 'JSON' is not one of json, avro");
	refused("config:\n  bucket: abc\n  codecs: lz5\n", 3, 11,
		"config.codecs: 'lz5' is not one of gzip, zstd, lz4; did you "
		"mean 'lz4'?");
}
END_TEST

START_TEST(wrong_shapes)
{
	refused("config:\n  bucket: {a: 1}\n", 2, 11,
		"config.bucket: expected a string, got a map");
	refused("config:\n  bucket: abc\n  rate: [1]\n", 3, 9,
		"config.rate: expected an integer, got a sequence");
	refused("config:\n  bucket: abc\n  flush.size: {}\n", 3, 15,
		"config.flush.size: expected a size such as 5MiB, got a map");
	refused("config:\n  bucket: abc\n  format: [json]\n", 3, 11,
		"config.format: expected a string, got a sequence");
	refused("config:\n  bucket: abc\n  tags: [a, [b]]\n", 3, 13,
		"config.tags[1]: expected a string, got a sequence");
	refused("config: [a]\n", 1, 9,
		"config: expected a map, got a sequence");
	refused("config: text\n", 1, 9, "config: expected a map, got a scalar");
}
END_TEST

START_TEST(null_values)
{
	ck_assert_int_eq(parse("config:\n"
			       "  bucket:\n"
			       "  rate: ~\n"
			       "  codecs: [gzip, ~]\n"
			       "  compress: null\n"
			       "  region: ~\n"),
			 -1);
	ck_assert_uint_eq(d.n, 4);
	diag_is(0, 3, 9, "config.rate: a value is required");
	diag_is(1, 4, 18, "config.codecs[1]: a value is required");
	diag_is(2, 5, 13, "config.compress: a value is required");
	/* a null string is "not given": the required one is missing */
	diag_is(3, 1, 1,
		"config: missing required option 'bucket' (plugin 'sink-s3')");
	/* and the optional one keeps its default */
	ck_assert_str_eq(val("region")->text, "us-east-1");
	ck_assert_int_eq(val("region")->set, 0);
}
END_TEST

START_TEST(missing_required)
{
	static const struct sluice_option two[] = {
		{.name = "a",
		 .type = SLUICE_OPT_STRING,
		 .flags = SLUICE_OPT_REQUIRED},
		{.name = "b",
		 .type = SLUICE_OPT_INT,
		 .flags = SLUICE_OPT_REQUIRED},
		{.name = "c", .type = SLUICE_OPT_INT},
		{0},
	};
	/* at the `config:` key */
	ck_assert_int_eq(parse_with(two, "p", "name: x\nconfig:\n  c: 1\n"),
			 -1);
	ck_assert_uint_eq(d.n, 2);
	diag_is(0, 2, 1, "config: missing required option 'a' (plugin 'p')");
	diag_is(1, 2, 1, "config: missing required option 'b' (plugin 'p')");
	teardown();

	/* `config:` given but empty */
	ck_assert_int_eq(parse_with(two, "p", "name: x\nconfig:\n"), -1);
	ck_assert_uint_eq(d.n, 2);
	diag_is(0, 2, 1, "config: missing required option 'a' (plugin 'p')");
	teardown();

	/* no `config:` at all: the file, no position */
	ck_assert_int_eq(parse_with(two, "p", "name: x\n"), -1);
	ck_assert_uint_eq(d.n, 2);
	diag_is(0, 0, 0, "config: missing required option 'a' (plugin 'p')");
	diag_is(1, 0, 0, "config: missing required option 'b' (plugin 'p')");
	teardown();

	/* a given but bad value is not also "missing" */
	ck_assert_int_eq(parse_with(two, "p", "config:\n  a: x\n  b: x\n"), -1);
	ck_assert_uint_eq(d.n, 1);
	diag_is(0, 3, 6, "config.b: expected an integer, got 'x'");
}
END_TEST

START_TEST(unknown_keys)
{
	refused("config:\n  bucket: abc\n  regoin: x\n", 3, 3,
		"config.regoin: unknown option for plugin 'sink-s3'; did you "
		"mean 'region'?");
	refused("config:\n  bucket: abc\n  colour: red\n", 3, 3,
		"config.colour: unknown option for plugin 'sink-s3'; known "
		"options: bucket, region, rate, ratio, compress, flush.size "
		"and 6 more");
	refused("config:\n  bucket: abc\n  flush:\n    size: 1MiB\n", 3, 3,
		"config.flush: unknown option for plugin 'sink-s3'; options "
		"are not nested: write 'flush.size: ...'");

	static const struct sluice_option small[] = {
		{.name = "a", .type = SLUICE_OPT_INT},
		{.name = "bb", .type = SLUICE_OPT_INT},
		{0},
	};
	ck_assert_int_eq(parse_with(small, "p", "config:\n  zzzzz: 1\n"), -1);
	diag_is(0, 2, 3,
		"config.zzzzz: unknown option for plugin 'p'; known options: "
		"a, bb");
	teardown();

	ck_assert_int_eq(parse_with(NULL, "noop", "config:\n  x: 1\n"), -1);
	ck_assert_uint_eq(d.n, 1);
	diag_is(0, 2, 3, "config.x: plugin 'noop' takes no options");
	ck_assert_uint_eq(set.n, 0);
	teardown();

	ck_assert_int_eq(parse_with(NULL, "noop", "name: x\n"), 0);
	teardown();
	ck_assert_int_eq(parse_with(NULL, "noop", "config: {}\n"), 0);
}
END_TEST

static void no_secret_in_messages(const char *secret)
{
	for (size_t i = 0; i < d.n; i++)
		ck_assert_ptr_null(strstr(d.v[i].msg, secret));
}

START_TEST(secrets_redacted)
{
	ck_assert_int_eq(parse("config:\n"
			       "  bucket: abc\n"
			       "  password: hunter2\n"
			       "  api.key: hunter2\n"),
			 -1);
	ck_assert_uint_eq(d.n, 2);
	diag_is(0, 3, 13,
		"config.password: <secret> is shorter than the minimum of 8 "
		"bytes");
	diag_is(1, 4, 12, "config.api.key: expected an integer, got <secret>");
	no_secret_in_messages("hunter2");
	teardown();

	ck_assert_int_eq(parse("config:\n  bucket: abc\n  api.key: 5000\n"),
			 -1);
	diag_is(0, 3, 12, "config.api.key: <secret> is above the maximum 1000");
	no_secret_in_messages("5000");
	teardown();

	static const char *const ab2[] = {"alpha", "beta", NULL};
	static const struct sluice_option secret_enum[] = {
		{.name = "mode",
		 .type = SLUICE_OPT_ENUM,
		 .flags = SLUICE_OPT_SECRET,
		 .allowed = ab2},
		{.name = "keys",
		 .type = SLUICE_OPT_LIST,
		 .flags = SLUICE_OPT_SECRET,
		 .allowed = ab2},
		{0},
	};
	ck_assert_int_eq(parse_with(secret_enum, "p",
				    "config:\n  mode: alpah\n"
				    "  keys: [beta, alpah]\n"),
			 -1);
	ck_assert_uint_eq(d.n, 2);
	diag_is(0, 2, 9, "config.mode: <secret> is not one of alpha, beta");
	diag_is(1, 3, 16, "config.keys[1]: <secret> is not one of alpha, beta");
	no_secret_in_messages("alpah");
	teardown();

	ck_assert_int_eq(parse_with(secret_enum, "p",
				    "config:\n  keys: [beta, alpha]\n"),
			 0);
	ck_assert_str_eq(options_display(val("keys")), "<secret>");
}
END_TEST

/* A table the loader did not check: its bad default is still reported. */
START_TEST(unchecked_table)
{
	static const struct sluice_option bad[] = {
		{.name = "n", .type = SLUICE_OPT_INT, .def = "many"},
		{0},
	};
	ck_assert_int_eq(parse_with(bad, "p", "name: x\n"), -1);
	ck_assert_uint_eq(d.n, 1);
	diag_is(0, 0, 0,
		"plugin 'p': option 'n': bad default: expected an integer, "
		"got 'many'");
	ck_assert_int_eq(val("n")->has_value, 0);
}
END_TEST

START_TEST(type_names)
{
	ck_assert_str_eq(options_type_name(SLUICE_OPT_STRING), "string");
	ck_assert_str_eq(options_type_name(SLUICE_OPT_INT), "int");
	ck_assert_str_eq(options_type_name(SLUICE_OPT_DOUBLE), "double");
	ck_assert_str_eq(options_type_name(SLUICE_OPT_BOOL), "bool");
	ck_assert_str_eq(options_type_name(SLUICE_OPT_SIZE), "size");
	ck_assert_str_eq(options_type_name(SLUICE_OPT_DURATION), "duration");
	ck_assert_str_eq(options_type_name(SLUICE_OPT_ENUM), "enum");
	ck_assert_str_eq(options_type_name(SLUICE_OPT_LIST), "list");
	ck_assert_str_eq(options_type_name((enum sluice_opt_type)42),
			 "unknown");
	ck_assert_str_eq(options_display(NULL), "");
}
END_TEST

/* Environment references reach options already expanded. */
START_TEST(from_environment)
{
	setenv("OPT_TEST_PW", "from-the-env", 1);
	setenv("OPT_TEST_RATE", "250", 1);
	ck_assert_int_eq(parse("config:\n"
			       "  bucket: abc\n"
			       "  password: ${env:OPT_TEST_PW}\n"
			       "  rate: ${env:OPT_TEST_RATE}\n"),
			 0);
	ck_assert_str_eq(val("password")->text, "from-the-env");
	ck_assert_int_eq(val("rate")->num.i, 250);
}
END_TEST

/* A plugin's message about one list item is placed where the item was
 * written: column for column in a plain or quoted one-line item, at the
 * item itself in a block scalar; other messages are not placed. */
START_TEST(locate_list_items)
{
	int line = 0, col = 0;
	ck_assert_int_eq(parse("config:\n"
			       "  bucket: abc\n"
			       "  tags:\n"
			       "    - plain item here\n"
			       "    -   'quoted item'\n"
			       "    - |\n"
			       "      block\n"
			       "      item\n"),
			 0);
	ck_assert_int_eq(
		options_locate(&set, "tags[0]: bad at column 7", &line, &col),
		0);
	ck_assert_int_eq(line, 4);
	ck_assert_int_eq(col, 13); /* the text starts at 7 */
	ck_assert_int_eq(
		options_locate(&set, "tags[1]: bad at column 8", &line, &col),
		0);
	ck_assert_int_eq(line, 5);
	ck_assert_int_eq(col, 17); /* 9 is the quote */
	ck_assert_int_eq(
		options_locate(&set, "tags[2]: bad at column 3", &line, &col),
		0);
	ck_assert_int_eq(line, 6);
	ck_assert_int_eq(col, 7); /* the block's `|` */
	ck_assert_int_eq(options_locate(&set, "tags[0]: error at column 3: x",
					&line, &col),
			 0);
	ck_assert_int_eq(col, 9);
	ck_assert_int_eq(
		options_locate(&set, "tags[0]: no column", &line, &col), 0);
	ck_assert_int_eq(col, 7);
	line = col = -5;
	ck_assert_int_eq(
		options_locate(&set, "tags[3]: past the end", &line, &col), -1);
	ck_assert_int_eq(
		options_locate(&set, "codecs[0]: a default", &line, &col), -1);
	ck_assert_int_eq(
		options_locate(&set, "nosuch[0]: x at column 1", &line, &col),
		-1);
	ck_assert_int_eq(options_locate(&set, "tags: no item", &line, &col),
			 -1);
	ck_assert_int_eq(options_locate(&set, "tags[x]: x", &line, &col), -1);
	ck_assert_int_eq(options_locate(&set, "", &line, &col), -1);
	ck_assert_int_eq(line, -5);
	ck_assert_int_eq(col, -5);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("options");
	TCase *tc = tcase_create("options");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, table_ok);
	tcase_add_test(tc, table_refusals);
	tcase_add_test(tc, valid_config);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, empty_values);
	tcase_add_test(tc, every_problem);
	tcase_add_test(tc, ranges);
	tcase_add_test(tc, enum_did_you_mean);
	tcase_add_test(tc, wrong_shapes);
	tcase_add_test(tc, null_values);
	tcase_add_test(tc, missing_required);
	tcase_add_test(tc, unknown_keys);
	tcase_add_test(tc, secrets_redacted);
	tcase_add_test(tc, unchecked_table);
	tcase_add_test(tc, type_names);
	tcase_add_test(tc, from_environment);
	tcase_add_test(tc, locate_list_items);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
