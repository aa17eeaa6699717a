# sink-s3: exactly-once JSON Lines batches (and table snapshots) to S3 or
# a local directory.
pkglib_LTLIBRARIES += plugins/sink-s3/sink-s3.la
plugins_sink_s3_sink_s3_la_SOURCES = \
	plugins/sink-s3/sink.c plugins/sink-s3/sink.h \
	plugins/sink-s3/batch.c plugins/sink-s3/upload.c \
	plugins/sink-s3/snapshot.c plugins/sink-s3/table.c \
	plugins/sink-s3/pool.c plugins/sink-s3/pool.h \
	plugins/sink-s3/target.h \
	plugins/sink-s3/target_s3.c plugins/sink-s3/target_file.c \
	plugins/sink-s3/s3_client.c plugins/sink-s3/s3_client.h \
	plugins/sink-s3/s3_creds.c plugins/sink-s3/s3_creds.h \
	plugins/sink-s3/s3_retry.c plugins/sink-s3/s3_retry.h \
	plugins/sink-s3/s3_xml.c plugins/sink-s3/s3_xml.h \
	plugins/sink-s3/sha256.c plugins/sink-s3/sha256.h \
	plugins/sink-s3/keys.c plugins/sink-s3/keys.h \
	plugins/sink-s3/jsonv.c plugins/sink-s3/jsonv.h \
	plugins/sink-s3/util.c plugins/sink-s3/util.h
plugins_sink_s3_sink_s3_la_LDFLAGS = $(plugin_ldflags)
plugins_sink_s3_sink_s3_la_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) \
	$(JSONC_CFLAGS) $(ZLIB_CFLAGS)
plugins_sink_s3_sink_s3_la_LIBADD = $(CURL_LIBS) $(JSONC_LIBS) $(ZLIB_LIBS) \
	$(PTHREAD_LIBS)

# Its benchmark (make bench-sink-s3).
include bench/sink-s3.mk
