/*
 * test_config.c - the worker file, connector files and the checks against
 * plugins. Fixtures live in tests/config/; every bad case asserts the
 * exact file:line:col and message, in order.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* By path: the build directory has autoconf's own config.h, found first
 * through -I. when the name alone is given. */
#include "../host/config.h"
#include "loader.h"

#ifndef TEST_DATA_DIR
#error "TEST_DATA_DIR must point at tests/config"
#endif

#define FIX(rel) TEST_DATA_DIR "/" rel

static struct diags d;

static void setup(void)
{
	d = (struct diags){0};
}

static void teardown(void)
{
	diags_free(&d);
}

/* Asserts that diagnostic i reads "<fixture>:line:col: msg". */
static void expect_diag(size_t i, const char *rel, int line, int col,
			const char *msg)
{
	char got[1024], want[1024];
	ck_assert_msg(i < d.n, "diagnostic %zu of %zu missing: %s", i, d.n,
		      msg);
	diags_format(&d.v[i], got, sizeof got);
	snprintf(want, sizeof want, "%s/%s:%d:%d: %s", TEST_DATA_DIR, rel, line,
		 col, msg);
	ck_assert_str_eq(got, want);
}

/* Lists every diagnostic when the count is wrong: the test log then says
 * what came out instead. */
static void expect_count(size_t n)
{
	if (d.n != n)
		diags_print(&d, stderr);
	ck_assert_uint_eq(d.n, n);
}

/* ---- worker file ---- */

START_TEST(worker_defaults_without_file)
{
	struct worker_config w;
	ck_assert_int_eq(config_load_worker(&w, NULL, &d), 0);
	expect_count(0);
	ck_assert_ptr_null(w.file);
	ck_assert_str_eq(w.bootstrap_servers, "embedded");
	ck_assert_uint_eq(w.plugin_path_n, 1);
	ck_assert_str_eq(w.plugin_path[0], PKGLIBDIR);
	ck_assert_str_eq(w.connectors_dir, "./connectors.d");
	ck_assert_str_eq(w.group_prefix, "sluice");
	ck_assert_str_eq(w.offsets_topic, "sluice-offsets");
	ck_assert_int_eq(w.default_partitions, 4);
	ck_assert_uint_eq(w.topics_n, 0);
	ck_assert_uint_eq(w.kafka_n, 0);
	ck_assert_int_eq(w.log_level, SLUICE_LOG_INFO);
	ck_assert_int_eq(w.log_format, LOG_FORMAT_TEXT);
	ck_assert_int_eq(w.shutdown_timeout_ms, 30000);
	ck_assert_int_eq(w.progress_interval_ms, 5000);
	ck_assert_int_eq(w.memory_budget, 256 << 20);
	config_free_worker(&w);
}
END_TEST

START_TEST(worker_empty_file)
{
	struct worker_config w;
	ck_assert_int_eq(config_load_worker(&w, FIX("worker/empty.yaml"), &d),
			 0);
	expect_count(0);
	ck_assert_str_eq(w.file, FIX("worker/empty.yaml"));
	ck_assert_str_eq(w.plugin_path[0], PKGLIBDIR);
	ck_assert_str_eq(w.connectors_dir, FIX("worker/connectors.d"));
	ck_assert_str_eq(w.bootstrap_servers, "embedded");
	config_free_worker(&w);
}
END_TEST

START_TEST(worker_every_key)
{
	struct worker_config w;
	ck_assert_int_eq(config_load_worker(&w, FIX("worker/full.yaml"), &d),
			 0);
	expect_count(0);
	ck_assert_str_eq(w.bootstrap_servers, "broker1:9092,broker2:9092");
	ck_assert_uint_eq(w.plugin_path_n, 2);
	ck_assert_str_eq(w.plugin_path[0], FIX("worker/lib"));
	ck_assert_str_eq(w.plugin_path[1], "/opt/sluice/plugins");
	ck_assert_str_eq(w.connectors_dir, FIX("worker/conf/connectors"));
	ck_assert_str_eq(w.group_prefix, "etl");
	ck_assert_str_eq(w.offsets_topic, "etl-offsets");
	ck_assert_int_eq(w.default_partitions, 2);
	ck_assert_uint_eq(w.topics_n, 1);
	ck_assert_str_eq(w.topics[0].name, "transaction_logs");
	ck_assert_int_eq(w.topics[0].partitions, 8);
	ck_assert_uint_eq(w.kafka_n, 3);
	ck_assert_str_eq(w.kafka[0].key, "security.protocol");
	ck_assert_str_eq(w.kafka[0].value, "SASL_SSL");
	ck_assert_str_eq(w.kafka[2].key, "linger.ms");
	ck_assert_str_eq(w.kafka[2].value, "5");
	ck_assert_int_eq(w.log_level, SLUICE_LOG_DEBUG);
	ck_assert_int_eq(w.log_format, LOG_FORMAT_JSON);
	ck_assert_int_eq(w.progress_interval_ms, 10000);
	ck_assert_int_eq(w.shutdown_timeout_ms, 60000);
	ck_assert_int_eq(w.memory_budget, 64 << 20);
	config_free_worker(&w);
}
END_TEST

