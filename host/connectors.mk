# Configuration: the worker file, connector files, and their checks
# against the loaded plugins.
libsluicehost_la_SOURCES += host/config_worker.c host/config_connector.c \
	host/config_plugins.c
