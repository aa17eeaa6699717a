# sink-s3 benchmark: Kafka (a `sluice broker`) to the test radosgw, against
# kcat consuming the same topic: `make bench-sink-s3` with the S3 server's
# environment (S3_ENDPOINT, S3_BUCKET, AWS_ACCESS_KEY_ID, ...).
# The helper waits for the group's commits (built with the tests).
check_PROGRAMS += bench/sink-s3-wait
bench_sink_s3_wait_SOURCES = bench/sink-s3-wait.c
bench_sink_s3_wait_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
bench_sink_s3_wait_LDADD = $(RDKAFKA_LIBS)
EXTRA_DIST += bench/sink-s3.sh

bench-sink-s3: sluice$(EXEEXT) plugins/sink-s3/sink-s3.la bench/null-sink.la \
		bench/sink-s3-wait$(EXEEXT)
	sh $(top_srcdir)/bench/sink-s3.sh $(abs_top_builddir) $(abs_top_srcdir)
.PHONY: bench-sink-s3
