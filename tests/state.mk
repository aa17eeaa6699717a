# The state store (host/state.c): the map, its limits and the changelog
# replay, without Kafka.
check_PROGRAMS += tests/test_state
TESTS += tests/test_state
UNIT_TESTS += tests/test_state
tests_test_state_SOURCES = tests/test_state.c
tests_test_state_CFLAGS = $(test_cflags)
tests_test_state_LDADD = $(test_ldadd)
