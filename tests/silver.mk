# transform-silver: unit tests. test_silver links the plugin's sources and
# drives them through the descriptor with the mock host (its state store
# survives close/open, as the host's does across a restart); the stream
# test also loads the built source-faker and transform-bronze plugins.
check_PROGRAMS += tests/test_silver
TESTS += tests/test_silver
UNIT_TESTS += tests/test_silver
tests_test_silver_SOURCES = tests/test_silver.c \
	tests/mock_host.c tests/mock_host.h tests/mock_state.c tests/mock_state.h \
	$(plugins_transform_silver_transform_silver_la_SOURCES)
tests_test_silver_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/plugins/transform-silver \
	-I$(top_srcdir)/plugins/common -I$(top_srcdir)/tests \
	-DSAMPLE_EVENTS='"$(abs_top_srcdir)/tests/bronze/sample-events.jsonl"' \
	-DBUILDDIR='"$(abs_top_builddir)"'
tests_test_silver_CFLAGS = $(test_cflags)
tests_test_silver_LDADD = plugins/common/libsluiceplugin.la $(CHECK_LIBS) \
	$(JSONC_LIBS) -lm
include bench/silver.mk
