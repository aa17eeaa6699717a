# Unit test of the staging arena (host/arena.c).
check_PROGRAMS += tests/test_arena
TESTS += tests/test_arena
tests_test_arena_SOURCES = tests/test_arena.c
tests_test_arena_CFLAGS = $(test_cflags)
tests_test_arena_LDADD = $(test_ldadd)
