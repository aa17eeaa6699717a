# Unit tests (Check) and integration tests. Every test runs through
# tests/run-test, which runs it under valgrind when SLUICE_VALGRIND=1.
test_cflags = $(AM_CFLAGS) $(CHECK_CFLAGS) $(RDKAFKA_CFLAGS) $(JSONC_CFLAGS) \
	$(YAML_CFLAGS)
test_ldadd = libsluicehost.la $(CHECK_LIBS)

AM_TESTS_ENVIRONMENT = \
	top_builddir='$(abs_top_builddir)'; top_srcdir='$(abs_top_srcdir)'; \
	export top_builddir top_srcdir;
LOG_COMPILER = $(top_srcdir)/tests/run-test
SH_LOG_COMPILER = $(top_srcdir)/tests/run-test
TEST_EXTENSIONS = .sh
EXTRA_DIST += tests/run-test

# The unit tests under valgrind (memcheck; leaks are errors). Integration
# tests, which spawn workers and brokers, are left out.
INTEGRATION_TESTS =
UNIT_TESTS = tests/test_units tests/test_ytree tests/test_options \
	tests/test_config tests/test_loader tests/test_faker tests/test_arena \
	tests/test_tracker
check-valgrind:
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(UNIT_TESTS)' SLUICE_VALGRIND=1

# make distcheck with the unit and CLI tests only: the tarball builds,
# installs and passes them on its own (scripts/test runs the rest).
distcheck-quick:
	$(MAKE) $(AM_MAKEFLAGS) distcheck TESTS='$(UNIT_TESTS) tests/test_cli'
.PHONY: check-valgrind distcheck-quick

include tests/config.mk
include tests/arena.mk
include tests/tracker.mk
include tests/loader.mk
include tests/broker.mk
include tests/cli.mk
include tests/connectors.mk
include tests/runtime.mk
include tests/faker.mk
include tests/runtime-tests.mk
include tests/sink-s3.mk
include tests/bronze.mk
include tests/state.mk
include tests/state-sigterm.mk
include tests/gold.mk
include tests/silver.mk
include tests/table.mk
include tests/page.mk
include tests/e2e.mk
