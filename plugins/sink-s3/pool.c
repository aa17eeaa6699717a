/*
 * pool.c - the upload threads of pool.h: a mutex, two condition
 * variables, a FIFO of jobs to run and one of jobs done.
 */
#include "pool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "util.h"

struct s3s_pool {
	pthread_mutex_t mu;
	pthread_cond_t work, finished;
	struct s3s_job *todo, *todo_tail, *done, *done_tail;
	int outstanding;
	int stopping;
	int nthreads;
	pthread_t *threads;
	void *(*ctx_new)(void *);
	void (*ctx_free)(void *, void *);
	void *arg;
};

static void push(struct s3s_job **head, struct s3s_job **tail,
		 struct s3s_job *j)
{
	j->next = NULL;
	if (*tail)
		(*tail)->next = j;
	else
		*head = j;
	*tail = j;
}

static struct s3s_job *pop(struct s3s_job **head, struct s3s_job **tail)
{
	struct s3s_job *j = *head;
	if (j) {
		*head = j->next;
		if (!*head)
			*tail = NULL;
		j->next = NULL;
	}
	return j;
}

static void *worker(void *arg)
{
	struct s3s_pool *p = arg;
	void *ctx = p->ctx_new ? p->ctx_new(p->arg) : NULL;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->todo && !p->stopping)
			pthread_cond_wait(&p->work, &p->mu);
		struct s3s_job *j = pop(&p->todo, &p->todo_tail);
		if (!j)
			break; /* stopping and nothing queued */
		pthread_mutex_unlock(&p->mu);
		j->run(j, ctx);
		pthread_mutex_lock(&p->mu);
		push(&p->done, &p->done_tail, j);
		pthread_cond_broadcast(&p->finished);
	}
	pthread_mutex_unlock(&p->mu);
	if (p->ctx_free)
		p->ctx_free(p->arg, ctx);
	return NULL;
}

struct s3s_pool *s3s_pool_new(int threads, void *(*ctx_new)(void *arg),
			      void (*ctx_free)(void *arg, void *ctx), void *arg)
{
	struct s3s_pool *p = s3s_xcalloc(1, sizeof(*p));
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->finished, NULL);
	p->ctx_new = ctx_new;
	p->ctx_free = ctx_free;
	p->arg = arg;
	p->threads = s3s_xcalloc((size_t)threads, sizeof(*p->threads));
	for (int i = 0; i < threads; i++) {
		if (pthread_create(&p->threads[i], NULL, worker, p)) {
			fputs("sink-s3: cannot start an upload thread\n",
			      stderr);
			abort();
		}
		p->nthreads++;
	}
	return p;
}

void s3s_pool_submit(struct s3s_pool *p, struct s3s_job *j)
{
	pthread_mutex_lock(&p->mu);
	push(&p->todo, &p->todo_tail, j);
	p->outstanding++;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
}

struct s3s_job *s3s_pool_done(struct s3s_pool *p, int block)
{
	pthread_mutex_lock(&p->mu);
	while (block && !p->done && p->outstanding > 0)
		pthread_cond_wait(&p->finished, &p->mu);
	struct s3s_job *j = pop(&p->done, &p->done_tail);
	if (j)
		p->outstanding--;
	pthread_mutex_unlock(&p->mu);
	return j;
}

int s3s_pool_outstanding(struct s3s_pool *p)
{
	pthread_mutex_lock(&p->mu);
	int n = p->outstanding;
	pthread_mutex_unlock(&p->mu);
	return n;
}

void s3s_pool_free(struct s3s_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stopping = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	free(p->threads);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->finished);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
