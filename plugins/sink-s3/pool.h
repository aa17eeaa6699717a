/*
 * pool.h - the upload threads: N threads, each with its own context (a
 * connection handle), taking jobs from one queue. Finished jobs are
 * handed back to the task's thread in completion order, so that all the
 * plugin's state is only ever touched by the task's thread; a job
 * touches nothing but itself while it runs.
 */
#ifndef S3S_POOL_H
#define S3S_POOL_H

struct s3s_job {
	void (*run)(struct s3s_job *j, void *ctx);
	struct s3s_job *next; /* the pool's */
};

struct s3s_pool;

struct s3s_pool *s3s_pool_new(int threads, void *(*ctx_new)(void *arg),
			      void (*ctx_free)(void *arg, void *ctx),
			      void *arg);
void s3s_pool_submit(struct s3s_pool *p, struct s3s_job *j);
/* A finished job, oldest first; blocks for one when `block` and jobs
 * are outstanding. NULL when there is none. */
struct s3s_job *s3s_pool_done(struct s3s_pool *p, int block);
/* Jobs submitted and not yet taken back with s3s_pool_done. */
int s3s_pool_outstanding(struct s3s_pool *p);
/* Finishes the queued jobs, stops the threads, frees. Jobs still not
 * taken back are forgotten (their owner frees them). */
void s3s_pool_free(struct s3s_pool *p);

#endif
