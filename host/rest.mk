# The REST API (Kafka Connect paths), /metrics, and the commands they hand
# to the worker's main loop (issue 8).
libsluicehost_la_SOURCES += \
	host/control.c host/control.h \
	host/rest.c host/rest.h host/rest_internal.h \
	host/rest_connectors.c host/rest_plugins.c \
	host/rest_json.c host/rest_json.h \
	host/prom.c host/prom.h
libsluicehost_la_CFLAGS += $(MHD_CFLAGS)
libsluicehost_la_LIBADD += $(MHD_LIBS)
