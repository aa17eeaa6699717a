# Stateful transforms across graceful stops: the shipped faker, bronze,
# silver and gold on a `sluice broker`, stopped with SIGTERM 3 times
# while records flow, then drained; silver and gold exact (tests/
# test_state_rt covers SIGKILL). An integration test (make
# check-integration), a shell script like tests/pipeline.sh, whose log
# rule comes from TEST_EXTENSIONS (.sh) in tests/local.mk. Needs kcat and
# python3 (skipped without).
INTEGRATION_TESTS += tests/state_sigterm.sh
EXTRA_DIST += tests/state_sigterm.sh
