# The pipeline page in headless Chromium, `sluice status` and the
# /sluice paths against the shipped pipeline on a `sluice broker`
# (issue 8): an integration test, a shell script like tests/pipeline.sh
# (TEST_EXTENSIONS has .sh, so automake's .sh.log rule runs it).
INTEGRATION_TESTS += tests/page.sh
EXTRA_DIST += tests/page.sh

# `sluice graph` against the shipped connectors.d, exact DOT text, and
# the text of `sluice status` from a fixed answer: unit tests.
TESTS += tests/graph.sh
EXTRA_DIST += tests/graph.sh tests/graph/shipped.dot
check_PROGRAMS += tests/test_status
TESTS += tests/test_status
UNIT_TESTS += tests/test_status
tests_test_status_SOURCES = tests/test_status.c
tests_test_status_CFLAGS = $(test_cflags)
tests_test_status_LDADD = $(test_ldadd) $(JSONC_LIBS)
