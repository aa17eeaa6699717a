# The state store of stateful transforms (ABI 1.2): the store and the
# changelog replay (state.c), the changelog and the commit barrier of a
# stateful transform task (task_state.c).
libsluicehost_la_SOURCES += \
	host/state.c host/state.h
libsluicehost_la_SOURCES += \
	host/task_state.c host/task_state.h
# Origin stamps: exactly once between a transform and a stateful one.
libsluicehost_la_SOURCES += \
	host/origin.c host/origin.h
