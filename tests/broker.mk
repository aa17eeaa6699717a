# The embedded broker: in process, and `sluice broker` as a process.
check_PROGRAMS += tests/test_broker
TESTS += tests/test_broker
tests_test_broker_SOURCES = tests/test_broker.c
tests_test_broker_CFLAGS = $(test_cflags) \
	-DSLUICE_BIN='"$(abs_top_builddir)/sluice$(EXEEXT)"'
tests_test_broker_LDADD = $(test_ldadd)
