# Unit tests of units.c, ytree.c and options.c.
check_PROGRAMS += tests/test_units tests/test_ytree tests/test_options
TESTS += tests/test_units tests/test_ytree tests/test_options

tests_test_units_SOURCES = tests/test_units.c
tests_test_units_CFLAGS = $(test_cflags)
tests_test_units_LDADD = $(test_ldadd)

tests_test_ytree_SOURCES = tests/test_ytree.c
tests_test_ytree_CFLAGS = $(test_cflags)
tests_test_ytree_LDADD = $(test_ldadd)

tests_test_options_SOURCES = tests/test_options.c
tests_test_options_CFLAGS = $(test_cflags)
tests_test_options_LDADD = $(test_ldadd)
