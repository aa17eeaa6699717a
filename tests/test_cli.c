/*
 * test_cli.c - the sluice command line: exit codes and the exact messages
 * for good and bad input, run as a separate process like a user would.
 */
#include <check.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmp[256];
static char out[1 << 16], err[1 << 16];

static void slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, len - 1, f) : 0;
	buf[n] = '\0';
	if (f)
		fclose(f);
}

/* Runs sluice with the arguments (NULL-terminated) in `tmp`; returns
 * its exit status with stdout and stderr in out and err. */
static int sluice(const char *arg, ...)
{
	const char *argv[32] = {SLUICE_BIN};
	int n = 1;
	va_list ap;
	va_start(ap, arg);
	for (const char *a = arg; a && n < 31; a = va_arg(ap, const char *))
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	char o[300], e[300];
	snprintf(o, sizeof(o), "%s/stdout", tmp);
	snprintf(e, sizeof(e), "%s/stderr", tmp);
	pid_t pid = fork();
	if (pid == 0) {
		if (chdir(tmp) != 0)
			_exit(127);
		int fo = open(o, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int fe = open(e, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fo, 1);
		dup2(fe, 2);
		execv(SLUICE_BIN, (char *const *)argv);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	slurp(o, out, sizeof(out));
	slurp(e, err, sizeof(err));
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void put(const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void setup(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/sluice-cli-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	char d[300];
	snprintf(d, sizeof(d), "%s/c", tmp);
	mkdir(d, 0755);
	put("sluice.yaml",
	    "plugin.path: [" PLUGIN_DIR "/good-source.so, " PLUGIN_DIR
	    "/good-sink.so, " PLUGIN_DIR "/open-fails.so]\n"
	    "connectors.dir: c\n"
	    "log: {level: warn}\n");
}

static void teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(version_and_help)
{
	ck_assert_int_eq(sluice("--version", NULL), 0);
	ck_assert_str_eq(out, "sluice " PACKAGE_VERSION " (plugin ABI 1.2)\n");
	ck_assert_int_eq(sluice("--help", NULL), 0);
	ck_assert_msg(strstr(out, "Exit codes:") && strstr(out, "validate"),
		      "%s", out);
	const char *cmds[] = {"run", "validate", "plugins", "broker"};
	for (size_t i = 0; i < 4; i++) {
		ck_assert_int_eq(sluice(cmds[i], "--help", NULL), 0);
		ck_assert_msg(!strncmp(out, "Usage: sluice ", 14), "%s: %s",
			      cmds[i], out);
	}
}
END_TEST

START_TEST(usage_errors)
{
	ck_assert_int_eq(sluice(NULL), 2);
	ck_assert_msg(!strncmp(err, "Usage: sluice COMMAND", 21), "%s", err);
	ck_assert_int_eq(sluice("frobnicate", NULL), 2);
	ck_assert_msg(
		!strncmp(err, "sluice: unknown command 'frobnicate'\n", 37),
		"%s", err);
	ck_assert_int_eq(sluice("validate", "--bogus", NULL), 2);
	ck_assert_msg(!strncmp(err, "sluice: unknown option '--bogus'\n", 33),
		      "%s", err);
	ck_assert_int_eq(sluice("validate", "-c", NULL), 2);
	ck_assert_msg(!strncmp(err, "sluice: option '-c' needs a value\n", 34),
		      "%s", err);
	ck_assert_int_eq(sluice("validate", "extra", NULL), 2);
	ck_assert_msg(
		!strncmp(err, "sluice: unexpected argument 'extra'\n", 36),
		"%s", err);
}
END_TEST

START_TEST(validate_good)
{
	put("c/a.yaml", "name: a\nplugin: good-source\ntopic: t\n"
			"config: {topic: x}\n");
	ck_assert_int_eq(sluice("validate", NULL), 0);
	ck_assert_str_eq(err, "");
	ck_assert_msg(!strncmp(out, "1 connector valid (", 19), "%s", out);
}
END_TEST

START_TEST(validate_reports_every_problem)
{
	put("c/a.yaml", "name: a\nplugin: good-source\ntopic: t\n"
			"config: {topic: x, batch.recrds: 5}\n");
	put("c/b.yaml", "name: a\nplugin: good-sorce\ntopic: t\n");
	put("c/c.yaml", "name: c\nplugin: good-source\ntopic: t\n"
			"tasks.max: many\nconfig: {topic: x}\n");
	ck_assert_int_eq(sluice("validate", NULL), 3);
	ck_assert_str_eq(out, "");
	ck_assert_msg(strstr(err, "c/c.yaml:4:12: error: tasks.max: expected "
				  "an integer, got 'many'\n"),
		      "%s", err);
	ck_assert_msg(strstr(err, "c/b.yaml:1:7: error: duplicate connector "
				  "name 'a'"),
		      "%s", err);
	ck_assert_msg(strstr(err, "c/a.yaml:4:20: error: config.batch.recrds: "
				  "unknown option for plugin 'good-source'; "
				  "did you mean 'batch.records'?\n"),
		      "%s", err);
	ck_assert_msg(strstr(err, "\n3 problems found\n"), "%s", err);
}
END_TEST

START_TEST(missing_worker_file)
{
	ck_assert_int_eq(sluice("validate", "-c", "nope.yaml", NULL), 3);
	ck_assert_msg(strstr(err, "nope.yaml: error: worker file does not "
				  "exist\n"),
		      "%s", err);
}
END_TEST

START_TEST(broken_yaml)
{
	put("c/a.yaml", "name: a\nplugin: [good-source\n");
	ck_assert_int_eq(sluice("validate", NULL), 3);
	ck_assert_msg(strstr(err, "c/a.yaml:3:1: error: "), "%s", err);
}
END_TEST

START_TEST(not_utf8)
{
	put("c/a.yaml", "name: a\nplugin: good-source\ntopic: t\xff\n");
	ck_assert_int_eq(sluice("validate", NULL), 3);
	ck_assert_msg(strstr(err, "c/a.yaml:3:9: error: not valid UTF-8"), "%s",
		      err);
}
END_TEST

START_TEST(huge_yaml)
{
	char path[300];
	snprintf(path, sizeof(path), "%s/c/big.yaml", tmp);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("name: big\nplugin: good-source\ntopic: t\nconfig:\n", f);
	for (int i = 0; i < 400000; i++)
		fprintf(f, "  # padding line %d\n", i);
	fclose(f);
	ck_assert_int_eq(sluice("validate", NULL), 3);
	ck_assert_msg(strstr(err, "c/big.yaml: error: ") &&
			      strstr(err, "limited to 1MiB"),
		      "%s", err);
}
END_TEST

START_TEST(plugin_path_missing)
{
	put("c/a.yaml", "name: a\nplugin: good-source\ntopic: t\n"
			"config: {topic: x}\n");
	ck_assert_int_eq(sluice("validate", "-p", "/nonexistent/plugins", NULL),
			 3);
	ck_assert_msg(strstr(err, "plugin path '/nonexistent/plugins' does "
				  "not exist"),
		      "%s", err);
}
END_TEST

START_TEST(not_a_plugin)
{
	char d[300];
	snprintf(d, sizeof(d), "%s/p", tmp);
	mkdir(d, 0755);
	put("p/junk.so", "this is not an ELF file\n");
	ck_assert_int_eq(sluice("plugins", "-p", d, NULL), 3);
	ck_assert_msg(strstr(err, "junk.so") && strstr(err, "cannot load"),
		      "%s", err);
}
END_TEST

START_TEST(plugins_list_and_show)
{
	ck_assert_int_eq(sluice("plugins", "-p", PLUGIN_DIR "/good-source.so",
				"-p", PLUGIN_DIR "/good-sink.so", NULL),
			 0);
	ck_assert_msg(!strncmp(out, "NAME", 4), "%s", out);
	ck_assert_msg(strstr(out, "\ngood-source  source"), "%s", out);
	ck_assert_msg(strstr(out, "\ngood-sink    sink"), "%s", out);
	ck_assert_int_eq(sluice("plugins", "-p", PLUGIN_DIR "/good-source.so",
				"good-source", NULL),
			 0);
	ck_assert_msg(strstr(out, "good-source 1.2.3 (source)"), "%s", out);
	ck_assert_msg(strstr(out, "  topic ") && strstr(out, "(required)"),
		      "%s", out);
	ck_assert_msg(strstr(out, "[secret]"), "%s", out);
	ck_assert_int_eq(sluice("plugins", "-p", PLUGIN_DIR "/good-source.so",
				"nope", NULL),
			 3);
	ck_assert_str_eq(err,
			 "sluice: no plugin named 'nope' on plugin.path\n");
}
END_TEST

/* A plugin whose open fails stops the worker before any task runs. */
START_TEST(run_open_fails)
{
	put("c/a.yaml", "name: a\nplugin: good-source\ntopic: t\n"
			"config: {topic: x}\n");
	put("c/b.yaml", "name: b\nplugin: open-fails\ntopic: t\n");
	ck_assert_int_eq(sluice("run", NULL), 3);
	ck_assert_msg(strstr(err, "[b] cannot start task 0: plugin "
				  "'open-fails' failed to open: cannot connect "
				  "to localhost:1: connection refused\n"),
		      "%s", err);
	ck_assert_msg(strstr(err, "connector 'b' could not start; stopping "
				  "the worker\n"),
		      "%s", err);
	ck_assert_msg(!strstr(err, "started 1 task"), "%s", err);
}
END_TEST

START_TEST(run_invalid_config)
{
	put("c/a.yaml", "name: a\nplugin: good-source\ntopic: t\n");
	ck_assert_int_eq(sluice("run", NULL), 3);
	ck_assert_msg(strstr(err, "missing required option 'topic'"), "%s",
		      err);
	ck_assert_msg(strstr(err, "not starting\n"), "%s", err);
}
END_TEST

/* An expression error in one of transform-silver's expectations is
 * reported at the file, line and column of the expression's fault. */
START_TEST(expectation_error_position)
{
	put("sluice.yaml", "plugin.path: [" SILVER_PLUGIN "]\n"
			   "connectors.dir: c\n"
			   "log: {level: warn}\n");
	put("c/s.yaml", "name: s\n"
			"plugin: transform-silver\n"
			"topics: [b]\n"
			"outputs: {transactions: t, users: u, items: i,\n"
			"          quarantine: q, dq: d}\n"
			"config:\n"
			"  expectations:\n"
			"    - positive expect (amount > 0) on violation drop\n"
			"    - 'late expect (amount >> 0)'\n");
	ck_assert_int_eq(sluice("validate", NULL), 3);
	ck_assert_str_eq(out, "");
	ck_assert_msg(strstr(err, "c/s.yaml:9:29: error: config: plugin "
				  "'transform-silver' refuses this "
				  "configuration: expectations[1]: syntax "
				  "error at column 22: expected a value, got "
				  "'>'\n"),
		      "%s", err);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("cli");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, version_and_help);
	tcase_add_test(tc, usage_errors);
	tcase_add_test(tc, validate_good);
	tcase_add_test(tc, validate_reports_every_problem);
	tcase_add_test(tc, missing_worker_file);
	tcase_add_test(tc, broken_yaml);
	tcase_add_test(tc, not_utf8);
	tcase_add_test(tc, huge_yaml);
	tcase_add_test(tc, plugin_path_missing);
	tcase_add_test(tc, not_a_plugin);
	tcase_add_test(tc, plugins_list_and_show);
	tcase_add_test(tc, run_open_fails);
	tcase_add_test(tc, run_invalid_config);
	tcase_add_test(tc, expectation_error_position);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
