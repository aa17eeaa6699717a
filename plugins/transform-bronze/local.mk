# transform-bronze: raw JSON events checked against a declared schema;
# good ones to "out" with ingest_ts and _source, the rest to "quarantine".
pkglib_LTLIBRARIES += plugins/transform-bronze/transform-bronze.la
plugins_transform_bronze_transform_bronze_la_SOURCES = \
	plugins/transform-bronze/bronze.c \
	plugins/transform-bronze/schema.c plugins/transform-bronze/schema.h \
	plugins/transform-bronze/scan.c plugins/transform-bronze/scan.h \
	plugins/transform-bronze/write.c plugins/transform-bronze/write.h
plugins_transform_bronze_transform_bronze_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/plugins/common
plugins_transform_bronze_transform_bronze_la_LDFLAGS = $(plugin_ldflags)
plugins_transform_bronze_transform_bronze_la_LIBADD = \
	plugins/common/libsluiceplugin.la
EXTRA_DIST += plugins/transform-bronze/README.md
