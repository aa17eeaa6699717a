# The runtime end to end: `sluice run` as a child process against a broker
# inside the test, with the test plugins of tests/runtime.mk.
check_PROGRAMS += tests/test_runtime
TESTS += tests/test_runtime
tests_test_runtime_SOURCES = tests/test_runtime.c
tests_test_runtime_CFLAGS = $(test_cflags) \
	-DSLUICE_BIN='"$(abs_top_builddir)/sluice$(EXEEXT)"' \
	-DRT_PLUGIN_DIR='"$(abs_top_builddir)/tests/rt/.libs"'
tests_test_runtime_LDADD = $(test_ldadd)
