/*
 * broker.h - the embedded Kafka broker: librdkafka's mock cluster on
 * 127.0.0.1, for `sluice broker`, for `bootstrap.servers: embedded` and for
 * tests. Everything it holds is in memory and lost when it stops.
 */
#ifndef SLUICE_BROKER_H
#define SLUICE_BROKER_H

#include <stddef.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

struct broker;

/* Starts a cluster of num_brokers (1..100) brokers. NULL on error, with
 * the reason in err. */
struct broker *broker_start(int num_brokers, char *err, size_t errlen);
/* "127.0.0.1:port,127.0.0.1:port,...", valid until broker_stop. */
const char *broker_bootstraps(const struct broker *b);
/* Creates a topic (replication factor min(3, brokers)). 0 if created; 1 if
 * it already existed (as after auto-creation; left as it was); -1 on any
 * other error, also an invalid name or partition count. err says why for
 * 1 and -1. */
int broker_create_topic(struct broker *b, const char *name, int partitions,
			char *err, size_t errlen);
/* The mock cluster itself, for fault injection in tests. */
rd_kafka_mock_cluster_t *broker_mock(struct broker *b);
/* Stops the brokers and frees b; NULL is fine. */
void broker_stop(struct broker *b);

/* 0 if name is a valid Kafka topic name ([a-zA-Z0-9._-], 1..249, not "."
 * or "..") and partitions is 1..BROKER_MAX_PARTITIONS; otherwise -1 with
 * a message naming the problem. */
#define BROKER_MAX_PARTITIONS 10000
int broker_topic_check(const char *name, int partitions, char *err,
		       size_t errlen);

/*
 * Fixed ports (host/bind_fixed.c). Only the sluice executable has these:
 * they work by interposing bind(), which only an executable can do for
 * librdkafka, so they are never part of libsluicehost.
 */
/* While base > 0, the n-th bind() to 127.0.0.1 port 0 binds base+n
 * instead (n counts from 0 at each call). 0 turns it off. */
void bind_fixed_set_base(int base);
/* 0 if 127.0.0.1 ports base..base+count-1 can be bound now; otherwise -1
 * with the first port that cannot in *bad and errno set. */
int bind_fixed_check(int base, int count, int *bad);

#endif
