/*
 * kafka.c - librdkafka configuration and topic set-up (see kafka.h).
 */
#include "kafka.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

/* librdkafka's own log lines go through ours, with the client's name. */
static void on_log(const rd_kafka_t *rk, int level, const char *fac,
		   const char *buf)
{
	enum sluice_log_level l = level <= 3   ? SLUICE_LOG_ERROR
				  : level == 4 ? SLUICE_LOG_WARN
				  : level <= 6 ? SLUICE_LOG_INFO
					       : SLUICE_LOG_DEBUG;
	/* One `kafka:` map configures every client, so a producer is
	 * handed the consumer properties too (and the other way round);
	 * librdkafka's warning about that is expected, not news. */
	if (l == SLUICE_LOG_WARN && !strcmp(fac, "CONFWARN") &&
	    strstr(buf, "property and will be ignored by this"))
		l = SLUICE_LOG_DEBUG;
	log_msg(l, rd_kafka_name(rk), "kafka %s: %s", fac, buf);
}

static int set_pairs(rd_kafka_conf_t *c, const char *const *x, char *err,
		     size_t errlen)
{
	char e[512];
	for (; x && x[0]; x += 2) {
		if (rd_kafka_conf_set(c, x[0], x[1], e, sizeof(e)) !=
		    RD_KAFKA_CONF_OK) {
			snprintf(err, errlen, "%s: %s", x[0], e);
			return -1;
		}
	}
	return 0;
}

rd_kafka_conf_t *kafka_conf_tuned(const struct worker_config *w,
				  const char *bootstraps,
				  const char *const *defaults,
				  const char *const *extra, char *err,
				  size_t errlen)
{
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	rd_kafka_conf_set_log_cb(c, on_log);
	char e[512];
	if (rd_kafka_conf_set(c, "bootstrap.servers", bootstraps, e,
			      sizeof(e)) != RD_KAFKA_CONF_OK) {
		snprintf(err, errlen, "bootstrap.servers: %s", e);
		goto fail;
	}
	if (set_pairs(c, defaults, err, errlen))
		goto fail;
	for (size_t i = 0; i < w->kafka_n; i++) {
		if (rd_kafka_conf_set(c, w->kafka[i].key, w->kafka[i].value, e,
				      sizeof(e)) != RD_KAFKA_CONF_OK) {
			snprintf(err, errlen, "kafka.%s: %s", w->kafka[i].key,
				 e);
			goto fail;
		}
	}
	if (set_pairs(c, extra, err, errlen))
		goto fail;
	return c;
fail:
	rd_kafka_conf_destroy(c);
	return NULL;
}

rd_kafka_conf_t *kafka_conf(const struct worker_config *w,
			    const char *bootstraps, const char *const *extra,
			    char *err, size_t errlen)
{
	return kafka_conf_tuned(w, bootstraps, NULL, extra, err, errlen);
}

int kafka_partitions_for(const struct worker_config *w, const char *topic)
{
	for (size_t i = 0; i < w->topics_n; i++)
		if (!strcmp(w->topics[i].name, topic))
			return w->topics[i].partitions;
	return w->default_partitions;
}

/* Which of the topics the cluster does not have. */
static int missing_topics(rd_kafka_t *rk, char *const *topics, size_t n,
			  int *missing, int timeout_ms, char *err,
			  size_t errlen)
{
	const struct rd_kafka_metadata *md;
	rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 1, NULL, &md, timeout_ms);
	if (e) {
		snprintf(err, errlen, "cannot reach Kafka: %s",
			 rd_kafka_err2str(e));
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		missing[i] = 1;
		for (int j = 0; j < md->topic_cnt; j++)
			if (!strcmp(md->topics[j].topic, topics[i]) &&
			    !md->topics[j].err)
				missing[i] = 0;
	}
	rd_kafka_metadata_destroy(md);
	return 0;
}

