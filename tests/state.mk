# The state store (host/state.c): the map, its limits and the changelog
# replay, without Kafka.
check_PROGRAMS += tests/test_state
TESTS += tests/test_state
UNIT_TESTS += tests/test_state
tests_test_state_SOURCES = tests/test_state.c
tests_test_state_CFLAGS = $(test_cflags)
tests_test_state_LDADD = $(test_ldadd)

# The state store end to end (make check-integration, next to
# tests/test_runtime): `sluice run` as a child with the stateful test
# transform tests/rt/count-state.c, SIGKILLs and restores.
check_LTLIBRARIES += tests/rt/count-state.la
tests_rt_count_state_la_SOURCES = tests/rt/count-state.c
tests_rt_count_state_la_LDFLAGS = $(test_plugin_ldflags)

check_PROGRAMS += tests/test_state_rt
tests_test_state_rt_SOURCES = tests/test_state_rt.c \
	tests/rt_harness.c tests/rt_harness.h
tests_test_state_rt_CFLAGS = $(test_cflags) \
	-DSLUICE_BIN='"$(abs_top_builddir)/sluice$(EXEEXT)"' \
	-DRT_PLUGIN_DIR='"$(abs_top_builddir)/tests/rt/.libs"'
tests_test_state_rt_LDADD = $(test_ldadd)

INTEGRATION_TESTS += tests/test_state_rt
# Not in TESTS, so automake writes no log rule for it; this is its rule.
tests/test_state_rt.log: tests/test_state_rt$(EXEEXT)
	@p='tests/test_state_rt$(EXEEXT)'; \
	b='tests/test_state_rt'; \
	$(am__check_pre) $(LOG_DRIVER) --test-name "$$f" \
	--log-file $$b.log --trs-file $$b.trs \
	$(am__common_driver_flags) $(AM_LOG_DRIVER_FLAGS) $(LOG_DRIVER_FLAGS) -- $(LOG_COMPILE) \
	"$$tst" $(AM_TESTS_FD_REDIRECT)

# Fixtures of test_config's connector_state.
EXTRA_DIST += tests/config/connector/state.yaml \
	tests/config/connector/state-bad.yaml

# Origin stamps (host/origin.c): the header and the marks, without Kafka.
check_PROGRAMS += tests/test_origin
TESTS += tests/test_origin
UNIT_TESTS += tests/test_origin
tests_test_origin_SOURCES = tests/test_origin.c
tests_test_origin_CFLAGS = $(test_cflags)
tests_test_origin_LDADD = $(test_ldadd)
