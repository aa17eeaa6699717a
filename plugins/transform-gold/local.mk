# transform-gold: silver transactions and items into the gold tables
# (daily_metrics, user_summary, product_summary) as upserts, kept in the
# host's state store; late transactions to "late".
pkglib_LTLIBRARIES += plugins/transform-gold/transform-gold.la
plugins_transform_gold_transform_gold_la_SOURCES = \
	plugins/transform-gold/gold.c \
	plugins/transform-gold/money.c plugins/transform-gold/money.h \
	plugins/transform-gold/rows.c plugins/transform-gold/rows.h \
	plugins/transform-gold/dedup.c plugins/transform-gold/dedup.h \
	plugins/transform-gold/dirty.c plugins/transform-gold/dirty.h
plugins_transform_gold_transform_gold_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/plugins/common
plugins_transform_gold_transform_gold_la_LDFLAGS = $(plugin_ldflags)
plugins_transform_gold_transform_gold_la_CFLAGS = $(AM_CFLAGS)
plugins_transform_gold_transform_gold_la_LIBADD = \
	plugins/common/libsluiceplugin.la
EXTRA_DIST += plugins/transform-gold/README.md