START_TEST(worker_one_relative_path)
{
	struct worker_config w;
	ck_assert_int_eq(
		config_load_worker(&w, FIX("worker/one-path.yaml"), &d), 0);
	expect_count(0);
	ck_assert_uint_eq(w.plugin_path_n, 1);
	ck_assert_str_eq(w.plugin_path[0], FIX("worker/plugins"));
	ck_assert_str_eq(w.connectors_dir, FIX("worker/connectors.d"));
	config_free_worker(&w);
}
END_TEST

START_TEST(worker_not_a_map)
{
	struct worker_config w;
	ck_assert_int_eq(config_load_worker(&w, FIX("worker/list.yaml"), &d),
			 -1);
	expect_count(1);
	expect_diag(0, "worker/list.yaml", 1, 1,
		    "expected a map at the top level, got a list");
	config_free_worker(&w);
}
END_TEST

START_TEST(worker_every_error_at_once)
{
	const char *f = "worker/bad.yaml";
	struct worker_config w;
	ck_assert_int_eq(config_load_worker(&w, FIX("worker/bad.yaml"), &d),
			 -1);
	expect_count(11);
	expect_diag(0, f, 1, 1,
		    "unknown key 'bootstrap.server'; did you mean "
		    "'bootstrap.servers'?");
	expect_diag(1, f, 2, 16,
		    "memory.budget: expected a size such as 5MiB, got 'lots'");
	expect_diag(2, f, 3, 19,
		    "shutdown.timeout: a duration needs a unit (ms, s, m, h "
		    "or d): '30'");
	expect_diag(3, f, 4, 14,
		    "log.level: 'loud' is not one of error, warn, info, debug");
	expect_diag(4, f, 4, 20,
		    "unknown key 'log.formt'; did you mean 'log.format'?");
	expect_diag(5, f, 5, 30,
		    "topics.partitions.default: 0 is below the minimum 1");
	expect_diag(6, f, 5, 33,
		    "topics.partitions: 'bad/topic' is not a valid topic name "
		    "(1 to 249 of a-z A-Z 0-9 . _ -)");
	expect_diag(7, f, 5, 52,
		    "topics.partitions.big: 10001 is above the maximum 10000");
	expect_diag(8, f, 6, 28,
		    "kafka.security.protocol: expected a scalar value, got a "
		    "list");
	expect_diag(9, f, 7, 16,
		    "offsets.topic: '..' is not a valid topic name (1 to 249 "
		    "of a-z A-Z 0-9 . _ -)");
	expect_diag(10, f, 8, 20,
		    "plugin.path[1]: expected a string, got a map");
	config_free_worker(&w);
}
END_TEST

/* Keys the host's delivery guarantees rest on cannot be overridden. */
START_TEST(worker_host_owned_kafka_keys)
{
	const char *f = "worker/host-owned.yaml";
	struct worker_config w;
	ck_assert_int_eq(
		config_load_worker(&w, FIX("worker/host-owned.yaml"), &d), -1);
	expect_count(3);
	expect_diag(0, f, 1, 33,
		    "kafka.enable.auto.commit: set by sluice itself and cannot "
		    "be changed here");
	expect_diag(
		1, f, 1, 61,
		"kafka.group.id: set by sluice itself and cannot be changed "
		"here");
	expect_diag(2, f, 2, 25,
		    "offsets.flush.interval: must be at least 10ms");
	ck_assert_uint_eq(w.kafka_n, 1);
	ck_assert_str_eq(w.kafka[0].key, "security.protocol");
	ck_assert_int_eq(w.offsets_flush_ms, 1000);
	config_free_worker(&w);
}
END_TEST

