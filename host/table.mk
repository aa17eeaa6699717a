# `sluice table`: JSON Lines as an aligned text table (quick start's gold
# tables). The formatter is in the library so tests can link it.
libsluicehost_la_SOURCES += host/table.c host/table.h
sluice_SOURCES += host/cmd_table.c
