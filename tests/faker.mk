# source-faker unit tests: the plugin's sources linked in, driven through
# its descriptor by the mock host (tests/mock_host.c, for any plugin).
check_PROGRAMS += tests/test_faker
TESTS += tests/test_faker
tests_test_faker_SOURCES = tests/test_faker.c \
	tests/mock_host.c tests/mock_host.h tests/mock_state.c tests/mock_state.h \
	$(plugins_source_faker_source_faker_la_SOURCES)
tests_test_faker_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/plugins/source-faker -I$(top_srcdir)/tests
tests_test_faker_CFLAGS = $(test_cflags)
tests_test_faker_LDADD = $(CHECK_LIBS) $(JSONC_LIBS) -lm