int kafka_ensure_topics(const struct worker_config *w, const char *bootstraps,
			char *const *topics, size_t n, int timeout_ms,
			char *err, size_t errlen)
{
	rd_kafka_conf_t *c = kafka_conf(w, bootstraps, NULL, err, errlen);
	if (!c)
		return -1;
	char e[512];
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, e, sizeof(e));
	if (!rk) {
		rd_kafka_conf_destroy(c);
		snprintf(err, errlen, "%s", e);
		return -1;
	}
	int rc = -1;
	int *missing = calloc(n ? n : 1, sizeof(int));
	rd_kafka_NewTopic_t **nt = calloc(n ? n : 1, sizeof(*nt));
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	size_t nn = 0;
	if (!missing || !nt)
		abort();
	if (missing_topics(rk, topics, n, missing, timeout_ms, err, errlen))
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (!missing[i])
			continue;
		nt[nn] = rd_kafka_NewTopic_new(
			topics[i], kafka_partitions_for(w, topics[i]), -1, e,
			sizeof(e));
		if (!nt[nn]) {
			snprintf(err, errlen, "topic '%s': %s", topics[i], e);
			goto out;
		}
		nn++;
	}
	if (!nn) {
		rc = 0;
		goto out;
	}
	rd_kafka_AdminOptions_t *opt =
		rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
	rd_kafka_AdminOptions_set_request_timeout(opt, timeout_ms, NULL, 0);
	rd_kafka_CreateTopics(rk, nt, nn, opt, q);
	rd_kafka_AdminOptions_destroy(opt);
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, timeout_ms + 2000);
	const rd_kafka_CreateTopics_result_t *res =
		ev ? rd_kafka_event_CreateTopics_result(ev) : NULL;
	if (!ev || !res) {
		snprintf(err, errlen, "creating topics: no answer within %d ms",
			 timeout_ms);
	} else if (rd_kafka_event_error(ev)) {
		snprintf(err, errlen, "creating topics: %s",
			 rd_kafka_event_error_string(ev));
	} else {
		size_t cnt;
		const rd_kafka_topic_result_t **tr =
			rd_kafka_CreateTopics_result_topics(res, &cnt);
		rc = 0;
		for (size_t i = 0; i < cnt; i++) {
			rd_kafka_resp_err_t te =
				rd_kafka_topic_result_error(tr[i]);
			if (te &&
			    te != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
				snprintf(err, errlen, "creating topic '%s': %s",
					 rd_kafka_topic_result_name(tr[i]),
					 rd_kafka_topic_result_error_string(
						 tr[i]));
				rc = -1;
			}
		}
	}
	if (ev)
		rd_kafka_event_destroy(ev);
out:
	for (size_t i = 0; i < nn; i++)
		rd_kafka_NewTopic_destroy(nt[i]);
	free(nt);
	free(missing);
	rd_kafka_queue_destroy(q);
	rd_kafka_destroy(rk);
	return rc;
}

static void *destroy_main(void *arg)
{
	rd_kafka_destroy(arg);
	return NULL;
}

int kafka_destroy_begin(struct kafka_closing *c, rd_kafka_t *rk)
{
	c->started = 0;
	if (!rk)
		return 0;
	if (pthread_create(&c->th, NULL, destroy_main, rk)) {
		rd_kafka_destroy(rk);
		return 0;
	}
	c->started = 1;
	return 1;
}

void kafka_destroy_end(struct kafka_closing *c, const struct timespec *by,
		       int timeout_ms, const char *who)
{
	if (!c->started)
		return;
	c->started = 0;
	/* A timed join, not naps: most clients are gone in a millisecond or
	 * two, and a triggered run pays each shutdown in its time. */
	if (!pthread_timedjoin_np(c->th, NULL, by))
		return;
	pthread_detach(c->th);
	log_msg(SLUICE_LOG_WARN, who,
		"kafka client did not shut down within %d ms (a group request "
		"is still in flight); leaving it to the process exit",
		timeout_ms);
}

void kafka_destroy_deadline(struct timespec *by, int timeout_ms)
{
	clock_gettime(CLOCK_REALTIME, by);
	by->tv_sec += timeout_ms / 1000;
	by->tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (by->tv_nsec >= 1000000000) {
		by->tv_sec++;
		by->tv_nsec -= 1000000000;
	}
}

void kafka_destroy_wait(struct kafka_closing *c, int timeout_ms,
			const char *who)
{
	struct timespec by;
	kafka_destroy_deadline(&by, timeout_ms);
	kafka_destroy_end(c, &by, timeout_ms, who);
}

void kafka_destroy_bounded(rd_kafka_t *rk, int timeout_ms, const char *who)
{
	struct kafka_closing c;
	if (kafka_destroy_begin(&c, rk))
		kafka_destroy_wait(&c, timeout_ms, who);
}