START_TEST(worker_env_expanded)
{
	struct worker_config w;
	setenv("SLUICE_TEST_SERVERS", "k1:9092,k2:9092", 1);
	ck_assert_int_eq(config_load_worker(&w, FIX("worker/env.yaml"), &d), 0);
	unsetenv("SLUICE_TEST_SERVERS");
	expect_count(0);
	ck_assert_str_eq(w.bootstrap_servers, "k1:9092,k2:9092");
	config_free_worker(&w);
}
END_TEST

START_TEST(worker_env_unset)
{
	struct worker_config w;
	unsetenv("SLUICE_TEST_UNSET_VARIABLE");
	ck_assert_int_eq(
		config_load_worker(&w, FIX("worker/env-unset.yaml"), &d), -1);
	expect_count(1);
	expect_diag(0, "worker/env-unset.yaml", 2, 20,
		    "environment variable 'SLUICE_TEST_UNSET_VARIABLE' is not "
		    "set");
	/* The rest is still usable defaults, and freeable. */
	ck_assert_str_eq(w.bootstrap_servers, "embedded");
	config_free_worker(&w);
}
END_TEST

START_TEST(worker_missing_file)
{
	struct worker_config w;
	ck_assert_int_eq(config_load_worker(&w, FIX("worker/nope.yaml"), &d),
			 -1);
	expect_count(1);
	ck_assert_str_eq(d.v[0].file, FIX("worker/nope.yaml"));
	config_free_worker(&w);
}
END_TEST

/* ---- one connector file ---- */

/* Loads a connector fixture that must fail, with `n` diagnostics. */
static void load_bad(const char *rel, size_t n)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", TEST_DATA_DIR, rel);
	ck_assert_ptr_null(config_load_connector(path, &d));
	expect_count(n);
}

START_TEST(connector_every_field)
{
	struct connector_config *c =
		config_load_connector(FIX("connector/full.yaml"), &d);
	expect_count(0);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->file, FIX("connector/full.yaml"));
	ck_assert_str_eq(c->name, "bronze");
	ck_assert_int_eq(c->line, 1);
	ck_assert_int_eq(c->col, 7);
	ck_assert_str_eq(c->plugin, "transform-bronze");
	ck_assert_int_eq(c->plugin_line, 2);
	ck_assert_int_eq(c->plugin_col, 9);
	ck_assert_int_eq(c->tasks_max, 3);
	ck_assert_uint_eq(c->topics_n, 1);
	ck_assert_str_eq(c->topics[0], "transaction_logs");
	ck_assert_uint_eq(c->outputs_n, 2);
	ck_assert_str_eq(c->outputs[0].name, "out");
	ck_assert_str_eq(c->outputs[0].topic, "bronze_transactions");
	ck_assert_int_eq(c->outputs[0].from_topic, 0);
	ck_assert_str_eq(c->outputs[1].name, "quarantine");
	ck_assert_int_eq(c->outputs[1].line, 5);
	ck_assert_int_eq(c->outputs[1].col, 37);
	ck_assert_ptr_nonnull(c->config);
	ck_assert_str_eq(ytree_get(c->config, "strict")->value, "true");
	ck_assert_int_eq(c->errors.tolerance, TOLERANCE_ALL);
	ck_assert_str_eq(c->errors.dlq_topic, "bronze-dlq");
	ck_assert_int_eq(c->errors.retry_timeout_ms, 60000);
	ck_assert_int_eq(c->errors.retry_max_backoff_ms, 10000);
	ck_assert_int_eq(c->errors.log_errors, 0);
	ck_assert_uint_eq(c->transforms_n, 2);
	ck_assert_str_eq(c->transforms[0].plugin, "transform-mask");
	ck_assert_int_eq(c->transforms[0].line, 15);
	ck_assert_int_eq(c->transforms[0].col, 13);
	ck_assert_str_eq(ytree_get(c->transforms[0].config, "field")->value,
			 "email");
	ck_assert_ptr_null(c->transforms[1].config);
	config_free_connector(c);
}
END_TEST

