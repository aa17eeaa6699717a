# The host: everything but main() lives in a convenience library so that
# the unit tests link the same code the binary runs.
noinst_LTLIBRARIES += libsluicehost.la
libsluicehost_la_SOURCES = \
	host/diag.c host/diag.h \
	host/log.c host/log.h \
	host/config.h host/loader.h host/options.h host/units.h host/ytree.h
libsluicehost_la_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS) $(JSONC_CFLAGS) \
	$(YAML_CFLAGS) $(CURL_CFLAGS) $(ZLIB_CFLAGS)
libsluicehost_la_LIBADD = $(RDKAFKA_LIBS) $(JSONC_LIBS) $(YAML_LIBS) \
	$(CURL_LIBS) $(ZLIB_LIBS) $(PTHREAD_LIBS) $(LIBS)

bin_PROGRAMS += sluice
sluice_SOURCES = host/main.c host/cli.h
sluice_CFLAGS = $(libsluicehost_la_CFLAGS)
sluice_LDADD = $(JEMALLOC_LIBS) libsluicehost.la
if JEMALLOC
sluice_SOURCES += host/jemalloc_conf.c
endif

include host/config.mk
include host/loader.mk
include host/broker.mk
include host/connectors.mk
include host/rest.mk
include host/state.mk
include host/table.mk
include host/page.mk

# The runtime (issue: host part 2).
libsluicehost_la_SOURCES += \
	host/setup.c host/setup.h \
	host/kafka.c host/kafka.h \
	host/offsets.c host/offsets.h \
	host/tracker.c host/tracker.h \
	host/metrics.c host/metrics.h \
	host/task.c host/task.h host/arena.c host/arena.h \
	host/task_kafka.c host/task_kafka.h \
	host/task_source.c host/task_sink.c host/task_transform.c \
	host/chain.c host/chain.h \
	host/connector.c host/connector.h \
	host/reload.c host/reload.h \
	host/trigger.c host/trigger.h \
	host/worker.c host/worker.h
sluice_SOURCES += host/cmd_run.c host/cmd_validate.c host/cmd_plugins.c
