# Loader: dlopen()s plugins and checks their descriptor.
libsluicehost_la_SOURCES += host/loader.c
