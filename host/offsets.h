/*
 * offsets.h - the source offset store: the last position each source
 * partition of each connector reached, kept in the offsets topic (key
 * ["connector","source partition"], value {"position": "..."}), read back
 * whole at start, last value per key winning. On a real cluster the topic
 * should be compacted; without compaction only the size grows.
 */
#ifndef SLUICE_OFFSETS_H
#define SLUICE_OFFSETS_H

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stddef.h>

#include "kafka.h"

struct offset_entry {
	char *connector;
	char *source_partition;
	char *position;
};

struct offset_store {
	pthread_mutex_t lock;
	struct offset_entry *v;
	size_t n, cap;
	char *topic;
	/* offsets_load's consumer, shutting down while the worker goes on
	 * (waited for by offsets_free). */
	struct kafka_closing reader;
};

void offsets_init(struct offset_store *s, const char *topic);
void offsets_free(struct offset_store *s);

/* Reads the whole offsets topic through `conf` (consumed: a copy is made)
 * up to its end. Returns 0, or -1 with err. */
int offsets_load(struct offset_store *s, const rd_kafka_conf_t *conf,
		 int timeout_ms, char *err, size_t errlen);

/* The stored position, copied into a new string (free it), or NULL. */
char *offsets_get(struct offset_store *s, const char *connector,
		  const char *source_partition);
void offsets_set(struct offset_store *s, const char *connector,
		 const char *source_partition, const char *position);

/* Produces one position record with `producer` (RD_KAFKA_MSG_F_COPY);
 * `opaque` is the record's opaque for the delivery report. */
rd_kafka_resp_err_t offsets_produce(struct offset_store *s,
				    rd_kafka_t *producer, const char *connector,
				    const char *source_partition,
				    const char *position, void *opaque);

/* Key and value encodings, exposed for tests. */
char *offsets_key(const char *connector, const char *source_partition);
char *offsets_value(const char *position);
int offsets_parse(const char *key, size_t key_len, const char *value,
		  size_t value_len, char **connector, char **source_partition,
		  char **position);

#endif
