/*
 * target.h - where objects go: an S3 bucket (target_s3.c) or a local
 * directory (target_file.c), behind one set of blocking operations that
 * the upload threads call. Every operation returns 0 (done), 1 (failed
 * for now: retry later) or 2 (failed for good), the values of
 * SLUICE_OK, SLUICE_RETRY and SLUICE_FATAL, with a message in err.
 *
 * A target stores with each object the offsets it holds (end = the
 * offset after its last record): in the object's metadata for a single
 * PUT, and for a multipart object in a marker written before the upload
 * is completed. probe() reads it back, which is what lets a restarted
 * task rebuild exactly the objects an earlier run left uncommitted.
 */
#ifndef S3S_TARGET_H
#define S3S_TARGET_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct s3s_obj {
	int64_t start, end, lines;
};

struct s3s_target;

struct s3s_target_ops {
	/* Per upload thread: a connection handle, a random state. */
	void *(*ctx_new)(struct s3s_target *t);
	void (*ctx_free)(void *ctx);
	/* A whole object; meta NULL for objects without offsets. */
	int (*put)(struct s3s_target *t, void *ctx, const char *key,
		   const void *data, size_t len, const char *content_type,
		   const struct s3s_obj *meta, char *err, size_t errlen);
	/* Multipart: begin gives an upload id (free it); parts are
	 * numbered from 1 and `offset` is where the part starts in the
	 * object; end writes the marker, then completes. */
	int (*mpu_begin)(struct s3s_target *t, void *ctx, const char *key,
			 const char *content_type, char **upload_id, char *err,
			 size_t errlen);
	int (*mpu_part)(struct s3s_target *t, void *ctx, const char *key,
			const char *upload_id, int number, uint64_t offset,
			const void *data, size_t len, char **etag, char *err,
			size_t errlen);
	int (*mpu_end)(struct s3s_target *t, void *ctx, const char *key,
		       const char *upload_id, char *const *etags, int n,
		       const struct s3s_obj *meta, char *err, size_t errlen);
	int (*mpu_abort)(struct s3s_target *t, void *ctx, const char *key,
			 const char *upload_id, char *err, size_t errlen);
	/* Recovery: whether key exists and the end offset it records (-1
	 * when it records none). The file target also removes what a
	 * crash left of a write of key. */
	int (*probe)(struct s3s_target *t, void *ctx, const char *key,
		     int *found, int64_t *end, char *err, size_t errlen);
	/* Optional: aborts the unfinished multipart uploads of key that a
	 * crash left (S3). Must not run while an upload of key is ours. */
	int (*cleanup)(struct s3s_target *t, void *ctx, const char *key,
		       char *err, size_t errlen);
	/* Whether the target is reachable and writable with these
	 * credentials (at open). */
	int (*check)(struct s3s_target *t, void *ctx, char *err, size_t errlen);
	/* The whole object (*found = 0 when missing). */
	int (*get)(struct s3s_target *t, void *ctx, const char *key,
		   struct s3s_buf *out, int *found, char *err, size_t errlen);
	/* The keys that start with key_prefix, one a line (snapshot
	 * pruning). The file target lists one directory level: the part of
	 * key_prefix after its last '/' is a file name prefix, and hidden
	 * files (temporary, end offsets) are left out. */
	int (*list)(struct s3s_target *t, void *ctx, const char *key_prefix,
		    struct s3s_buf *keys, char *err, size_t errlen);
	/* Removes key (with what the target keeps beside it); a missing key
	 * is no error. */
	int (*del)(struct s3s_target *t, void *ctx, const char *key, char *err,
		   size_t errlen);
	void (*free)(struct s3s_target *t);
};

struct s3s_target {
	const struct s3s_target_ops *ops;
	char *prefix;	  /* key prefix, may be "" */
	char where[512];  /* "s3://bucket at http://..." for messages */
	atomic_int stop;  /* set when the task closes: cut retries short */
	int multipart_ok; /* supports mpu_* */
};

struct s3s_s3cfg;
/* Takes cfg over (freed with the target). */
struct s3s_target *s3s_target_s3_new(struct s3s_s3cfg *cfg, const char *prefix);
/* root: an absolute directory (created when missing). NULL with err. */
struct s3s_target *s3s_target_file_new(const char *root, const char *prefix,
				       char *err, size_t errlen);

/* S3 only (tests, tools): every key under prefix, and every unfinished
 * multipart upload under prefix (key '\n' id per line in out). */
int s3s_s3_list(struct s3s_target *t, void *ctx, const char *prefix,
		struct s3s_buf *keys, char *err, size_t errlen);
int s3s_s3_list_uploads(struct s3s_target *t, void *ctx, const char *prefix,
			struct s3s_buf *out, char *err, size_t errlen);
int s3s_s3_delete(struct s3s_target *t, void *ctx, const char *key, char *err,
		  size_t errlen);

#endif
