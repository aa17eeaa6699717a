# The shipped connectors.d/ pipeline proven end to end (issues 7 and 9):
# 50,000 events with anomalies, the gold tables in S3 against an
# independent computation from the raw landing zone (tests/e2e_expected.py,
# Python 3 stdlib), then the same run SIGKILLed 5 times and restarted:
# identical results. Needs the test S3 (skipped without S3_ENDPOINT); an
# integration test (make check-integration), like tests/pipeline.sh, whose
# log rule comes from TEST_EXTENSIONS (.sh) in tests/local.mk.
INTEGRATION_TESTS += tests/e2e.sh
EXTRA_DIST += tests/e2e.sh tests/e2e_expected.py
