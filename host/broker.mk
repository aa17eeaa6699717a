# The embedded broker (librdkafka mock cluster) and `sluice broker`.
libsluicehost_la_SOURCES += host/broker.c host/broker.h
# bind_fixed.c defines bind() and accept_nodelay.c accept() for
# librdkafka; they must stay out of the library, or every unit test would
# get the interposers too.
sluice_SOURCES += host/cmd_broker.c host/bind_fixed.c host/accept_nodelay.c
