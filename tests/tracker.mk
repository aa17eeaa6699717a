# Unit test of the acknowledgement windows (host/tracker.c).
check_PROGRAMS += tests/test_tracker
TESTS += tests/test_tracker
tests_test_tracker_SOURCES = tests/test_tracker.c
tests_test_tracker_CFLAGS = $(test_cflags)
tests_test_tracker_LDADD = $(test_ldadd)
