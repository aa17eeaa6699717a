# transform-bronze and the plugins' common library (expressions,
# expectations): unit tests. test_bronze drives the plugin's sources
# through its descriptor with the mock host.
check_PROGRAMS += tests/test_bronze
TESTS += tests/test_bronze
UNIT_TESTS += tests/test_bronze
tests_test_bronze_SOURCES = tests/test_bronze.c \
	tests/mock_host.c tests/mock_host.h tests/mock_state.c tests/mock_state.h \
	$(plugins_transform_bronze_transform_bronze_la_SOURCES)
tests_test_bronze_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/plugins/transform-bronze \
	-I$(top_srcdir)/plugins/common -I$(top_srcdir)/tests \
	-DSAMPLE_EVENTS='"$(abs_top_srcdir)/tests/bronze/sample-events.jsonl"'
tests_test_bronze_CFLAGS = $(test_cflags)
tests_test_bronze_LDADD = plugins/common/libsluiceplugin.la $(CHECK_LIBS) \
	$(JSONC_LIBS) -lm
EXTRA_DIST += tests/bronze/sample-events.jsonl

check_PROGRAMS += tests/test_expr
TESTS += tests/test_expr
UNIT_TESTS += tests/test_expr
tests_test_expr_SOURCES = tests/test_expr.c
tests_test_expr_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/common \
	-DSAMPLE_EVENTS='"$(abs_top_srcdir)/tests/bronze/sample-events.jsonl"'
tests_test_expr_CFLAGS = $(test_cflags)
tests_test_expr_LDADD = plugins/common/libsluiceplugin.la $(CHECK_LIBS) \
	$(JSONC_LIBS) -lm

check_PROGRAMS += tests/test_jdoc
TESTS += tests/test_jdoc
UNIT_TESTS += tests/test_jdoc
tests_test_jdoc_SOURCES = tests/test_jdoc.c
tests_test_jdoc_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/common
tests_test_jdoc_CFLAGS = $(test_cflags)
tests_test_jdoc_LDADD = plugins/common/libsluiceplugin.la $(CHECK_LIBS) \
	$(JSONC_LIBS) -lm
