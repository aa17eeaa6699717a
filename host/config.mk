# Configuration syntax: value units, the YAML tree, plugin option tables.
libsluicehost_la_SOURCES += host/units.c host/ytree.c host/options.c \
	host/option_where.c
