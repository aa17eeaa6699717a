# Configuration: unit tests of the worker file, connector files and the
# checks against plugins. Fixtures are listed one by one for the tarball.
check_PROGRAMS += tests/test_config
TESTS += tests/test_config
tests_test_config_SOURCES = tests/test_config.c
tests_test_config_CFLAGS = $(test_cflags) \
	-DTEST_DATA_DIR='"$(abs_top_srcdir)/tests/config"'
tests_test_config_LDADD = $(test_ldadd)
EXTRA_DIST += \
	tests/config/connector/bad-units.yaml \
	tests/config/connector/defaults.yaml \
	tests/config/connector/dlq-missing.yaml \
	tests/config/connector/env-unset.yaml \
	tests/config/connector/env.yaml \
	tests/config/connector/full.yaml \
	tests/config/connector/list.yaml \
	tests/config/connector/missing-name.yaml \
	tests/config/connector/not-a-map.yaml \
	tests/config/connector/range-high.yaml \
	tests/config/connector/range-low.yaml \
	tests/config/connector/three-errors.yaml \
	tests/config/connector/tolerance.yaml \
	tests/config/connector/transforms-bad.yaml \
	tests/config/connector/unknown-key.yaml \
	tests/config/connector/wrong-type.yaml \
	tests/config/dirs/broken/1-first.yaml \
	tests/config/dirs/broken/2-broken.yaml \
	tests/config/dirs/broken/3-last.yaml \
	tests/config/dirs/dup/a.yaml \
	tests/config/dirs/dup/b.yaml \
	tests/config/dirs/empty/.keep \
	tests/config/dirs/good/.hidden.yaml \
	tests/config/dirs/good/a-source.yaml \
	tests/config/dirs/good/b-sink.yml \
	tests/config/dirs/good/c-transform.yaml \
	tests/config/dirs/good/notes.txt \
	tests/config/dirs/good/subdir.yaml/.keep \
	tests/config/plugins/bad-output.yaml \
	tests/config/plugins/default-twice.yaml \
	tests/config/plugins/options.yaml \
	tests/config/plugins/sink-topic.yaml \
	tests/config/plugins/source-topics.yaml \
	tests/config/plugins/transform-bare.yaml \
	tests/config/plugins/transforms.yaml \
	tests/config/plugins/unknown-far.yaml \
	tests/config/plugins/unknown.yaml \
	tests/config/plugins/unmapped.yaml \
	tests/config/worker/bad.yaml \
	tests/config/worker/host-owned.yaml \
	tests/config/worker/empty.yaml \
	tests/config/worker/env-unset.yaml \
	tests/config/worker/env.yaml \
	tests/config/worker/full.yaml \
	tests/config/worker/list.yaml \
	tests/config/worker/one-path.yaml
