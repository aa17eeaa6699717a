# The pipeline page (GET / for browsers), `sluice graph`, `sluice status`,
# and what they read: per-partition lag and rates (live.c), GET
# /sluice/pipeline and /sluice/tables/{topic} (issue 8).
libsluicehost_la_SOURCES += \
	host/live.c host/live.h \
	host/rest_pipeline.c host/rest_tables.c host/rest_page.c host/page.h \
	host/graph.c host/graph.h \
	host/status_view.c host/status_view.h
sluice_SOURCES += host/cmd_graph.c host/cmd_status.c

# host/page/pipeline.html becomes a C array in the build directory, so
# the binary serves it with no files at run time. od and awk are in
# POSIX (xxd may be missing); the source stays a real HTML file.
nodist_libsluicehost_la_SOURCES = host/page_html.c
EXTRA_DIST += host/page/pipeline.html
CLEANFILES += host/page_html.c
host/page_html.c: $(srcdir)/host/page/pipeline.html $(srcdir)/host/page.mk
	$(AM_V_GEN)$(MKDIR_P) host && { \
	  echo '/* Generated from host/page/pipeline.html by host/page.mk. */'; \
	  echo '#include "page.h"'; \
	  echo 'const unsigned char page_html[] = {'; \
	  od -An -v -tu1 $(srcdir)/host/page/pipeline.html | \
	    awk '{ s = ""; for (i = 1; i <= NF; i++) s = s $$i ","; print s }'; \
	  echo '0};'; \
	  echo 'const size_t page_html_len = sizeof(page_html) - 1;'; \
	} > $@-t && mv $@-t $@
