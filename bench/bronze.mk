# transform-bronze against json-c on the foreign sample events:
# `make bench-bronze` (never part of `make` or `make check`).
EXTRA_PROGRAMS += bench/bronze
bench_bronze_SOURCES = bench/bronze.c tests/mock_host.c tests/mock_host.h tests/mock_state.c tests/mock_state.h \
	$(plugins_transform_bronze_transform_bronze_la_SOURCES)
bench_bronze_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/plugins/transform-bronze \
	-I$(top_srcdir)/plugins/common -I$(top_srcdir)/tests \
	-DSAMPLE_EVENTS='"$(abs_top_srcdir)/tests/bronze/sample-events.jsonl"'
bench_bronze_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
bench_bronze_LDADD = plugins/common/libsluiceplugin.la $(JSONC_LIBS) -lm

bench-bronze: bench/bronze$(EXEEXT)
	./bench/bronze$(EXEEXT)
.PHONY: bench-bronze
