# transform-gold unit tests: the plugin's sources driven through its
# descriptor by the mock host (its state store survives close/open, as
# the host's does a restart). source-faker's sources come in as a
# convenience library with its entry point renamed, so the test can make
# events in process for the from-scratch comparison.
check_LTLIBRARIES += tests/libgoldfaker.la
tests_libgoldfaker_la_SOURCES = $(plugins_source_faker_source_faker_la_SOURCES)
tests_libgoldfaker_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-Dsluice_plugin_entry=faker_plugin_entry
tests_libgoldfaker_la_CFLAGS = $(AM_CFLAGS)

check_PROGRAMS += tests/test_gold
TESTS += tests/test_gold
UNIT_TESTS += tests/test_gold
tests_test_gold_SOURCES = tests/test_gold.c \
	tests/mock_host.c tests/mock_host.h tests/mock_state.c tests/mock_state.h \
	$(plugins_transform_gold_transform_gold_la_SOURCES)
tests_test_gold_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/plugins/transform-gold \
	-I$(top_srcdir)/plugins/common -I$(top_srcdir)/tests
tests_test_gold_CFLAGS = $(test_cflags)
tests_test_gold_LDADD = tests/libgoldfaker.la \
	plugins/common/libsluiceplugin.la $(CHECK_LIBS) $(JSONC_LIBS) -lm
