/*
 * broker.c - the embedded Kafka broker. A librdkafka mock cluster lives
 * inside an rd_kafka_t; the producer handle created here exists only to own
 * it and never produces.
 */
#include "broker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct broker {
	rd_kafka_t *rk;
	rd_kafka_mock_cluster_t *mc;
	int num_brokers;
};

static void broker_log_cb(const rd_kafka_t *rk, int level, const char *fac,
			  const char *buf)
{
	enum sluice_log_level l = SLUICE_LOG_DEBUG;
	if (level <= 3)
		l = SLUICE_LOG_ERROR;
	else if (level == 4)
		l = SLUICE_LOG_WARN;
	else if (level <= 6)
		l = SLUICE_LOG_INFO;
	log_msg(l, NULL, "broker: %s: %s", fac, buf);
}

struct broker *broker_start(int num_brokers, char *err, size_t errlen)
{
	if (num_brokers < 1 || num_brokers > 100) {
		snprintf(err, errlen, "broker count %d is not in 1..100",
			 num_brokers);
		return NULL;
	}
	struct broker *b = calloc(1, sizeof(*b));
	if (!b) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	b->num_brokers = num_brokers;

	char n[16];
	snprintf(n, sizeof(n), "%d", num_brokers);
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	/* log_level 4: the owning handle's notices ("bootstrap.servers
	 * ignored and replaced") describe this handle, not the cluster, and
	 * would only confuse. */
	if (rd_kafka_conf_set(conf, "test.mock.num.brokers", n, err, errlen) ||
	    rd_kafka_conf_set(conf, "client.id", "sluice-broker", err,
			      errlen) ||
	    rd_kafka_conf_set(conf, "log_level", "4", err, errlen)) {
		rd_kafka_conf_destroy(conf);
		free(b);
		return NULL;
	}
	rd_kafka_conf_set_log_cb(conf, broker_log_cb);
	/* rd_kafka_new frees conf only when it succeeds. */
	b->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, errlen);
	if (!b->rk) {
		rd_kafka_conf_destroy(conf);
		free(b);
		return NULL;
	}
	b->mc = rd_kafka_handle_mock_cluster(b->rk);
	if (!b->mc) {
		snprintf(err, errlen,
			 "librdkafka did not create a mock cluster");
		broker_stop(b);
		return NULL;
	}
	return b;
}

const char *broker_bootstraps(const struct broker *b)
{
	return rd_kafka_mock_cluster_bootstraps(b->mc);
}

rd_kafka_mock_cluster_t *broker_mock(struct broker *b)
{
	return b->mc;
}

int broker_topic_check(const char *name, int partitions, char *err,
		       size_t errlen)
{
	size_t len = strlen(name);
	if (len == 0 || len > 249) {
		snprintf(err, errlen,
			 "topic name '%s' must be 1 to 249 characters", name);
		return -1;
	}
	if (strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789._-") != len) {
		snprintf(err, errlen,
			 "topic name '%s' may contain only letters, digits, "
			 "'.', '_' and '-'",
			 name);
		return -1;
	}
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		snprintf(err, errlen, "topic name '%s' is not allowed", name);
		return -1;
	}
	if (partitions < 1 || partitions > BROKER_MAX_PARTITIONS) {
		snprintf(err, errlen,
			 "topic '%s': partition count %d is not in 1..%d", name,
			 partitions, BROKER_MAX_PARTITIONS);
		return -1;
	}
	return 0;
}

int broker_create_topic(struct broker *b, const char *name, int partitions,
			char *err, size_t errlen)
{
	if (broker_topic_check(name, partitions, err, errlen))
		return -1;
	/* Like the mock's own auto-created topics and Kafka's default. */
	int rf = b->num_brokers < 3 ? b->num_brokers : 3;
	rd_kafka_resp_err_t e =
		rd_kafka_mock_topic_create(b->mc, name, partitions, rf);
	if (e) {
		snprintf(err, errlen, "cannot create topic '%s': %s", name,
			 rd_kafka_err2str(e));
		return e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS ? 1 : -1;
	}
	return 0;
}

void broker_stop(struct broker *b)
{
	if (!b)
		return;
	/* Destroying the owning handle destroys the cluster with it. */
	rd_kafka_destroy(b->rk);
	free(b);
}