START_TEST(connector_defaults)
{
	struct connector_config *c =
		config_load_connector(FIX("connector/defaults.yaml"), &d);
	expect_count(0);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->tasks_max, 1);
	ck_assert_uint_eq(c->topics_n, 0);
	ck_assert_uint_eq(c->outputs_n, 1);
	ck_assert_ptr_null(c->outputs[0].name);
	ck_assert_int_eq(c->outputs[0].from_topic, 1);
	ck_assert_str_eq(c->outputs[0].topic, "transaction_logs");
	ck_assert_ptr_null(c->config);
	ck_assert_int_eq(c->errors.tolerance, TOLERANCE_NONE);
	ck_assert_ptr_null(c->errors.dlq_topic);
	ck_assert_int_eq(c->errors.retry_timeout_ms, 300000);
	ck_assert_int_eq(c->errors.retry_max_backoff_ms, 60000);
	ck_assert_int_eq(c->errors.log_errors, 1);
	ck_assert_uint_eq(c->transforms_n, 0);
	config_free_connector(c);
}
END_TEST

START_TEST(connector_missing_field)
{
	load_bad("connector/missing-name.yaml", 1);
	expect_diag(0, "connector/missing-name.yaml", 1, 1,
		    "name: missing required field");
}
END_TEST

START_TEST(connector_wrong_type)
{
	const char *f = "connector/wrong-type.yaml";
	load_bad(f, 3);
	expect_diag(0, f, 1, 7, "name: expected a string, got a list");
	expect_diag(1, f, 3, 12, "tasks.max: expected an integer, got 'many'");
	expect_diag(2, f, 4, 8, "topic: expected a string, got a map");
}
END_TEST

START_TEST(connector_out_of_range)
{
	load_bad("connector/range-low.yaml", 1);
	expect_diag(0, "connector/range-low.yaml", 3, 12,
		    "tasks.max: 0 is below the minimum 1");
	diags_free(&d);
	load_bad("connector/range-high.yaml", 1);
	expect_diag(0, "connector/range-high.yaml", 3, 12,
		    "tasks.max: 257 is above the maximum 256");
}
END_TEST

START_TEST(connector_unknown_key)
{
	const char *f = "connector/unknown-key.yaml";
	load_bad(f, 3);
	expect_diag(0, f, 3, 1,
		    "unknown key 'tasks.mx'; did you mean 'tasks.max'?");
	expect_diag(1, f, 5, 10,
		    "unknown key 'errors.tolrance'; did you mean "
		    "'errors.tolerance'?");
	expect_diag(2, f, 5, 25, "unknown key 'errors.zzz'");
}
END_TEST

START_TEST(connector_bad_duration_and_bool)
{
	const char *f = "connector/bad-units.yaml";
	load_bad(f, 3);
	expect_diag(0, f, 5, 18,
		    "errors.retry.timeout: expected a duration such as 250ms, "
		    "30s or 5m, got 'soon'");
	expect_diag(1, f, 6, 20,
		    "errors.retry.delay.max: a duration needs a unit (ms, s, "
		    "m, h or d): '5'");
	expect_diag(2, f, 7, 15,
		    "errors.log.enable: expected true or false, got 'maybe'");
}
END_TEST

START_TEST(connector_three_errors_in_order)
{
	const char *f = "connector/three-errors.yaml";
	load_bad(f, 3);
	expect_diag(0, f, 1, 7,
		    "name: 'bad name' is not a valid connector name (1 to 64 "
		    "of a-z A-Z 0-9 . _ -)");
	expect_diag(1, f, 3, 12, "tasks.max: expected an integer, got 'many'");
	expect_diag(2, f, 4, 14,
		    "topics[1]: 'not ok' is not a valid topic name (1 to 249 "
		    "of a-z A-Z 0-9 . _ -)");
}
END_TEST

START_TEST(connector_state)
{
	struct connector_config *c =
		config_load_connector(FIX("connector/state.yaml"), &d);
	expect_count(0);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->state.max_bytes, 64 * 1024 * 1024);
	ck_assert_int_eq(c->state.commit_interval_ms, 250);
	ck_assert_int_eq(c->state.snapshot_bytes, 512 * 1024);
	ck_assert_int_eq(c->state.commit_records, 0);
	config_free_connector(c);
	c = config_load_connector(FIX("connector/defaults.yaml"), &d);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->state.max_bytes, 256 * 1024 * 1024);
	ck_assert_int_eq(c->state.commit_interval_ms, 1000);
	ck_assert_int_eq(c->state.snapshot_bytes, 1024 * 1024);
	ck_assert_int_eq(c->state.commit_records, 2000);
	config_free_connector(c);

	const char *f = "connector/state-bad.yaml";
	load_bad(f, 5);
	expect_diag(0, f, 6, 3,
		    "unknown key 'state.max.byte'; did you mean "
		    "'state.max.bytes'?");
	expect_diag(1, f, 7, 14, "state.max.bytes: at least 1KiB");
	expect_diag(2, f, 8, 20, "state.commit.interval: at least 10ms");
	expect_diag(3, f, 9, 19, "state.snapshot.bytes: at least 1 byte");
	expect_diag(4, f, 10, 19,
		    "state.commit.records: -1 is below the minimum 0");
}
END_TEST

