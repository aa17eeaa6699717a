# The embedded broker: in process, and `sluice broker` as a process.
check_PROGRAMS += tests/test_broker
TESTS += tests/test_broker
tests_test_broker_SOURCES = tests/test_broker.c
tests_test_broker_CFLAGS = $(test_cflags) \
	-DSLUICE_BIN='"$(abs_top_builddir)/sluice$(EXEEXT)"'
tests_test_broker_LDADD = $(test_ldadd)

# The executable's accept() interposer, linked into a test of its own.
check_PROGRAMS += tests/test_accept_nodelay
TESTS += tests/test_accept_nodelay
UNIT_TESTS += tests/test_accept_nodelay
tests_test_accept_nodelay_SOURCES = tests/test_accept_nodelay.c \
	host/accept_nodelay.c
tests_test_accept_nodelay_CFLAGS = $(test_cflags)
tests_test_accept_nodelay_LDADD = $(CHECK_LIBS)
