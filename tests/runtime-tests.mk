# The runtime end to end: `sluice run` as a child process against a broker
# inside the test, with the test plugins of tests/runtime.mk.
# It runs on its own (`make check-integration`, a step of scripts/test),
# not inside `make check`: next to other tests on 2 cores, the mock
# broker's consumer groups sometimes take longer to settle than its
# bounded waits allow.
check_PROGRAMS += tests/test_runtime
tests_test_runtime_SOURCES = tests/test_runtime.c \
	tests/rt_harness.c tests/rt_harness.h
tests_test_runtime_CFLAGS = $(test_cflags) \
	-DSLUICE_BIN='"$(abs_top_builddir)/sluice$(EXEEXT)"' \
	-DRT_PLUGIN_DIR='"$(abs_top_builddir)/tests/rt/.libs"'
tests_test_runtime_LDADD = $(test_ldadd)

# Not in TESTS, so automake writes no log rule for it; this is its rule.
tests/test_runtime.log: tests/test_runtime$(EXEEXT)
	@p='tests/test_runtime$(EXEEXT)'; \
	b='tests/test_runtime'; \
	$(am__check_pre) $(LOG_DRIVER) --test-name "$$f" \
	--log-file $$b.log --trs-file $$b.trs \
	$(am__common_driver_flags) $(AM_LOG_DRIVER_FLAGS) $(LOG_DRIVER_FLAGS) -- $(LOG_COMPILE) \
	"$$tst" $(AM_TESTS_FD_REDIRECT)

# source-faker killed and resumed through the host (issue 4): `sluice
# broker` and `sluice run` as children, checked against the plugin run
# uninterrupted through tests/mock_host.c.
check_PROGRAMS += tests/test_faker_resume
tests_test_faker_resume_SOURCES = tests/test_faker_resume.c \
	tests/rt_harness.c tests/rt_harness.h \
	tests/mock_host.c tests/mock_host.h tests/mock_state.c tests/mock_state.h \
	$(plugins_source_faker_source_faker_la_SOURCES)
tests_test_faker_resume_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/plugins/source-faker -I$(top_srcdir)/tests
tests_test_faker_resume_CFLAGS = $(test_cflags) \
	-DSLUICE_BIN='"$(abs_top_builddir)/sluice$(EXEEXT)"' \
	-DFAKER_PLUGIN_DIR='"$(abs_top_builddir)/plugins/source-faker/.libs"'
# libsluicehost for the in-process broker of tests/rt_harness.c (unused
# here: this test spawns `sluice broker`).
tests_test_faker_resume_LDADD = libsluicehost.la $(CHECK_LIBS) $(RDKAFKA_LIBS) $(JSONC_LIBS) -lm

tests/test_faker_resume.log: tests/test_faker_resume$(EXEEXT)
	@p='tests/test_faker_resume$(EXEEXT)'; \
	b='tests/test_faker_resume'; \
	$(am__check_pre) $(LOG_DRIVER) --test-name "$$f" \
	--log-file $$b.log --trs-file $$b.trs \
	$(am__common_driver_flags) $(AM_LOG_DRIVER_FLAGS) $(LOG_DRIVER_FLAGS) -- $(LOG_COMPILE) \
	"$$tst" $(AM_TESTS_FD_REDIRECT)

# The `transforms:` chain end to end (issue 3), in the same way.
check_PROGRAMS += tests/test_chain
tests_test_chain_SOURCES = tests/test_chain.c \
	tests/rt_harness.c tests/rt_harness.h
tests_test_chain_CFLAGS = $(test_cflags) \
	-DSLUICE_BIN='"$(abs_top_builddir)/sluice$(EXEEXT)"' \
	-DRT_PLUGIN_DIR='"$(abs_top_builddir)/tests/rt/.libs"' \
	-DTEST_PLUGIN_DIR='"$(abs_top_builddir)/tests/plugins/.libs"'
tests_test_chain_LDADD = $(test_ldadd)

tests/test_chain.log: tests/test_chain$(EXEEXT)
	@p='tests/test_chain$(EXEEXT)'; \
	b='tests/test_chain'; \
	$(am__check_pre) $(LOG_DRIVER) --test-name "$$f" \
	--log-file $$b.log --trs-file $$b.trs \
	$(am__common_driver_flags) $(AM_LOG_DRIVER_FLAGS) $(LOG_DRIVER_FLAGS) -- $(LOG_COMPILE) \
	"$$tst" $(AM_TESTS_FD_REDIRECT)

# The REST API and /metrics (issue 8): `sluice run` as a child, HTTP
# through libcurl.
check_PROGRAMS += tests/test_rest
tests_test_rest_SOURCES = tests/test_rest.c \
	tests/rt_harness.c tests/rt_harness.h
tests_test_rest_CFLAGS = $(test_cflags) $(CURL_CFLAGS) \
	-DSLUICE_BIN='"$(abs_top_builddir)/sluice$(EXEEXT)"' \
	-DRT_PLUGIN_DIR='"$(abs_top_builddir)/tests/rt/.libs"'
tests_test_rest_LDADD = $(test_ldadd) $(CURL_LIBS) $(JSONC_LIBS) -lm

tests/test_rest.log: tests/test_rest$(EXEEXT)
	@p='tests/test_rest$(EXEEXT)'; \
	b='tests/test_rest'; \
	$(am__check_pre) $(LOG_DRIVER) --test-name "$$f" \
	--log-file $$b.log --trs-file $$b.trs \
	$(am__common_driver_flags) $(AM_LOG_DRIVER_FLAGS) $(LOG_DRIVER_FLAGS) -- $(LOG_COMPILE) \
	"$$tst" $(AM_TESTS_FD_REDIRECT)

# Every integration test; other fragments (tests/state.mk, tests/sink-s3.mk)
# add theirs. recheck-integration runs again only the ones that failed.
INTEGRATION_TESTS += tests/test_runtime tests/test_faker_resume tests/test_rest \
	tests/test_chain tests/pipeline.sh
# The shipped connectors.d/ pipeline as triggered runs (issues 7 and 9).
EXTRA_DIST += tests/pipeline.sh
# With make -j the longest start first, so that the others fill the gaps.
INTEGRATION_LONGEST = tests/e2e.sh tests/test_sink_s3_worker tests/test_runtime
check-integration: $(check_PROGRAMS) $(check_LTLIBRARIES) sluice$(EXEEXT) \
	$(pkglib_LTLIBRARIES)
	@rest=; for t in $(INTEGRATION_TESTS); do \
		case " $(INTEGRATION_LONGEST) " in *" $$t "*) ;; \
		*) rest="$$rest $$t" ;; esac; \
	done; $(MAKE) $(AM_MAKEFLAGS) check TESTS="$(INTEGRATION_LONGEST)$$rest"
recheck-integration: $(check_PROGRAMS) $(check_LTLIBRARIES) sluice$(EXEEXT) \
	$(pkglib_LTLIBRARIES)
	$(MAKE) $(AM_MAKEFLAGS) recheck TESTS="$(INTEGRATION_TESTS)"
.PHONY: check-integration recheck-integration