START_TEST(connector_tolerance)
{
	load_bad("connector/tolerance.yaml", 1);
	expect_diag(0, "connector/tolerance.yaml", 4, 21,
		    "errors.tolerance: 'some' is not one of none, all");
	diags_free(&d);
	load_bad("connector/dlq-missing.yaml", 1);
	expect_diag(0, "connector/dlq-missing.yaml", 5, 14,
		    "errors.deadletterqueue.topic: required when "
		    "errors.tolerance is all");
}
END_TEST

START_TEST(connector_not_a_map)
{
	load_bad("connector/not-a-map.yaml", 1);
	expect_diag(0, "connector/not-a-map.yaml", 1, 1,
		    "expected a map at the top level, got 'just a string'");
	diags_free(&d);
	load_bad("connector/list.yaml", 1);
	expect_diag(0, "connector/list.yaml", 1, 1,
		    "expected a map at the top level, got a list");
}
END_TEST

START_TEST(connector_bad_transforms)
{
	const char *f = "connector/transforms-bad.yaml";
	load_bad(f, 4);
	expect_diag(0, f, 5, 5, "transforms[0]: expected a map, got 'mask'");
	expect_diag(1, f, 6, 5,
		    "unknown key 'transforms[1].confg'; did you mean "
		    "'transforms[1].config'?");
	expect_diag(2, f, 6, 5, "transforms[1].plugin: missing required field");
	expect_diag(3, f, 8, 13,
		    "transforms[2].config: expected a map, got a list");
}
END_TEST

START_TEST(connector_env_expanded)
{
	setenv("SLUICE_TEST_TOPIC", "from_env", 1);
	struct connector_config *c =
		config_load_connector(FIX("connector/env.yaml"), &d);
	unsetenv("SLUICE_TEST_TOPIC");
	expect_count(0);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->outputs[0].topic, "from_env");
	config_free_connector(c);
}
END_TEST

START_TEST(connector_env_unset)
{
	unsetenv("SLUICE_TEST_UNSET_VARIABLE");
	load_bad("connector/env-unset.yaml", 1);
	expect_diag(0, "connector/env-unset.yaml", 3, 8,
		    "environment variable 'SLUICE_TEST_UNSET_VARIABLE' is not "
		    "set");
}
END_TEST

/* ---- a directory of connectors ---- */

START_TEST(dir_loads_in_name_order)
{
	struct connector_list l;
	ck_assert_int_eq(config_load_connectors(&l, FIX("dirs/good"), &d), 0);
	expect_count(0);
	ck_assert_uint_eq(l.n, 3);
	ck_assert_str_eq(l.v[0]->name, "faker");
	ck_assert_str_eq(l.v[0]->file, FIX("dirs/good/a-source.yaml"));
	ck_assert_str_eq(l.v[1]->name, "raw");
	ck_assert_str_eq(l.v[1]->file, FIX("dirs/good/b-sink.yml"));
	ck_assert_str_eq(l.v[2]->name, "bronze");
	config_free_connectors(&l);
	ck_assert_uint_eq(l.n, 0);
}
END_TEST

START_TEST(dir_empty)
{
	struct connector_list l;
	ck_assert_int_eq(config_load_connectors(&l, FIX("dirs/empty"), &d), 0);
	expect_count(0);
	ck_assert_uint_eq(l.n, 0);
	config_free_connectors(&l);
}
END_TEST

START_TEST(dir_missing)
{
	struct connector_list l;
	ck_assert_int_eq(config_load_connectors(&l, FIX("dirs/nope"), &d), -1);
	expect_count(1);
	ck_assert_ptr_null(d.v[0].file);
	ck_assert_str_eq(d.v[0].msg, "connectors directory '" TEST_DATA_DIR
				     "/dirs/nope' does not exist");
	ck_assert_uint_eq(l.n, 0);
	config_free_connectors(&l);
}
END_TEST

