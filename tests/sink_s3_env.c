/*
 * sink_s3_env.c - the helpers of sink_s3_env.h.
 */
#include "sink_s3_env.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "s3_client.h"
#include "s3_creds.h"
#include "target.h"
#include "util.h"

static const char *env_get(const char *name)
{
	return getenv(name);
}

int s3env_init(struct s3env *e, const char *name)
{
	memset(e, 0, sizeof(*e));
	e->endpoint = getenv("S3_ENDPOINT");
	e->bucket = getenv("S3_BUCKET");
	e->region = getenv("S3_REGION");
	if (!e->endpoint || !*e->endpoint || !e->bucket ||
	    !getenv("AWS_ACCESS_KEY_ID") || !getenv("AWS_SECRET_ACCESS_KEY"))
		return -1;
	if (!e->region)
		e->region = "us-east-1";
	snprintf(e->prefix, sizeof(e->prefix), "sluice-tests/%s-%d-%ld", name,
		 (int)getpid(), (long)time(NULL));
	struct s3s_s3cfg c = {0};
	char err[512];
	c.bucket = s3s_xstrdup(e->bucket);
	c.region = s3s_xstrdup(e->region);
	c.verify = 1;
	c.payload_signing = 1;
	c.retries = 4;
	c.backoff_ms = 100;
	c.backoff_max_ms = 1000;
	c.connect_timeout_ms = 5000;
	c.timeout_ms = 120000;
	struct s3s_creds_src src = {.env = env_get};
	if (s3s_s3cfg_endpoint(&c, e->endpoint, "path", err, sizeof(err)) ||
	    s3s_creds_resolve(&src, &c.creds, err, sizeof(err))) {
		fprintf(stderr, "s3env: %s\n", err);
		s3s_s3cfg_free(&c);
		return -1;
	}
	e->t = s3s_target_s3_new(&c, "");
	e->ctx = e->t->ops->ctx_new(e->t);
	return 0;
}

void s3env_free(struct s3env *e)
{
	if (!e->t)
		return;
	e->t->ops->ctx_free(e->ctx);
	e->t->ops->free(e->t);
	e->t = NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **s3env_list(struct s3env *e, const char *prefix, size_t *n)
{
	struct s3s_buf keys = {0};
	char err[1024];
	*n = 0;
	if (s3s_s3_list(e->t, e->ctx, prefix, &keys, err, sizeof(err))) {
		fprintf(stderr, "s3env: list %s: %s\n", prefix, err);
		s3s_buf_free(&keys);
		return NULL;
	}
	size_t cap = 16;
	char **v = s3s_xmalloc(cap * sizeof(*v));
	for (char *p = keys.p; p && *p;) {
		char *nl = strchr(p, '\n');
		if (*n == cap)
			v = s3s_xrealloc(v, (cap *= 2) * sizeof(*v));
		v[(*n)++] = s3s_xmemdup(p, (size_t)(nl - p));
		p = nl + 1;
	}
	s3s_buf_free(&keys);
	qsort(v, *n, sizeof(*v), cmp_str);
	return v;
}

void s3env_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n && v; i++)
		free(v[i]);
	free(v);
}

static char *gunzip(const char *p, size_t n, size_t *len)
{
	struct s3s_buf out = {0};
	z_stream z = {0};
	if (inflateInit2(&z, 47) != Z_OK)
		return NULL;
	z.next_in = (Bytef *)(uintptr_t)p;
	z.avail_in = (uInt)n;
	int rc;
	do {
		s3s_buf_reserve(&out, 1 << 16);
		z.next_out = (Bytef *)out.p + out.len;
		z.avail_out = (uInt)(out.cap - out.len - 1);
		uInt before = z.avail_out;
		rc = inflate(&z, Z_NO_FLUSH);
		out.len += before - z.avail_out;
	} while (rc == Z_OK);
	inflateEnd(&z);
	if (rc != Z_STREAM_END || z.avail_in) {
		s3s_buf_free(&out);
		return NULL;
	}
	out.p[out.len] = '\0';
	*len = out.len;
	return s3s_buf_take(&out);
}

