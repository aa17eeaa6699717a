# source-faker: fake banking transactions (the seed's producer).
pkglib_LTLIBRARIES += plugins/source-faker/source-faker.la
plugins_source_faker_source_faker_la_SOURCES = \
	plugins/source-faker/faker.c \
	plugins/source-faker/event.c plugins/source-faker/event.h \
	plugins/source-faker/users.c plugins/source-faker/users.h \
	plugins/source-faker/clock.c plugins/source-faker/clock.h \
	plugins/source-faker/words.c plugins/source-faker/words.h \
	plugins/source-faker/put.h plugins/source-faker/rng.h
plugins_source_faker_source_faker_la_LDFLAGS = $(plugin_ldflags)
plugins_source_faker_source_faker_la_CFLAGS = $(AM_CFLAGS)
EXTRA_DIST += plugins/source-faker/README.md
