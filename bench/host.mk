# Host benchmark plugins (built by `make bench-host`, never installed).
EXTRA_LTLIBRARIES = bench/null-source.la bench/null-sink.la
bench_null_source_la_SOURCES = bench/null-source.c
bench_null_source_la_LDFLAGS = $(test_plugin_ldflags)
bench_null_sink_la_SOURCES = bench/null-sink.c
bench_null_sink_la_LDFLAGS = $(test_plugin_ldflags)
EXTRA_DIST += bench/host.sh
CLEANFILES += bench/null-source.la bench/null-sink.la

# Null source -> embedded-style broker -> null sink, against kcat.
bench-host: sluice bench/null-source.la bench/null-sink.la
	sh $(top_srcdir)/bench/host.sh $(abs_top_builddir)
.PHONY: bench-host