char *s3env_get(struct s3env *e, const char *key, size_t *len)
{
	struct s3s_buf b = {0};
	int found = 0;
	char err[1024];
	if (e->t->ops->get(e->t, e->ctx, key, &b, &found, err, sizeof(err)) ||
	    !found) {
		s3s_buf_free(&b);
		return NULL;
	}
	size_t kl = strlen(key);
	if (kl > 3 && !strcmp(key + kl - 3, ".gz")) {
		char *g = gunzip(b.p, b.len, len);
		s3s_buf_free(&b);
		return g;
	}
	*len = b.len;
	return s3s_buf_take(&b);
}

int s3env_uploads(struct s3env *e, const char *prefix)
{
	struct s3s_buf b = {0};
	char err[1024];
	if (s3s_s3_list_uploads(e->t, e->ctx, prefix, &b, err, sizeof(err))) {
		fprintf(stderr, "s3env: uploads: %s\n", err);
		s3s_buf_free(&b);
		return -1;
	}
	int n = 0;
	for (size_t i = 0; i < b.len; i++)
		n += b.p[i] == '\n';
	s3s_buf_free(&b);
	return n / 2;
}

/* Runs fn(e, ctx, key, slot) for every key on 8 threads, each with a
 * connection of its own. */
struct fan {
	struct s3env *e;
	char **keys;
	size_t n;
	char **out;
	size_t *len;
	int del;
	pthread_mutex_t mu;
	size_t next;
};

static void *fan_worker(void *arg)
{
	struct fan *f = arg;
	void *ctx = f->e->t->ops->ctx_new(f->e->t);
	for (;;) {
		pthread_mutex_lock(&f->mu);
		size_t i = f->next++;
		pthread_mutex_unlock(&f->mu);
		if (i >= f->n)
			break;
		char err[1024];
		if (f->del) {
			s3s_s3_delete(f->e->t, ctx, f->keys[i], err,
				      sizeof(err));
			continue;
		}
		struct s3s_buf b = {0};
		int found = 0;
		if (f->e->t->ops->get(f->e->t, ctx, f->keys[i], &b, &found, err,
				      sizeof(err)) ||
		    !found) {
			fprintf(stderr, "s3env: cannot read %s: %s\n",
				f->keys[i], err);
			s3s_buf_free(&b);
			continue;
		}
		size_t kl = strlen(f->keys[i]);
		if (kl > 3 && !strcmp(f->keys[i] + kl - 3, ".gz")) {
			f->out[i] = gunzip(b.p, b.len, &f->len[i]);
			s3s_buf_free(&b);
		} else {
			f->len[i] = b.len;
			f->out[i] = s3s_buf_take(&b);
		}
	}
	f->e->t->ops->ctx_free(ctx);
	return NULL;
}

static void fan_out(struct fan *f)
{
	pthread_t th[8];
	pthread_mutex_init(&f->mu, NULL);
	f->next = 0;
	for (int i = 0; i < 8; i++)
		pthread_create(&th[i], NULL, fan_worker, f);
	for (int i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&f->mu);
}

void s3env_delete_prefix(struct s3env *e, const char *prefix)
{
	size_t n;
	char **v = s3env_list(e, prefix, &n);
	struct fan f = {.e = e, .keys = v, .n = n, .del = 1};
	fan_out(&f);
	s3env_strv_free(v, n);
}

int s3env_put(struct s3env *e, const char *key, const void *p, size_t n)
{
	char err[1024];
	int rc = e->t->ops->put(e->t, e->ctx, key, p, n, NULL, NULL, err,
				sizeof(err));
	if (rc)
		fprintf(stderr, "s3env: put %s: %s\n", key, err);
	return rc;
}

