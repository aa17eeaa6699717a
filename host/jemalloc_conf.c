/*
 * jemalloc_conf.c - the allocator's settings, linked into the sluice
 * binary only when configure chose jemalloc (MALLOC_CONF in the
 * environment still overrides them).
 *
 * Freed pages go back to the system after 250 ms instead of jemalloc's
 * 10 s: with its default the sink's peak RSS in bench/sink-s3.sh was
 * 90-101 MiB against a 96 MiB budget (glibc: 55-84); at 250 ms it is
 * 59-83 MiB at the same speed. At 0 every free pays an madvise and the
 * medallion took 2.3 s instead of 1.7.
 */
extern const char *malloc_conf;
const char *malloc_conf = "dirty_decay_ms:250,muzzy_decay_ms:0";
