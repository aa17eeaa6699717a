# sink-s3 tests. Units and the plugin through the mock host need no
# server; the S3 and whole-worker tests need the test radosgw (S3_ENDPOINT
# and the keys in the environment, as scripts/test exports them) and are
# skipped (exit 77) without it.
sink_s3_sources = $(plugins_sink_s3_sink_s3_la_SOURCES)
sink_s3_test_cppflags = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/sink-s3 \
	-I$(top_srcdir)/tests \
	-DSAMPLE_EVENTS='"$(abs_top_srcdir)/tests/sink-s3/sample-events.jsonl"'
sink_s3_test_cflags = $(test_cflags) $(CURL_CFLAGS) $(ZLIB_CFLAGS)
sink_s3_test_libs = $(CHECK_LIBS) $(CURL_LIBS) $(JSONC_LIBS) $(ZLIB_LIBS) \
	$(PTHREAD_LIBS)
EXTRA_DIST += tests/sink-s3/sample-events.jsonl

check_PROGRAMS += tests/test_sink_s3_units
TESTS += tests/test_sink_s3_units
tests_test_sink_s3_units_SOURCES = tests/test_sink_s3_units.c \
	$(sink_s3_sources)
tests_test_sink_s3_units_CPPFLAGS = $(sink_s3_test_cppflags)
tests_test_sink_s3_units_CFLAGS = $(sink_s3_test_cflags)
tests_test_sink_s3_units_LDADD = $(sink_s3_test_libs)
UNIT_TESTS += tests/test_sink_s3_units

check_PROGRAMS += tests/test_sink_s3_batch
TESTS += tests/test_sink_s3_batch
UNIT_TESTS += tests/test_sink_s3_batch
tests_test_sink_s3_batch_SOURCES = tests/test_sink_s3_batch.c \
	tests/sink-s3/snapshot_scenario.h \
	tests/mock_host.c tests/mock_host.h tests/mock_state.c tests/mock_state.h $(sink_s3_sources)
tests_test_sink_s3_batch_CPPFLAGS = $(sink_s3_test_cppflags)
tests_test_sink_s3_batch_CFLAGS = $(sink_s3_test_cflags)
tests_test_sink_s3_batch_LDADD = $(sink_s3_test_libs) -lm

# Against the test radosgw (skipped without it).
check_PROGRAMS += tests/test_sink_s3_s3
TESTS += tests/test_sink_s3_s3
tests_test_sink_s3_s3_SOURCES = tests/test_sink_s3_s3.c \
	tests/sink-s3/snapshot_scenario.h \
	tests/sink_s3_env.c tests/sink_s3_env.h \
	tests/mock_host.c tests/mock_host.h tests/mock_state.c tests/mock_state.h $(sink_s3_sources)
tests_test_sink_s3_s3_CPPFLAGS = $(sink_s3_test_cppflags)
tests_test_sink_s3_s3_CFLAGS = $(sink_s3_test_cflags)
tests_test_sink_s3_s3_LDADD = $(sink_s3_test_libs) -lm

# In a real worker: `sluice run` against a broker inside the test; an
# integration test (make check-integration), with its own log rule.
check_PROGRAMS += tests/test_sink_s3_worker
INTEGRATION_TESTS += tests/test_sink_s3_worker
tests/test_sink_s3_worker.log: tests/test_sink_s3_worker$(EXEEXT)
	@p='tests/test_sink_s3_worker$(EXEEXT)'; \
	b='tests/test_sink_s3_worker'; \
	$(am__check_pre) $(LOG_DRIVER) --test-name "$$f" \
	--log-file $$b.log --trs-file $$b.trs \
	$(am__common_driver_flags) $(AM_LOG_DRIVER_FLAGS) $(LOG_DRIVER_FLAGS) -- $(LOG_COMPILE) \
	"$$tst" $(AM_TESTS_FD_REDIRECT)
tests_test_sink_s3_worker_SOURCES = tests/test_sink_s3_worker.c \
	tests/sink_s3_env.c tests/sink_s3_env.h \
	tests/rt_harness.c tests/rt_harness.h $(sink_s3_sources)
tests_test_sink_s3_worker_CPPFLAGS = $(sink_s3_test_cppflags) \
	-DSLUICE_BIN='"$(abs_top_builddir)/sluice$(EXEEXT)"' \
	-DSINK_S3_PLUGIN_DIR='"$(abs_top_builddir)/plugins/sink-s3/.libs"'
tests_test_sink_s3_worker_CFLAGS = $(sink_s3_test_cflags)
tests_test_sink_s3_worker_LDADD = $(test_ldadd) $(sink_s3_test_libs)
