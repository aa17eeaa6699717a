# Test plugins for the runtime tests (never installed).
check_LTLIBRARIES += tests/rt/count-source.la tests/rt/record-sink.la \
	tests/rt/fanout.la
tests_rt_count_source_la_SOURCES = tests/rt/count-source.c
tests_rt_count_source_la_LDFLAGS = $(test_plugin_ldflags)
tests_rt_record_sink_la_SOURCES = tests/rt/record-sink.c
tests_rt_record_sink_la_LDFLAGS = $(test_plugin_ldflags)
tests_rt_fanout_la_SOURCES = tests/rt/fanout.c
tests_rt_fanout_la_LDFLAGS = $(test_plugin_ldflags)
check_LTLIBRARIES += tests/rt/chain-stage.la
tests_rt_chain_stage_la_SOURCES = tests/rt/chain-stage.c
tests_rt_chain_stage_la_LDFLAGS = $(test_plugin_ldflags)
