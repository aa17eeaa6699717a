/*
 * test_loader.c - the loader against the test plugins of tests/plugins/
 * (one per way a plugin can be refused) and against descriptors built
 * here for the rules no plugin file covers.
 */
#include <check.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader.h"

/* The smallest descriptor of the current ABI minor: up to its last field
 * (sizeof adds the tail padding). */
#define DESC_MIN_SIZE (offsetof(struct sluice_plugin, flags) + sizeof(unsigned))

#define LIBS TEST_PLUGIN_DIR "/.libs"
#define DUP_LIBS TEST_PLUGIN_DIR "/dup/.libs"
#define NAME_RULE                                                              \
	"use at most 64 lowercase letters, digits and '-', starting with a "   \
	"letter or digit"
#define OUTPUT_RULE                                                            \
	"use at most 64 lowercase letters, digits, '-' and '_', starting "     \
	"with a letter or digit"

static char err[4096];
static char want[4096];

static void format_want(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void format_want(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
}

static size_t option_count(const struct sluice_plugin *d)
{
	size_t n = 0;
	while (d->options && d->options[n].name)
		n++;
	return n;
}

/* Opens LIBS/<name>.so expecting a refusal; leaves the message in err. */
static void open_refused(const char *name)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s.so", LIBS, name);
	struct plugin p = {.path = (char *)"untouched"};
	ck_assert_int_eq(loader_open(path, &p, err, sizeof(err)), -1);
	ck_assert_ptr_null(p.dl);
	ck_assert_ptr_null(p.desc);
	ck_assert_ptr_null(p.path);
}

START_TEST(good_source)
{
	struct plugin p;
	ck_assert_int_eq(
		loader_open(LIBS "/good-source.so", &p, err, sizeof(err)), 0);
	ck_assert_str_eq(p.path, LIBS "/good-source.so");
	ck_assert_ptr_nonnull(p.dl);
	ck_assert_str_eq(p.desc->name, "good-source");
	ck_assert_str_eq(loader_kind_name(p.desc->kind), "source");
	ck_assert_str_eq(p.desc->version, "1.2.3");
	ck_assert_str_eq(p.desc->description, "test source that emits nothing");
	ck_assert_uint_eq(option_count(p.desc), 9);
	ck_assert_uint_eq(p.desc->options[0].flags, SLUICE_OPT_REQUIRED);
	ck_assert_uint_eq(p.desc->options[1].flags, SLUICE_OPT_SECRET);
	ck_assert_ptr_null(p.desc->outputs);
	loader_close(&p);
	ck_assert_ptr_null(p.dl);
	ck_assert_ptr_null(p.path);
}
END_TEST

START_TEST(good_sink)
{
	struct plugin p;
	ck_assert_int_eq(
		loader_open(LIBS "/good-sink.so", &p, err, sizeof(err)), 0);
	ck_assert_str_eq(p.desc->name, "good-sink");
	ck_assert_str_eq(loader_kind_name(p.desc->kind), "sink");
	ck_assert_str_eq(p.desc->version, "0.9.0");
	ck_assert_uint_eq(option_count(p.desc), 1);
	ck_assert_ptr_nonnull(p.desc->flush);
	loader_close(&p);
}
END_TEST

START_TEST(good_transform)
{
	struct plugin p;
	ck_assert_int_eq(
		loader_open(LIBS "/good-transform.so", &p, err, sizeof(err)),
		0);
	ck_assert_str_eq(p.desc->name, "good-transform");
	ck_assert_str_eq(loader_kind_name(p.desc->kind), "transform");
	ck_assert_str_eq(p.desc->version, "2.0.0");
	ck_assert_uint_eq(option_count(p.desc), 0);
	ck_assert_str_eq(p.desc->outputs[0], "kept");
	ck_assert_str_eq(p.desc->outputs[1], "dropped");
	ck_assert_ptr_null(p.desc->outputs[2]);
	loader_close(&p);
}
END_TEST

