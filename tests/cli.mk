# The command line, run as a separate process.
check_PROGRAMS += tests/test_cli
TESTS += tests/test_cli
tests_test_cli_SOURCES = tests/test_cli.c
tests_test_cli_CFLAGS = $(test_cflags) \
	-DSLUICE_BIN='"$(abs_top_builddir)/sluice"' \
	-DPLUGIN_DIR='"$(abs_top_builddir)/tests/plugins/.libs"' \
	-DSILVER_PLUGIN='"$(abs_top_builddir)/plugins/transform-silver/.libs/transform-silver.so"'
tests_test_cli_LDADD = $(CHECK_LIBS)
