# libsluiceplugin: code shared by the shipped plugins (the JSON writer
# buffer, the JSON document parser, the expression language,
# data-quality expectations). A libtool
# convenience library, built PIC and linked into each plugin that uses it.
noinst_LTLIBRARIES += plugins/common/libsluiceplugin.la
plugins_common_libsluiceplugin_la_SOURCES = \
	plugins/common/jbuf.c plugins/common/jbuf.h \
	plugins/common/jdoc.c plugins/common/jdoc.h \
	plugins/common/expr.h plugins/common/expr_int.h \
	plugins/common/expr_parse.c plugins/common/expr_eval.c \
	plugins/common/expect.c plugins/common/expect.h
plugins_common_libsluiceplugin_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/plugins/common
plugins_common_libsluiceplugin_la_LIBADD = -lm
