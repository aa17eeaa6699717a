# `sluice table`'s formatter (host/table.c).
check_PROGRAMS += tests/test_table
TESTS += tests/test_table
UNIT_TESTS += tests/test_table
tests_test_table_SOURCES = tests/test_table.c
tests_test_table_CFLAGS = $(test_cflags)
tests_test_table_LDADD = $(test_ldadd)