int s3env_orphan_upload(struct s3env *e, const char *key)
{
	char err[1024], *id = NULL, *etag = NULL;
	int rc = e->t->ops->mpu_begin(e->t, e->ctx, key, NULL, &id, err,
				      sizeof(err));
	if (!rc) {
		size_t n = 5 << 20;
		char *part = s3s_xmalloc(n);
		memset(part, 'o', n);
		rc = e->t->ops->mpu_part(e->t, e->ctx, key, id, 1, 0, part, n,
					 &etag, err, sizeof(err));
		free(part);
	}
	if (rc)
		fprintf(stderr, "s3env: orphan %s: %s\n", key, err);
	free(id);
	free(etag);
	return rc;
}

char *s3env_read_lines(struct s3env *e, const char *prefix, size_t *nobjects)
{
	size_t n;
	char **v = s3env_list(e, prefix, &n);
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (strstr(v[i], "/_sluice/") || strstr(v[i], "/_latest")) {
			free(v[i]);
			continue;
		}
		v[m++] = v[i];
	}
	struct fan f = {.e = e, .keys = v, .n = m};
	f.out = s3s_xcalloc(m, sizeof(*f.out));
	f.len = s3s_xcalloc(m, sizeof(*f.len));
	fan_out(&f);
	struct s3s_buf all = {0};
	*nobjects = 0;
	for (size_t i = 0; i < m; i++) {
		if (!f.out[i])
			continue;
		s3s_buf_add(&all, f.out[i], f.len[i]);
		free(f.out[i]);
		(*nobjects)++;
	}
	free(f.out);
	free(f.len);
	s3env_strv_free(v, m);
	s3s_buf_reserve(&all, 0);
	return s3s_buf_take(&all);
}

/* ---- a set of strings ---- */

struct set {
	char **slot;
	size_t cap, n;
};

static uint64_t hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
	return h;
}

/* 1 when added, 0 when it was there. */
static int set_add(struct set *s, const char *k, size_t n)
{
	if (s->n * 2 >= s->cap) {
		struct set t = {
			s3s_xcalloc(s->cap ? s->cap * 2 : 1024, sizeof(char *)),
			s->cap ? s->cap * 2 : 1024, 0};
		for (size_t i = 0; i < s->cap; i++)
			if (s->slot[i])
				set_add(&t, s->slot[i], strlen(s->slot[i]));
		for (size_t i = 0; i < s->cap; i++)
			free(s->slot[i]);
		free(s->slot);
		*s = t;
	}
	size_t i = (size_t)(hash(k, n) & (s->cap - 1));
	while (s->slot[i]) {
		if (strlen(s->slot[i]) == n && !memcmp(s->slot[i], k, n))
			return 0;
		i = (i + 1) & (s->cap - 1);
	}
	s->slot[i] = s3s_xmemdup(k, n);
	s->n++;
	return 1;
}

static int set_has(const struct set *s, const char *k)
{
	if (!s->cap)
		return 0;
	size_t n = strlen(k);
	size_t i = (size_t)(hash(k, n) & (s->cap - 1));
	while (s->slot[i]) {
		if (!strcmp(s->slot[i], k))
			return 1;
		i = (i + 1) & (s->cap - 1);
	}
	return 0;
}

