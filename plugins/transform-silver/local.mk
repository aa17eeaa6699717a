# transform-silver: bronze records split into the silver tables
# (transactions, users, items), deduplicated over a window kept in the
# host's state store, with data-quality expectations.
pkglib_LTLIBRARIES += plugins/transform-silver/transform-silver.la
plugins_transform_silver_transform_silver_la_SOURCES = \
	plugins/transform-silver/silver.c \
	plugins/transform-silver/rows.c plugins/transform-silver/rows.h \
	plugins/transform-silver/window.c plugins/transform-silver/window.h
plugins_transform_silver_transform_silver_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/plugins/common
plugins_transform_silver_transform_silver_la_LDFLAGS = $(plugin_ldflags)
plugins_transform_silver_transform_silver_la_LIBADD = \
	plugins/common/libsluiceplugin.la -lm
EXTRA_DIST += plugins/transform-silver/README.md
