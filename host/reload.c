/*
 * reload.c - applying a changed connectors.d on SIGHUP (see reload.h).
 */
#include "reload.h"

#include <stdlib.h>
#include <string.h>

#include "connector.h"
#include "log.h"
#include "worker.h"

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= UINT64_C(1099511628211);
	}
	return h;
}

static uint64_t hash_str(uint64_t h, const char *s)
{
	h = fnv(h, s ? s : "", s ? strlen(s) + 1 : 1);
	return h;
}

static uint64_t hash_node(uint64_t h, const struct ynode *n)
{
	if (!n)
		return fnv(h, "~", 1);
	unsigned char type = (unsigned char)n->type;
	h = fnv(h, &type, 1);
	h = hash_str(h, n->key);
	h = hash_str(h, n->value);
	for (size_t i = 0; i < n->n; i++)
		h = hash_node(h, n->kids[i]);
	return h;
}

uint64_t reload_fingerprint(const struct connector_config *c)
{
	return hash_node(UINT64_C(14695981039346656037), c->root);
}

static struct connector_config *find_cfg(const struct connector_list *l,
					 const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i] && !strcmp(l->v[i]->name, name))
			return l->v[i];
	return NULL;
}

/* Stops and removes the running connectors marked in `drop`. */
static void remove_marked(struct worker *w, const int *drop)
{
	struct connector **stop = calloc(w->conns_n + 1, sizeof(*stop));
	if (!stop)
		abort();
	size_t n = 0, kept = 0;
	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < w->conns_n; i++) {
		if (drop[i])
			stop[n++] = w->conns[i];
		else
			w->conns[kept++] = w->conns[i];
	}
	w->conns_n = kept;
	pthread_mutex_unlock(&w->lock);
	worker_stop_connectors(w, stop, n);
	for (size_t i = 0; i < n; i++) {
		log_msg(SLUICE_LOG_INFO, stop[i]->cfg->name, "stopped");
		connector_free(stop[i]);
	}
	free(stop);
}

void reload_connectors(struct worker *w)
{
	const char *dir = w->setup->worker.connectors_dir;
	log_msg(SLUICE_LOG_INFO, NULL, "SIGHUP: reloading %s", dir);
	struct diags d = {0};
	struct connector_list l = {0};
	int bad = config_load_connectors(&l, dir, &d);
	if (config_check_plugins(&l, &w->setup->plugins, &d))
		bad = -1;
	if (bad) {
		for (size_t i = 0; i < d.n; i++) {
			char buf[2048];
			diags_format(&d.v[i], buf, sizeof(buf));
			log_msg(SLUICE_LOG_ERROR, NULL, "%s", buf);
		}
		log_msg(SLUICE_LOG_ERROR, NULL,
			"reload not applied (%zu problem%s); the running "
			"connectors are unchanged",
			d.n, d.n == 1 ? "" : "s");
		goto out;
	}
	size_t removed = 0, changed = 0, added = 0, same = 0;
	int *drop = calloc(w->conns_n + 1, sizeof(int));
	if (!drop)
		abort();
	for (size_t i = 0; i < w->conns_n; i++) {
		struct connector *c = w->conns[i];
		struct connector_config *n = find_cfg(&l, c->cfg->name);
		if (!n) {
			drop[i] = 1;
			removed++;
		} else if (reload_fingerprint(n) != c->fingerprint) {
			drop[i] = 1;
			changed++;
		} else {
			/* unchanged: keep the running one */
			for (size_t j = 0; j < l.n; j++)
				if (l.v[j] == n) {
					config_free_connector(n);
					l.v[j] = NULL;
				}
			same++;
		}
	}
	remove_marked(w, drop);
	free(drop);
	struct connector_list start = {0};
	start.v = l.v;
	start.n = l.n;
	/* Only what is left in l is to start; compact it. */
	size_t k = 0;
	for (size_t i = 0; i < l.n; i++)
		if (l.v[i])
			l.v[k++] = l.v[i];
	l.n = k;
	start.n = k;
	added = k - changed;
	worker_ensure_topics(w, &start);
	for (size_t i = 0; i < l.n; i++) {
		struct connector_config *cfg = l.v[i];
		l.v[i] = NULL;
		if (worker_open_connector(w, cfg) ||
		    connector_run(w->conns[w->conns_n - 1])) {
			pthread_mutex_lock(&w->lock);
			struct connector *c = w->conns[--w->conns_n];
			pthread_mutex_unlock(&w->lock);
			worker_stop_connectors(w, &c, 1);
			log_msg(SLUICE_LOG_ERROR, c->cfg->name,
				"could not start after reload");
			connector_free(c);
		}
	}
	log_msg(SLUICE_LOG_INFO, NULL,
		"reload applied: %zu added, %zu removed, %zu changed, %zu "
		"unchanged",
		added, removed, changed, same);
out:
	config_free_connectors(&l);
	diags_free(&d);
}