START_TEST(dir_duplicate_name)
{
	struct connector_list l;
	ck_assert_int_eq(config_load_connectors(&l, FIX("dirs/dup"), &d), -1);
	expect_count(1);
	expect_diag(
		0, "dirs/dup/b.yaml", 3, 7,
		"duplicate connector name 'x' (first defined at " TEST_DATA_DIR
		"/dirs/dup/a.yaml:1:7)");
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.v[0]->file, FIX("dirs/dup/a.yaml"));
	config_free_connectors(&l);
}
END_TEST

START_TEST(dir_broken_file_among_good)
{
	struct connector_list l;
	ck_assert_int_eq(config_load_connectors(&l, FIX("dirs/broken"), &d),
			 -1);
	expect_count(1);
	expect_diag(0, "dirs/broken/2-broken.yaml", 3, 1,
		    "did not find expected ',' or ']'");
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(l.v[0]->name, "first");
	ck_assert_str_eq(l.v[1]->name, "last");
	config_free_connectors(&l);
}
END_TEST

/* ---- checks against plugins ---- */

static const struct sluice_option faker_options[] = {
	{.name = "rate", .type = SLUICE_OPT_INT, .def = "10", .min = "1"},
	{0},
};
static const struct sluice_option s3_options[] = {
	{.name = "bucket",
	 .type = SLUICE_OPT_STRING,
	 .flags = SLUICE_OPT_REQUIRED},
	{0},
};
static const struct sluice_option mask_options[] = {
	{.name = "field", .type = SLUICE_OPT_STRING, .def = "email"},
	{0},
};
static const char *const bronze_outputs[] = {"out", "quarantine", NULL};

static const struct sluice_plugin faker = {
	SLUICE_PLUGIN_HEADER,
	.name = "source-faker",
	.kind = SLUICE_KIND_SOURCE,
	.options = faker_options,
};
static const struct sluice_plugin s3 = {
	SLUICE_PLUGIN_HEADER,
	.name = "sink-s3",
	.kind = SLUICE_KIND_SINK,
	.options = s3_options,
};
static const struct sluice_plugin bronze = {
	SLUICE_PLUGIN_HEADER,
	.name = "transform-bronze",
	.kind = SLUICE_KIND_TRANSFORM,
	.outputs = bronze_outputs,
};
static const struct sluice_plugin mask = {
	SLUICE_PLUGIN_HEADER,
	.name = "transform-mask",
	.kind = SLUICE_KIND_TRANSFORM,
	.options = mask_options,
};

/* In memory: no dlopen, the descriptors above stand for loaded plugins. */
static struct plugin plugins[] = {
	{.path = "/p/source-faker.so", .desc = &faker},
	{.path = "/p/sink-s3.so", .desc = &s3},
	{.path = "/p/transform-bronze.so", .desc = &bronze},
	{.path = "/p/transform-mask.so", .desc = &mask},
};
static const struct plugin_registry registry = {
	.v = plugins, .n = sizeof(plugins) / sizeof(plugins[0])};

/* Loads one fixture as a list of one and checks it against `reg`. */
static int check_one(const char *rel, const struct plugin_registry *reg,
		     struct connector_list *l)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", TEST_DATA_DIR, rel);
	*l = (struct connector_list){0};
	struct connector_config *c = config_load_connector(path, &d);
	expect_count(0);
	ck_assert_ptr_nonnull(c);
	l->v = malloc(sizeof(*l->v));
	ck_assert_ptr_nonnull(l->v);
	l->v[0] = c;
	l->n = 1;
	return config_check_plugins(l, reg, &d);
}

START_TEST(plugins_good_dir)
{
	struct connector_list l;
	ck_assert_int_eq(config_load_connectors(&l, FIX("dirs/good"), &d), 0);
	ck_assert_int_eq(config_check_plugins(&l, &registry, &d), 0);
	expect_count(0);
	/* The source's `topic` became its default output. */
	ck_assert_str_eq(l.v[0]->outputs[0].name, "out");
	const struct optval *rate = options_find(&l.v[0]->opts, "rate");
	ck_assert_ptr_nonnull(rate);
	ck_assert_int_eq(rate->num.i, 10);
	const struct optval *bucket = options_find(&l.v[1]->opts, "bucket");
	ck_assert_ptr_nonnull(bucket);
	ck_assert_str_eq(bucket->text, "raw");
	/* Checking again (a reload) gives the same, and leaks nothing. */
	ck_assert_int_eq(config_check_plugins(&l, &registry, &d), 0);
	expect_count(0);
	config_free_connectors(&l);
}
END_TEST

