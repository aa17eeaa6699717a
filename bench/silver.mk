# transform-bronze + transform-silver in process on source-faker events:
# `make bench-silver`. Built with the tests (so it always compiles), run
# only by hand; it loads the built plugins from the build tree.
check_PROGRAMS += bench/silver
bench_silver_SOURCES = bench/silver.c \
	tests/mock_host.c tests/mock_host.h tests/mock_state.c tests/mock_state.h
bench_silver_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests \
	-DBUILDDIR='"$(abs_top_builddir)"'
bench_silver_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
bench_silver_LDADD = $(JSONC_LIBS) -lm

bench-silver: bench/silver$(EXEEXT) plugins/source-faker/source-faker.la \
		plugins/transform-bronze/transform-bronze.la \
		plugins/transform-silver/transform-silver.la
	./bench/silver$(EXEEXT)
.PHONY: bench-silver
