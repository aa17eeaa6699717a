# Loader: test-only plugins (built by `make check`, never installed), one
# per way a plugin can be refused, and the unit test that loads them.
# dup-name lives in its own folder so that scanning tests/plugins/.libs
# never meets two plugins called good-source.
check_LTLIBRARIES += \
	tests/plugins/good-source.la tests/plugins/good-sink.la \
	tests/plugins/good-transform.la tests/plugins/open-fails.la \
	tests/plugins/bad-major.la tests/plugins/newer-minor.la \
	tests/plugins/short-struct.la tests/plugins/no-entry.la \
	tests/plugins/bad-options.la tests/plugins/wrong-callbacks.la \
	tests/plugins/dup/dup-name.la
tests_plugins_good_source_la_LDFLAGS = $(test_plugin_ldflags)
tests_plugins_good_sink_la_LDFLAGS = $(test_plugin_ldflags)
tests_plugins_good_transform_la_LDFLAGS = $(test_plugin_ldflags)
tests_plugins_open_fails_la_LDFLAGS = $(test_plugin_ldflags)
tests_plugins_bad_major_la_LDFLAGS = $(test_plugin_ldflags)
tests_plugins_newer_minor_la_LDFLAGS = $(test_plugin_ldflags)
tests_plugins_short_struct_la_LDFLAGS = $(test_plugin_ldflags)
tests_plugins_bad_options_la_LDFLAGS = $(test_plugin_ldflags)
tests_plugins_wrong_callbacks_la_LDFLAGS = $(test_plugin_ldflags)
tests_plugins_dup_dup_name_la_LDFLAGS = $(test_plugin_ldflags)
# Not a plugin, so not limited to exporting the entry point it lacks.
tests_plugins_no_entry_la_LDFLAGS = -module -avoid-version -shared \
	-rpath /nowhere

check_PROGRAMS += tests/test_loader
TESTS += tests/test_loader
tests_test_loader_SOURCES = tests/test_loader.c
tests_test_loader_CFLAGS = $(test_cflags) \
	-DTEST_PLUGIN_DIR='"$(abs_top_builddir)/tests/plugins"'
tests_test_loader_LDADD = $(test_ldadd)

# Run by hand against an installed tree: sh tests/out-of-tree.sh PREFIX
EXTRA_DIST += tests/out-of-tree.sh