START_TEST(plugins_unknown)
{
	struct connector_list l;
	const char *f = "plugins/unknown.yaml";
	ck_assert_int_eq(check_one(f, &registry, &l), -1);
	expect_count(1);
	expect_diag(
		0, f, 2, 9,
		"plugin: unknown plugin 'sink-s4'; did you mean 'sink-s3'?");
	config_free_connectors(&l);
}
END_TEST

START_TEST(plugins_unknown_lists_available)
{
	struct connector_list l;
	const char *f = "plugins/unknown-far.yaml";
	ck_assert_int_eq(check_one(f, &registry, &l), -1);
	expect_count(1);
	expect_diag(0, f, 2, 9,
		    "plugin: unknown plugin 'zzzzzzzz'; available: "
		    "source-faker, sink-s3, transform-bronze, transform-mask");
	config_free_connectors(&l);
}
END_TEST

START_TEST(plugins_none_loaded)
{
	struct connector_list l;
	const struct plugin_registry empty = {0};
	const char *f = "plugins/unknown.yaml";
	ck_assert_int_eq(check_one(f, &empty, &l), -1);
	expect_count(1);
	expect_diag(0, f, 2, 9,
		    "plugin: unknown plugin 'sink-s4'; no plugins found on "
		    "plugin.path");
	config_free_connectors(&l);
}
END_TEST

START_TEST(plugins_source_reads_no_topics)
{
	struct connector_list l;
	const char *f = "plugins/source-topics.yaml";
	ck_assert_int_eq(check_one(f, &registry, &l), -1);
	expect_count(2);
	expect_diag(0, f, 3, 1,
		    "topics: source plugin 'source-faker' reads no topics");
	expect_diag(1, f, 2, 9,
		    "topic: missing required field for source plugin "
		    "'source-faker' (or give outputs)");
	config_free_connectors(&l);
}
END_TEST

START_TEST(plugins_sink_writes_no_topic)
{
	struct connector_list l;
	const char *f = "plugins/sink-topic.yaml";
	ck_assert_int_eq(check_one(f, &registry, &l), -1);
	expect_count(2);
	expect_diag(0, f, 2, 9,
		    "topics: missing required field for sink plugin 'sink-s3'");
	expect_diag(1, f, 3, 1, "topic: sink plugin 'sink-s3' writes no topic");
	config_free_connectors(&l);
}
END_TEST

START_TEST(plugins_transform_needs_both)
{
	struct connector_list l;
	const char *f = "plugins/transform-bare.yaml";
	ck_assert_int_eq(check_one(f, &registry, &l), -1);
	expect_count(2);
	expect_diag(0, f, 2, 9,
		    "topics: missing required field for transform plugin "
		    "'transform-bronze'");
	expect_diag(1, f, 2, 9,
		    "topic: missing required field for transform plugin "
		    "'transform-bronze' (or give outputs)");
	config_free_connectors(&l);
}
END_TEST

START_TEST(plugins_unmapped_output)
{
	struct connector_list l;
	const char *f = "plugins/unmapped.yaml";
	ck_assert_int_eq(check_one(f, &registry, &l), -1);
	expect_count(1);
	expect_diag(0, f, 4, 1,
		    "outputs: output 'quarantine' of plugin 'transform-bronze' "
		    "is not mapped to a topic");
	config_free_connectors(&l);
}
END_TEST

START_TEST(plugins_unknown_output)
{
	struct connector_list l;
	const char *f = "plugins/bad-output.yaml";
	ck_assert_int_eq(check_one(f, &registry, &l), -1);
	expect_count(2);
	expect_diag(0, f, 6, 3,
		    "outputs.quarntine: the plugin 'transform-bronze' has no "
		    "output 'quarntine'; did you mean 'quarantine'?");
	expect_diag(1, f, 4, 1,
		    "outputs: output 'quarantine' of plugin 'transform-bronze' "
		    "is not mapped to a topic");
	config_free_connectors(&l);
}
END_TEST