/* Its open() fails, which the loader must not notice: it never calls it. */
START_TEST(open_fails_loads)
{
	struct plugin p;
	ck_assert_int_eq(
		loader_open(LIBS "/open-fails.so", &p, err, sizeof(err)), 0);
	ck_assert_str_eq(p.desc->name, "open-fails");
	ck_assert_uint_eq(option_count(p.desc), 1);
	loader_close(&p);
}
END_TEST

START_TEST(bad_major)
{
	open_refused("bad-major");
	format_want("%s/bad-major.so: plugin ABI %d.%d is not supported by "
		    "this host (ABI %d.%d): rebuild the plugin against this "
		    "sluice",
		    LIBS, SLUICE_ABI_MAJOR + 1, SLUICE_ABI_MINOR,
		    SLUICE_ABI_MAJOR, SLUICE_ABI_MINOR);
	ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(newer_minor)
{
	open_refused("newer-minor");
	format_want("%s/newer-minor.so: plugin needs ABI %d.%d but this host "
		    "has ABI %d.%d: upgrade sluice",
		    LIBS, SLUICE_ABI_MAJOR, SLUICE_ABI_MINOR + 1,
		    SLUICE_ABI_MAJOR, SLUICE_ABI_MINOR);
	ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(short_struct)
{
	open_refused("short-struct");
	/* This host's minor is the newest, so its full descriptor is the
	 * minimum. */
	format_want("%s/short-struct.so: descriptor is 48 bytes, ABI %d.%d "
		    "needs at least %zu bytes",
		    LIBS, SLUICE_ABI_MAJOR, SLUICE_ABI_MINOR, DESC_MIN_SIZE);
	ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(no_entry)
{
	open_refused("no-entry");
	ck_assert_str_eq(err, LIBS "/no-entry.so: not a sluice plugin (no "
				   "sluice_plugin_entry symbol)");
}
END_TEST

/* The reason after the prefix is options_check_table()'s wording. */
START_TEST(bad_options)
{
	open_refused("bad-options");
	const char *prefix = LIBS "/bad-options.so: option table: ";
	ck_assert_int_eq(strncmp(err, prefix, strlen(prefix)), 0);
	ck_assert_ptr_nonnull(strstr(err, "batch.size"));
}
END_TEST

START_TEST(wrong_callbacks)
{
	open_refused("wrong-callbacks");
	ck_assert_str_eq(err, LIBS "/wrong-callbacks.so: plugin "
				   "'wrong-callbacks' (a sink) has no flush "
				   "callback");
}
END_TEST

START_TEST(missing_file)
{
	open_refused("no-such-plugin");
	const char *prefix = LIBS "/no-such-plugin.so: cannot load: ";
	ck_assert_int_eq(strncmp(err, prefix, strlen(prefix)), 0);
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
}
END_TEST

/* A bare file name means that file, not a search of the library path. */
START_TEST(relative_name)
{
	char cwd[4096];
	struct plugin p;
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_int_eq(chdir(LIBS), 0);
	int r = loader_open("good-sink.so", &p, err, sizeof(err));
	ck_assert_int_eq(chdir(cwd), 0);
	ck_assert_msg(r == 0, "%s", err);
	ck_assert_str_eq(p.path, "good-sink.so");
	loader_close(&p);
}
END_TEST

/* Scratch directories for scan tests; removed by rm_scratch(). */
static char scratch[256];

static void make_scratch(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(scratch, sizeof(scratch), "%s/sluice-loader-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(scratch));
}

static void scratch_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", scratch, name);
}

static void link_plugin(const char *name)
{
	char from[1024], to[1024];
	snprintf(from, sizeof(from), "%s/%s.so", LIBS, name);
	snprintf(to, sizeof(to), "%s/%s.so", scratch, name);
	ck_assert_int_eq(symlink(from, to), 0);
}

static void write_file(const char *name, const char *text)
{
	char path[1024];
	scratch_path(path, sizeof(path), name);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

static void rm_scratch(const char *const *names, const char *subdir)
{
	char path[1024];
	for (size_t i = 0; names[i]; i++) {
		scratch_path(path, sizeof(path), names[i]);
		unlink(path);
	}
	if (subdir) {
		scratch_path(path, sizeof(path), subdir);
		rmdir(path);
	}
	rmdir(scratch);
}

static const char junk[] =
	"This is a text file that someone named junk.so. It is long enough "
	"that the dynamic loader reads a whole ELF header's worth of it.\n";

START_TEST(not_elf)
{
	char path[1024];
	struct plugin p;
	make_scratch();
	write_file("x.so", junk);
	scratch_path(path, sizeof(path), "x.so");
	ck_assert_int_eq(loader_open(path, &p, err, sizeof(err)), -1);
	format_want("%s: cannot load: ", path);
	ck_assert_int_eq(strncmp(err, want, strlen(want)), 0);
	/* dlerror()'s own copy of the path is dropped. */
	ck_assert_ptr_null(strstr(err + strlen(want), path));
	rm_scratch((const char *const[]){"x.so", NULL}, NULL);
}
END_TEST

static void diag_is(const struct diag *g, const char *file, const char *msg)
{
	if (file)
		ck_assert_str_eq(g->file, file);
	else
		ck_assert_ptr_null(g->file);
	ck_assert_int_eq(g->line, 0);
	ck_assert_int_eq(g->col, 0);
	ck_assert_str_eq(g->msg, msg);
}

/* A directory holding good and bad plugins and things that are no
 * plugin: every bad one is reported once, in name order, the rest is
 * skipped, the good ones are kept. */
START_TEST(scan_mixed_dir)
{
	static const char *const names[] = {
		"wrong-callbacks.so",
		"good-source.so",
		"short-struct.so",
		"no-entry.so",
		"bad-major.so",
		"good-sink.so",
		"junk.so",
		"notes.txt",
		"sub.so",
		NULL,
	};
	struct plugin_registry reg = {0};
	struct diags d = {0};
	char dir[1024], file[1024];

	make_scratch();
	link_plugin("wrong-callbacks");
	link_plugin("good-source");
	link_plugin("short-struct");
	link_plugin("no-entry");
	link_plugin("bad-major");
	link_plugin("good-sink");
	write_file("junk.so", junk);
	write_file("notes.txt", "not a plugin\n");
	scratch_path(file, sizeof(file), "sub.so");
	ck_assert_int_eq(mkdir(file, 0700), 0);

	/* The trailing slash must not double in the files' names. */
	snprintf(dir, sizeof(dir), "%s/", scratch);
	char *paths[] = {dir};
	ck_assert_int_eq(registry_scan(&reg, paths, 1, &d), -1);

	ck_assert_uint_eq(reg.n, 2);
	ck_assert_str_eq(reg.v[0].desc->name, "good-sink");
	ck_assert_str_eq(reg.v[1].desc->name, "good-source");
	scratch_path(file, sizeof(file), "good-source.so");
	ck_assert_str_eq(registry_find(&reg, "good-source")->path, file);

	ck_assert_uint_eq(d.n, 5);
	scratch_path(file, sizeof(file), "bad-major.so");
	format_want("plugin ABI %d.%d is not supported by this host (ABI "
		    "%d.%d): rebuild the plugin against this sluice",
		    SLUICE_ABI_MAJOR + 1, SLUICE_ABI_MINOR, SLUICE_ABI_MAJOR,
		    SLUICE_ABI_MINOR);
	diag_is(&d.v[0], file, want);
	scratch_path(file, sizeof(file), "junk.so");
	ck_assert_str_eq(d.v[1].file, file);
	ck_assert_int_eq(strncmp(d.v[1].msg, "cannot load: ", 13), 0);
	scratch_path(file, sizeof(file), "no-entry.so");
	diag_is(&d.v[2], file,
		"not a sluice plugin (no sluice_plugin_entry symbol)");
	scratch_path(file, sizeof(file), "short-struct.so");
	format_want("descriptor is 48 bytes, ABI %d.%d needs at least %zu "
		    "bytes",
		    SLUICE_ABI_MAJOR, SLUICE_ABI_MINOR, DESC_MIN_SIZE);
	diag_is(&d.v[3], file, want);
	scratch_path(file, sizeof(file), "wrong-callbacks.so");
	diag_is(&d.v[4], file,
		"plugin 'wrong-callbacks' (a sink) has no flush callback");

	registry_free(&reg);
	ck_assert_uint_eq(reg.n, 0);
	ck_assert_ptr_null(reg.v);
	diags_free(&d);
	rm_scratch(names, "sub.so");
}
END_TEST

/* The build's own plugin folder, as the CLI tests scan it. Counted
 * loosely, so that other areas may add test plugins there. */
START_TEST(scan_build_dir)
{
	static const char *const good[] = {"good-source", "good-sink",
					   "good-transform", "open-fails"};
	static const char *const bad[] = {
		"bad-major", "newer-minor", "short-struct",
		"no-entry",  "bad-options", "wrong-callbacks",
	};
	struct plugin_registry reg = {0};
	struct diags d = {0};
	char *paths[] = {(char *)LIBS};

	ck_assert_int_eq(registry_scan(&reg, paths, 1, &d), -1);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_ptr_nonnull(registry_find(&reg, good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char file[1024];
		size_t hits = 0;
		snprintf(file, sizeof(file), "%s/%s.so", LIBS, bad[i]);
		for (size_t j = 0; j < d.n; j++)
			hits += d.v[j].file && strcmp(d.v[j].file, file) == 0;
		ck_assert_msg(hits == 1, "%s reported %zu times", bad[i], hits);
	}
	registry_free(&reg);
	diags_free(&d);
}
END_TEST

START_TEST(scan_files)
{
	struct plugin_registry reg = {0};
	struct diags d = {0};
	char *paths[] = {
		(char *)LIBS "/good-source.so",
		(char *)LIBS "/good-sink.so",
		(char *)LIBS "/good-transform.so",
	};

	/* An earlier diagnostic is not this scan's failure. */
	diags_add(&d, NULL, 0, 0, "earlier");
	ck_assert_int_eq(registry_scan(&reg, paths, 3, &d), 0);
	ck_assert_uint_eq(d.n, 1);
	ck_assert_uint_eq(reg.n, 3);

	const struct plugin *p = registry_find(&reg, "good-transform");
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->path, LIBS "/good-transform.so");
	ck_assert_str_eq(registry_find(&reg, "good-sink")->desc->version,
			 "0.9.0");
	ck_assert_ptr_null(registry_find(&reg, "good"));
	ck_assert_ptr_null(registry_find(&reg, "good-source-2"));
	ck_assert_ptr_null(registry_find(&reg, ""));
	registry_free(&reg);
	diags_free(&d);
}
END_TEST

START_TEST(scan_duplicate)
{
	struct plugin_registry reg = {0};
	struct diags d = {0};
	char *paths[] = {(char *)LIBS "/good-source.so", (char *)DUP_LIBS};

	ck_assert_int_eq(registry_scan(&reg, paths, 2, &d), -1);
	ck_assert_uint_eq(reg.n, 1);
	ck_assert_str_eq(reg.v[0].path, LIBS "/good-source.so");
	ck_assert_uint_eq(d.n, 1);
	diag_is(&d.v[0], DUP_LIBS "/dup-name.so",
		"plugin name 'good-source' duplicates the one in " LIBS
		"/good-source.so");
	registry_free(&reg);
	diags_free(&d);
}
END_TEST

/* The first path wins whichever file it is. */
START_TEST(scan_duplicate_reversed)
{
	struct plugin_registry reg = {0};
	struct diags d = {0};
	char *paths[] = {(char *)DUP_LIBS "/dup-name.so",
			 (char *)LIBS "/good-source.so"};

	ck_assert_int_eq(registry_scan(&reg, paths, 2, &d), -1);
	ck_assert_uint_eq(reg.n, 1);
	ck_assert_str_eq(reg.v[0].path, DUP_LIBS "/dup-name.so");
	ck_assert_uint_eq(d.n, 1);
	diag_is(&d.v[0], LIBS "/good-source.so",
		"plugin name 'good-source' duplicates the one in " DUP_LIBS
		"/dup-name.so");
	registry_free(&reg);
	diags_free(&d);
}
END_TEST

/* The same file reached twice is one plugin, not a duplicate. */
START_TEST(scan_same_file_twice)
{
	struct plugin_registry reg = {0};
	struct diags d = {0};
	char *paths[] = {(char *)LIBS "/good-sink.so",
			 (char *)LIBS "/../.libs/good-sink.so"};

	ck_assert_int_eq(registry_scan(&reg, paths, 2, &d), 0);
	ck_assert_uint_eq(reg.n, 1);
	ck_assert_uint_eq(d.n, 0);
	registry_free(&reg);
}
END_TEST

START_TEST(scan_missing_path)
{
	struct plugin_registry reg = {0};
	struct diags d = {0};
	char *paths[] = {(char *)"/nonexistent/sluice/plugins",
			 (char *)LIBS "/good-sink.so/x", (char *)"/dev/null"};

	ck_assert_int_eq(registry_scan(&reg, paths, 3, &d), -1);
	ck_assert_uint_eq(reg.n, 0);
	ck_assert_uint_eq(d.n, 3);
	diag_is(&d.v[0], NULL,
		"plugin path '/nonexistent/sluice/plugins' does not exist");
	diag_is(&d.v[1], NULL,
		"plugin path '" LIBS "/good-sink.so/x' does not exist");
	diag_is(&d.v[2], NULL,
		"plugin path '/dev/null' is neither a directory nor a file");
	registry_free(&reg);
	diags_free(&d);
}
END_TEST

START_TEST(close_and_free_empty)
{
	struct plugin p = {0};
	struct plugin_registry reg = {0};
	loader_close(&p);
	registry_free(&reg);
	ck_assert_ptr_null(registry_find(&reg, "good-source"));
	ck_assert_str_eq(loader_kind_name((enum sluice_kind)0), "unknown");
}
END_TEST

/* Descriptor rules, on descriptors built here. */

static enum sluice_status t_open(struct sluice_task *t,
				 const struct sluice_host *host, void **state)
{
	return SLUICE_OK;
}

static void t_close(void *state)
{
}

static enum sluice_status t_poll(void *state, struct sluice_task *t, size_t max)
{
	return SLUICE_OK;
}

static enum sluice_status t_put(void *state, struct sluice_task *t,
				const struct sluice_record *recs, size_t n)
{
	return SLUICE_OK;
}

static enum sluice_status t_flush(void *state, struct sluice_task *t,
				  struct sluice_partition *parts, size_t n,
				  int final)
{
	return SLUICE_OK;
}

static enum sluice_status t_parts(void *state, struct sluice_task *t,
				  const struct sluice_partition *parts,
				  size_t n)
{
	return SLUICE_OK;
}

static enum sluice_status t_process(void *state, struct sluice_task *t,
				    const struct sluice_record *in)
{
	return SLUICE_OK;
}

static enum sluice_status t_tick(void *state, struct sluice_task *t,
				 int64_t now_ms)
{
	return SLUICE_OK;
}

static const struct sluice_plugin base = {
	SLUICE_PLUGIN_HEADER,
	.name = "case",
	.version = "1",
	.description = "a descriptor built by the test",
	.kind = SLUICE_KIND_SOURCE,
	.open = t_open,
	.poll = t_poll,
};

static const char *const no_outputs[] = {NULL};
static const char *const bad_output[] = {"out", "Out", NULL};
static const char *const lead_underscore[] = {"_out", NULL};
static const char *const table_outputs[] = {"daily_metrics", "user-summary",
					    "late", NULL};
static const char *const twice[] = {"a", "b", "a", NULL};
static const char *const one_output[] = {"out", NULL};

static const char long_name[] =
	"a23456789-123456789-123456789-123456789-123456789-123456789-12345";

/* Case i: a copy of base with one thing wrong, and the message. */
static const char *bad_case(int i, struct sluice_plugin *d)
{
	*d = base;
	switch (i) {
	case 0:
		d->abi_major = 0;
		format_want(
			"plugin ABI 0.%d is not supported by this host (ABI "
			"%d.%d): rebuild the plugin against this sluice",
			SLUICE_ABI_MINOR, SLUICE_ABI_MAJOR, SLUICE_ABI_MINOR);
		return want;
	case 1:
		d->abi_minor = SLUICE_ABI_MINOR + 7;
		format_want(
			"plugin needs ABI %d.%d but this host has ABI %d.%d: "
			"upgrade sluice",
			SLUICE_ABI_MAJOR, SLUICE_ABI_MINOR + 7,
			SLUICE_ABI_MAJOR, SLUICE_ABI_MINOR);
		return want;
	case 2:
		d->struct_size = 0;
		format_want(
			"descriptor is 0 bytes, ABI %d.%d needs at least %zu "
			"bytes",
			SLUICE_ABI_MAJOR, SLUICE_ABI_MINOR, DESC_MIN_SIZE);
		return want;
	case 3:
		d->name = NULL;
		return "descriptor has no name";
	case 4:
		d->name = "";
		return "plugin name '' is not valid: " NAME_RULE;
	case 5:
		d->name = "Source_X";
		return "plugin name 'Source_X' is not valid: " NAME_RULE;
	case 6:
		d->name = "-x";
		return "plugin name '-x' is not valid: " NAME_RULE;
	case 7:
		d->name = long_name;
		format_want("plugin name '%s' is not valid: " NAME_RULE,
			    long_name);
		return want;
	case 8:
		d->version = NULL;
		return "plugin 'case' has no version";
	case 9:
		d->description = NULL;
		return "plugin 'case' has no description";
	case 10:
		d->kind = (enum sluice_kind)0;
		return "plugin 'case' has unknown kind 0 (1 source, 2 sink, 3 "
		       "transform)";
	case 11:
		d->kind = (enum sluice_kind)4;
		return "plugin 'case' has unknown kind 4 (1 source, 2 sink, 3 "
		       "transform)";
	case 12:
		d->open = NULL;
		return "plugin 'case' (a source) has no open callback";
	case 13:
		d->poll = NULL;
		return "plugin 'case' (a source) has no poll callback";
	case 14:
		d->put = t_put;
		return "plugin 'case' (a source) must not set the put callback";
	case 15:
		d->assign = t_parts;
		return "plugin 'case' (a source) must not set the assign "
		       "callback";
	case 16:
		d->process = t_process;
		return "plugin 'case' (a source) must not set the process "
		       "callback";
	case 17:
		d->kind = SLUICE_KIND_SINK;
		d->put = t_put;
		d->flush = t_flush;
		return "plugin 'case' (a sink) must not set the poll callback";
	case 18:
		d->kind = SLUICE_KIND_SINK;
		d->poll = NULL;
		d->flush = t_flush;
		return "plugin 'case' (a sink) has no put callback";
	case 19:
		d->kind = SLUICE_KIND_SINK;
		d->poll = NULL;
		d->put = t_put;
		d->flush = t_flush;
		d->outputs = one_output;
		return "plugin 'case': a sink must not declare outputs";
	case 20:
		d->kind = SLUICE_KIND_TRANSFORM;
		d->poll = NULL;
		return "plugin 'case' (a transform) has no process callback";
	case 21:
		d->kind = SLUICE_KIND_TRANSFORM;
		d->poll = NULL;
		d->process = t_process;
		d->flush = t_flush;
		return "plugin 'case' (a transform) must not set the flush "
		       "callback";
	case 22:
		d->outputs = no_outputs;
		return "plugin 'case': the output list is empty (leave it NULL "
		       "for one output called \"out\")";
	case 23:
		d->outputs = bad_output;
		return "plugin 'case': output name 'Out' is not "
		       "valid: " OUTPUT_RULE;
	case 24:
		d->outputs = twice;
		return "plugin 'case': output 'a' is declared twice";
	case 25:
		d->outputs = lead_underscore;
		return "plugin 'case': output name '_out' is not "
		       "valid: " OUTPUT_RULE;
	}
	return NULL;
}
#define BAD_CASES 26

START_TEST(refuses_descriptor)
{
	struct sluice_plugin d;
	const char *msg = bad_case(_i, &d);
	ck_assert_int_eq(loader_check(&d, err, sizeof(err)), -1);
	ck_assert_str_eq(err, msg);
}
END_TEST

START_TEST(accepts_descriptors)
{
	struct sluice_plugin d = base;
	ck_assert_int_eq(loader_check(&d, err, sizeof(err)), 0);

	/* Every optional callback of a source. */
	d.close = t_close;
	d.tick = t_tick;
	d.outputs = one_output;
	ck_assert_msg(loader_check(&d, err, sizeof(err)) == 0, "%s", err);

	d = base;
	d.name = long_name + 1; /* exactly 64 */
	ck_assert_msg(loader_check(&d, err, sizeof(err)) == 0, "%s", err);
	d.name = "0-9";
	ck_assert_msg(loader_check(&d, err, sizeof(err)) == 0, "%s", err);

	/* Every optional callback of a sink and of a transform. */
	d = base;
	d.kind = SLUICE_KIND_SINK;
	d.poll = NULL;
	d.put = t_put;
	d.flush = t_flush;
	d.assign = d.revoke = t_parts;
	d.close = t_close;
	d.tick = t_tick;
	ck_assert_msg(loader_check(&d, err, sizeof(err)) == 0, "%s", err);
	d.kind = SLUICE_KIND_TRANSFORM;
	d.put = NULL;
	d.flush = NULL;
	d.process = t_process;
	d.outputs = twice + 1;
	ck_assert_msg(loader_check(&d, err, sizeof(err)) == 0, "%s", err);
	d.outputs = table_outputs; /* '_' in output names, not plugin names */
	ck_assert_msg(loader_check(&d, err, sizeof(err)) == 0, "%s", err);

	/* Longer than this host knows: a plugin of a later minor rebuilt
	 * for this one may keep its size. */
	d.struct_size = sizeof(d) + 64;
	ck_assert_msg(loader_check(&d, err, sizeof(err)) == 0, "%s", err);

	ck_assert_int_eq(loader_check(NULL, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "sluice_plugin_entry() returned no descriptor");
}
END_TEST

/* The message is cut to the buffer, never overrun. */
START_TEST(small_error_buffer)
{
	char small[8];
	memset(small, 'x', sizeof(small));
	ck_assert_int_eq(loader_open(LIBS "/bad-major.so", &(struct plugin){0},
				     small, sizeof(small)),
			 -1);
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
	ck_assert_int_eq(
		loader_open(LIBS "/bad-major.so", &(struct plugin){0}, NULL, 0),
		-1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("loader");
	TCase *files = tcase_create("files");
	tcase_add_test(files, good_source);
	tcase_add_test(files, good_sink);
	tcase_add_test(files, good_transform);
	tcase_add_test(files, open_fails_loads);
	tcase_add_test(files, bad_major);
	tcase_add_test(files, newer_minor);
	tcase_add_test(files, short_struct);
	tcase_add_test(files, no_entry);
	tcase_add_test(files, bad_options);
	tcase_add_test(files, wrong_callbacks);
	tcase_add_test(files, missing_file);
	tcase_add_test(files, relative_name);
	tcase_add_test(files, not_elf);
	tcase_add_test(files, small_error_buffer);
	suite_add_tcase(s, files);

	TCase *scan = tcase_create("scan");
	tcase_add_test(scan, scan_mixed_dir);
	tcase_add_test(scan, scan_build_dir);
	tcase_add_test(scan, scan_files);
	tcase_add_test(scan, scan_duplicate);
	tcase_add_test(scan, scan_duplicate_reversed);
	tcase_add_test(scan, scan_same_file_twice);
	tcase_add_test(scan, scan_missing_path);
	tcase_add_test(scan, close_and_free_empty);
	suite_add_tcase(s, scan);

	TCase *desc = tcase_create("descriptor");
	tcase_add_loop_test(desc, refuses_descriptor, 0, BAD_CASES);
	tcase_add_test(desc, accepts_descriptors);
	suite_add_tcase(s, desc);

	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