size_t s3env_count_ids(const char *lines, const char *field, size_t nexpect,
		       void (*expect)(size_t i, char *buf, size_t len),
		       size_t *dups, size_t *missing)
{
	struct set seen = {0};
	char pat[128], pat2[128];
	snprintf(pat, sizeof(pat), "\"%s\": \"", field);
	snprintf(pat2, sizeof(pat2), "\"%s\":\"", field);
	size_t nl = 0, left = lines ? strlen(lines) : 0;
	*dups = 0;
	/* Searches bounded by the line (memchr, memmem): str* functions on
	 * the rest of a big buffer would make this quadratic (sanitizers
	 * measure the whole string at each call). */
	for (const char *p = lines; left;) {
		const char *end = memchr(p, '\n', left);
		size_t len = end ? (size_t)(end - p) : left;
		nl++;
		const char *id = memmem(p, len, pat, strlen(pat));
		size_t skip = strlen(pat);
		if (!id) {
			id = memmem(p, len, pat2, strlen(pat2));
			skip = strlen(pat2);
		}
		if (id) {
			id += skip;
			const char *q = memchr(id, '"', (size_t)(p + len - id));
			if (q && !set_add(&seen, id, (size_t)(q - id)))
				(*dups)++;
		}
		size_t step = end ? len + 1 : len;
		p += step;
		left -= step;
	}
	*missing = 0;
	char buf[256];
	for (size_t i = 0; i < nexpect; i++) {
		expect(i, buf, sizeof(buf));
		if (!set_has(&seen, buf))
			(*missing)++;
	}
	for (size_t i = 0; i < seen.cap; i++)
		free(seen.slot[i]);
	free(seen.slot);
	return nl;
}

/* ---- the fault proxy ---- */

static int port_free(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {0};
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

int proxy_start(struct proxy *p, const char *dir, const char *upstream)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->dir, sizeof(p->dir), "%s", dir);
	int base = 21000 + (int)(getpid() % 4000) * 2;
	for (int i = 0; i < 400; i++, base += 2) {
		if (base > 60000)
			base = 21000;
		if (port_free(base) && port_free(base + 1))
			break;
	}
	p->port = base;
	p->cport = base + 1;
	const char *src = getenv("top_srcdir");
	char cmd[PATH_MAX * 3];
	snprintf(cmd, sizeof(cmd),
		 "S3_PROXY_PORT=%d S3_PROXY_CONTROL_PORT=%d "
		 "S3_PROXY_UPSTREAM='%s' '%s/scripts/s3-proxy' -d '%s' start "
		 ">'%s.out' 2>&1",
		 p->port, p->cport, upstream, src ? src : ".", dir, dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "proxy: '%s' failed\n", cmd);
		return -1;
	}
	snprintf(p->endpoint, sizeof(p->endpoint), "http://127.0.0.1:%d",
		 p->port);
	p->running = 1;
	return 0;
}

static size_t to_buf(char *d, size_t size, size_t n, void *ud)
{
	s3s_buf_add(ud, d, size * n);
	return size * n;
}

static int control(struct proxy *p, const char *path, struct s3s_buf *out)
{
	char url[512];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", p->cport, path);
	CURL *h = curl_easy_init();
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, to_buf);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	CURLcode rc = curl_easy_perform(h);
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	s3s_buf_reserve(out, 0);
	return rc || status != 200 ? -1 : 0;
}

int proxy_set(struct proxy *p, const char *query)
{
	char path[300];
	snprintf(path, sizeof(path), "/set?%s", query);
	struct s3s_buf b = {0};
	int rc = control(p, path, &b);
	s3s_buf_free(&b);
	return rc;
}

long proxy_stat(struct proxy *p, const char *name)
{
	struct s3s_buf b = {0};
	long v = -1;
	if (!control(p, "/stats", &b)) {
		size_t nl = strlen(name);
		for (char *l = b.p; l && *l;) {
			if (!strncmp(l, name, nl) && l[nl] == '=')
				v = strtol(l + nl + 1, NULL, 10);
			char *e = strchr(l, '\n');
			l = e ? e + 1 : NULL;
		}
	}
	s3s_buf_free(&b);
	return v;
}

void proxy_stop(struct proxy *p)
{
	if (!p->running)
		return;
	const char *src = getenv("top_srcdir");
	char cmd[PATH_MAX * 3];
	snprintf(cmd, sizeof(cmd),
		 "'%s/scripts/s3-proxy' -d '%s' stop --purge >/dev/null 2>&1;"
		 " rm -f '%s.out'",
		 src ? src : ".", p->dir, p->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "proxy: stop failed\n");
	p->running = 0;
}