START_TEST(plugins_default_output_twice)
{
	struct connector_list l;
	const char *f = "plugins/default-twice.yaml";
	ck_assert_int_eq(check_one(f, &registry, &l), -1);
	expect_count(1);
	expect_diag(0, f, 4, 11,
		    "outputs.out: the default output 'out' is already mapped "
		    "by topic (line 5)");
	config_free_connectors(&l);
}
END_TEST

START_TEST(plugins_transform_chain)
{
	struct connector_list l;
	const char *f = "plugins/transforms.yaml";
	ck_assert_int_eq(check_one(f, &registry, &l), -1);
	expect_count(2);
	expect_diag(0, f, 7, 13,
		    "transforms[1].plugin: unknown plugin 'transform-msk'; did "
		    "you mean 'transform-mask'?");
	expect_diag(1, f, 8, 13,
		    "transforms[2].plugin: plugin 'sink-s3' is a sink, not a "
		    "transform");
	const struct optval *field =
		options_find(&l.v[0]->transforms[0].opts, "field");
	ck_assert_ptr_nonnull(field);
	ck_assert_str_eq(field->text, "card");
	config_free_connectors(&l);
}
END_TEST

START_TEST(plugins_options_checked)
{
	struct connector_list l;
	const char *f = "plugins/options.yaml";
	ck_assert_int_eq(check_one(f, &registry, &l), -1);
	expect_count(2);
	expect_diag(0, f, 5, 3,
		    "config.bukket: unknown option for plugin 'sink-s3'; did "
		    "you mean 'bucket'?");
	expect_diag(1, f, 4, 1,
		    "config: missing required option 'bucket' (plugin "
		    "'sink-s3')");
	config_free_connectors(&l);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *w = tcase_create("worker");
	TCase *c = tcase_create("connector");
	TCase *dir = tcase_create("directory");
	TCase *p = tcase_create("plugins");
	TCase *all[] = {w, c, dir, p};
	for (size_t i = 0; i < 4; i++) {
		tcase_add_checked_fixture(all[i], setup, teardown);
		suite_add_tcase(s, all[i]);
	}
	tcase_add_test(w, worker_defaults_without_file);
	tcase_add_test(w, worker_empty_file);
	tcase_add_test(w, worker_every_key);
	tcase_add_test(w, worker_one_relative_path);
	tcase_add_test(w, worker_not_a_map);
	tcase_add_test(w, worker_every_error_at_once);
	tcase_add_test(w, worker_host_owned_kafka_keys);
	tcase_add_test(w, worker_env_expanded);
	tcase_add_test(w, worker_env_unset);
	tcase_add_test(w, worker_missing_file);
	tcase_add_test(c, connector_every_field);
	tcase_add_test(c, connector_defaults);
	tcase_add_test(c, connector_missing_field);
	tcase_add_test(c, connector_wrong_type);
	tcase_add_test(c, connector_out_of_range);
	tcase_add_test(c, connector_unknown_key);
	tcase_add_test(c, connector_bad_duration_and_bool);
	tcase_add_test(c, connector_three_errors_in_order);
	tcase_add_test(c, connector_tolerance);
	tcase_add_test(c, connector_state);
	tcase_add_test(c, connector_not_a_map);
	tcase_add_test(c, connector_bad_transforms);
	tcase_add_test(c, connector_env_expanded);
	tcase_add_test(c, connector_env_unset);
	tcase_add_test(dir, dir_loads_in_name_order);
	tcase_add_test(dir, dir_empty);
	tcase_add_test(dir, dir_missing);
	tcase_add_test(dir, dir_duplicate_name);
	tcase_add_test(dir, dir_broken_file_among_good);
	tcase_add_test(p, plugins_good_dir);
	tcase_add_test(p, plugins_unknown);
	tcase_add_test(p, plugins_unknown_lists_available);
	tcase_add_test(p, plugins_none_loaded);
	tcase_add_test(p, plugins_source_reads_no_topics);
	tcase_add_test(p, plugins_sink_writes_no_topic);
	tcase_add_test(p, plugins_transform_needs_both);
	tcase_add_test(p, plugins_unmapped_output);
	tcase_add_test(p, plugins_unknown_output);
	tcase_add_test(p, plugins_default_output_twice);
	tcase_add_test(p, plugins_transform_chain);
	tcase_add_test(p, plugins_options_checked);
	return s;
}

int main(void)
{
	SRunner *r = srunner_create(config_suite());
	srunner_run_all(r, CK_NORMAL);
	int failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
