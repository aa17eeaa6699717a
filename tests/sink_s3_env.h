/*
 * sink_s3_env.h - what the sink-s3 tests against the test radosgw share:
 * the server from the environment (S3_ENDPOINT, S3_BUCKET, S3_REGION,
 * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, as scripts/test exports
 * them), a client of the plugin's own S3 code to list, read and delete
 * what a test wrote, the fault proxy (scripts/s3-proxy) on free ports,
 * and the exactly-once check over a set of JSON Lines objects.
 */
#ifndef SINK_S3_ENV_H
#define SINK_S3_ENV_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

struct s3s_target;

struct s3env {
	const char *endpoint, *bucket, *region;
	char prefix[256]; /* unique to this run: sluice-tests/NAME-PID-TIME */
	struct s3s_target *t;
	void *ctx;
};

/* 0, or -1 when no S3 server is configured (the caller exits 77). */
int s3env_init(struct s3env *e, const char *name);
void s3env_free(struct s3env *e);

/* Keys under prefix, sorted; free with s3env_strv_free. */
char **s3env_list(struct s3env *e, const char *prefix, size_t *n);
void s3env_strv_free(char **v, size_t n);
/* The object's bytes (gunzipped when the key ends in .gz), or NULL. */
char *s3env_get(struct s3env *e, const char *key, size_t *len);
/* Unfinished multipart uploads under prefix. */
int s3env_uploads(struct s3env *e, const char *prefix);
void s3env_delete_prefix(struct s3env *e, const char *prefix);
/* Raw PUT (meta: NULL). 0 or a status. */
int s3env_put(struct s3env *e, const char *key, const void *p, size_t n);
/* Starts a multipart upload of key with one 5 MiB part and leaves it
 * (what a crash leaves). 0 or a status. */
int s3env_orphan_upload(struct s3env *e, const char *key);

/* The JSON Lines of every object under prefix except _sluice/ markers,
 * concatenated. Free with free(). */
char *s3env_read_lines(struct s3env *e, const char *prefix, size_t *nobjects);

/* Counts how often each id appears: ids are the values of the JSON
 * member `field` ("id":"..."). Returns the number of lines; *dups the
 * lines whose id was seen before, *missing the expected ids (given by
 * expect(i, buf) for i < nexpect) never seen. */
size_t s3env_count_ids(const char *lines, const char *field, size_t nexpect,
		       void (*expect)(size_t i, char *buf, size_t len),
		       size_t *dups, size_t *missing);

struct proxy {
	char dir[PATH_MAX];
	int port, cport;
	char endpoint[64];
	int running;
};

/* Starts scripts/s3-proxy in dir in front of upstream, on free ports. */
int proxy_start(struct proxy *p, const char *dir, const char *upstream);
/* GET /set?query on the control port ("" = no faults). 0 or -1. */
int proxy_set(struct proxy *p, const char *query);
/* One counter of /stats, or -1. */
long proxy_stat(struct proxy *p, const char *name);
void proxy_stop(struct proxy *p);

#endif
