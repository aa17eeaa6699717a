# Benchmarks with baselines, printing ratios. `make bench` builds and runs
# them; they are never part of `make` or `make check`.
EXTRA_PROGRAMS = bench/faker-gen
CLEANFILES += $(EXTRA_PROGRAMS)

bench_faker_gen_SOURCES = bench/faker-gen.c \
	plugins/source-faker/event.c plugins/source-faker/event.h \
	plugins/source-faker/users.c plugins/source-faker/users.h \
	plugins/source-faker/clock.c plugins/source-faker/clock.h \
	plugins/source-faker/words.c plugins/source-faker/words.h \
	plugins/source-faker/put.h plugins/source-faker/rng.h
bench_faker_gen_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/source-faker

bench: $(EXTRA_PROGRAMS)
	./bench/faker-gen$(EXEEXT)
.PHONY: bench
include bench/bronze.mk

# source-faker through the host into a `sluice broker`, against kcat -P
# producing the same events from a file (bench/faker-produce.sh).
EXTRA_DIST += bench/faker-produce.sh
bench-faker-produce: sluice$(EXEEXT) plugins/source-faker/source-faker.la
	sh $(top_srcdir)/bench/faker-produce.sh $(abs_top_builddir)
.PHONY: bench-faker-produce
include bench/medallion.mk
