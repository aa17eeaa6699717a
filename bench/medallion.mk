# The medallion benchmarks of issues #6 and #7 (never part of `make` or
# `make check`): sluice against DuckDB (npm @duckdb/node-api, installed
# into bench/duckdb/node_modules at bench time) on the same faker events,
# and the latency from an event's production to its gold update.
#   make bench-bronze-silver   bronze + silver: events/s, ratio to DuckDB
#   make bench-medallion       bronze + silver + gold: events/s, ratio
#   make bench-latency         p50/p99 at a steady 20,000 events/s
EXTRA_PROGRAMS += bench/gold-latency
bench_gold_latency_SOURCES = bench/gold-latency.c
bench_gold_latency_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
bench_gold_latency_LDADD = $(RDKAFKA_LIBS)
EXTRA_DIST += bench/medallion.sh bench/latency.sh \
	bench/duckdb/package.json bench/duckdb/.npmrc bench/duckdb/medallion.js

medallion_bench_deps = sluice$(EXEEXT) plugins/source-faker/source-faker.la \
	plugins/transform-bronze/transform-bronze.la \
	plugins/transform-silver/transform-silver.la \
	plugins/transform-gold/transform-gold.la

bench-bronze-silver: $(medallion_bench_deps)
	bash $(top_srcdir)/bench/medallion.sh $(abs_top_builddir) $(abs_top_srcdir) bronze-silver
bench-medallion: $(medallion_bench_deps)
	bash $(top_srcdir)/bench/medallion.sh $(abs_top_builddir) $(abs_top_srcdir) medallion
bench-latency: $(medallion_bench_deps) bench/gold-latency$(EXEEXT)
	bash $(top_srcdir)/bench/latency.sh $(abs_top_builddir) $(abs_top_srcdir)
.PHONY: bench-bronze-silver bench-medallion bench-latency
