/*
 * target_file.c - the file:// target: the same keys as files under a
 * root directory. An object is written to a hidden temporary name in its
 * final directory (.NAME.tmp), fsynced, given its offsets (extended
 * attribute user.sluice.end, or a hidden .NAME.end file where the file
 * system has no user attributes), renamed into place, and the directory
 * fsynced: a reader sees a whole object or none. A multipart upload is
 * the temporary file written part by part at each part's offset.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "target.h"

#define XATTR "user.sluice.end"

struct file_target {
	struct s3s_target base;
	char *root;
};

static struct file_target *of(struct s3s_target *t)
{
	return (struct file_target *)t;
}

static void *ctx_new(struct s3s_target *t)
{
	(void)t;
	return s3s_xcalloc(1, 1);
}

static void ctx_free(void *c)
{
	free(c);
}

/* Failures of the local file system: ENOSPC and EIO may heal (space is
 * freed, a disk comes back); a permission or a bad path will not. */
static int fail(char *err, size_t errlen, const char *what, const char *path)
{
	int e = errno;
	snprintf(err, errlen, "%s %s: %s", what, path, strerror(e));
	return (e == ENOSPC || e == EIO || e == EDQUOT || e == EINTR ||
		e == EAGAIN || e == ENOMEM)
		       ? 1
		       : 2;
}

/* The three names of an object: final, temporary, end-offset file. */
struct names {
	char path[4096], tmp[4096], end[4096], dir[4096];
};

static int names_of(struct s3s_target *t, const char *key, struct names *n,
		    char *err, size_t errlen)
{
	if (strstr(key, "../") || !strcmp(key, "..") || key[0] == '/') {
		snprintf(err, errlen, "refusing key '%s' (leaves the root)",
			 key);
		return 2;
	}
	int l = snprintf(n->path, sizeof(n->path), "%s/%s", of(t)->root, key);
	if (l < 0 || (size_t)l >= sizeof(n->path)) {
		snprintf(err, errlen, "key '%s' is too long", key);
		return 2;
	}
	snprintf(n->dir, sizeof(n->dir), "%s", n->path);
	char *slash = strrchr(n->dir, '/');
	size_t at = (size_t)(slash - n->dir);
	*slash = '\0';
	const char *base = n->path + at + 1;
	snprintf(n->tmp, sizeof(n->tmp), "%s/.%s.tmp", n->dir, base);
	snprintf(n->end, sizeof(n->end), "%s/.%s.end", n->dir, base);
	return 0;
}

static int mkdirs(const char *dir, char *err, size_t errlen)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s", dir);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) && errno != EEXIST)
			return fail(err, errlen, "mkdir", p);
		*s = '/';
	}
	if (mkdir(p, 0755) && errno != EEXIST)
		return fail(err, errlen, "mkdir", p);
	return 0;
}

static int sync_dir(const char *dir, char *err, size_t errlen)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return fail(err, errlen, "open", dir);
	int rc = fsync(fd) ? fail(err, errlen, "fsync", dir) : 0;
	close(fd);
	return rc;
}

static int write_all(int fd, const void *data, size_t len, off_t at)
{
	const char *p = data;
	while (len) {
		ssize_t w = pwrite(fd, p, len, at);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
		at += w;
	}
	return 0;
}

/* A small file written whole and renamed into place. */
static int write_small(const char *path, const char *tmp, const void *data,
		       size_t len, char *err, size_t errlen)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return fail(err, errlen, "open", tmp);
	if (write_all(fd, data, len, 0) || fsync(fd)) {
		int rc = fail(err, errlen, "write", tmp);
		close(fd);
		return rc;
	}
	close(fd);
	if (rename(tmp, path))
		return fail(err, errlen, "rename", tmp);
	return 0;
}

/* Records meta with the open temporary file fd of object n. */
static int record_end(int fd, const struct names *n, const struct s3s_obj *m,
		      char *err, size_t errlen)
{
	char text[128];
	int tl = snprintf(text, sizeof(text),
			  "{\"start\":%" PRId64 ",\"end\":%" PRId64
			  ",\"lines\":%" PRId64 "}",
			  m->start, m->end, m->lines);
	if (!fsetxattr(fd, XATTR, text, (size_t)tl, 0)) {
		unlink(n->end);
		return 0;
	}
	if (errno != ENOTSUP && errno != EOPNOTSUPP && errno != EPERM)
		return fail(err, errlen, "fsetxattr", n->tmp);
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp", n->end);
	return write_small(n->end, tmp, text, (size_t)tl, err, errlen);
}

/* fsync, offsets, rename, directory fsync: the object appears whole. */
static int finish(int fd, const struct names *n, const struct s3s_obj *meta,
		  char *err, size_t errlen)
{
	int rc = 0;
	if (fsync(fd))
		rc = fail(err, errlen, "fsync", n->tmp);
	else if (meta)
		rc = record_end(fd, n, meta, err, errlen);
	close(fd);
	if (rc)
		return rc;
	if (rename(n->tmp, n->path))
		return fail(err, errlen, "rename", n->tmp);
	return sync_dir(n->dir, err, errlen);
}

static int put(struct s3s_target *t, void *ctx, const char *key,
	       const void *data, size_t len, const char *content_type,
	       const struct s3s_obj *meta, char *err, size_t errlen)
{
	(void)ctx, (void)content_type;
	struct names n;
	int rc = names_of(t, key, &n, err, errlen);
	if (rc || (rc = mkdirs(n.dir, err, errlen)))
		return rc;
	int fd = open(n.tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return fail(err, errlen, "open", n.tmp);
	if (write_all(fd, data, len, 0)) {
		rc = fail(err, errlen, "write", n.tmp);
		close(fd);
		return rc;
	}
	return finish(fd, &n, meta, err, errlen);
}

static int mpu_begin(struct s3s_target *t, void *ctx, const char *key,
		     const char *content_type, char **upload_id, char *err,
		     size_t errlen)
{
	(void)ctx, (void)content_type;
	struct names n;
	int rc = names_of(t, key, &n, err, errlen);
	if (rc || (rc = mkdirs(n.dir, err, errlen)))
		return rc;
	int fd = open(n.tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return fail(err, errlen, "open", n.tmp);
	close(fd);
	*upload_id = s3s_xstrdup(n.tmp);
	return 0;
}

static int mpu_part(struct s3s_target *t, void *ctx, const char *key,
		    const char *upload_id, int number, uint64_t offset,
		    const void *data, size_t len, char **etag, char *err,
		    size_t errlen)
{
	(void)t, (void)ctx, (void)key;
	int fd = open(upload_id, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(err, errlen, "open", upload_id);
	int rc = 0;
	if (write_all(fd, data, len, (off_t)offset))
		rc = fail(err, errlen, "write", upload_id);
	close(fd);
	if (!rc) {
		char e[32];
		snprintf(e, sizeof(e), "part-%d", number);
		*etag = s3s_xstrdup(e);
	}
	return rc;
}

static int mpu_end(struct s3s_target *t, void *ctx, const char *key,
		   const char *upload_id, char *const *etags, int n,
		   const struct s3s_obj *meta, char *err, size_t errlen)
{
	(void)ctx, (void)etags, (void)n, (void)upload_id;
	struct names nm;
	int rc = names_of(t, key, &nm, err, errlen);
	if (rc)
		return rc;
	int fd = open(nm.tmp, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(err, errlen, "open", nm.tmp);
	return finish(fd, &nm, meta, err, errlen);
}

static int mpu_abort(struct s3s_target *t, void *ctx, const char *key,
		     const char *upload_id, char *err, size_t errlen)
{
	(void)t, (void)ctx, (void)key;
	if (unlink(upload_id) && errno != ENOENT)
		return fail(err, errlen, "unlink", upload_id);
	return 0;
}

static int probe(struct s3s_target *t, void *ctx, const char *key, int *found,
		 int64_t *end, char *err, size_t errlen)
{
	(void)ctx;
	struct names n;
	*found = 0;
	*end = -1;
	int rc = names_of(t, key, &n, err, errlen);
	if (rc)
		return rc;
	if (unlink(n.tmp) && errno != ENOENT)
		return fail(err, errlen, "unlink", n.tmp);
	struct stat st;
	if (stat(n.path, &st)) {
		if (errno == ENOENT)
			return 0;
		return fail(err, errlen, "stat", n.path);
	}
	*found = 1;
	char text[256];
	ssize_t l = getxattr(n.path, XATTR, text, sizeof(text) - 1);
	if (l < 0) {
		int fd = open(n.end, O_RDONLY | O_CLOEXEC);
		l = fd < 0 ? -1 : read(fd, text, sizeof(text) - 1);
		if (fd >= 0)
			close(fd);
	}
	if (l > 0) {
		text[l] = '\0';
		const char *e = strstr(text, "\"end\":");
		if (e)
			*end = strtoll(e + 6, NULL, 10);
	}
	return 0;
}

static int get(struct s3s_target *t, void *ctx, const char *key,
	       struct s3s_buf *out, int *found, char *err, size_t errlen)
{
	(void)ctx;
	struct names n;
	*found = 0;
	int rc = names_of(t, key, &n, err, errlen);
	if (rc)
		return rc;
	int fd = open(n.path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT) {
			s3s_buf_reserve(out, 0);
			return 0;
		}
		return fail(err, errlen, "open", n.path);
	}
	char buf[65536];
	ssize_t r;
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		s3s_buf_add(out, buf, (size_t)r);
	rc = r < 0 ? fail(err, errlen, "read", n.path) : 0;
	close(fd);
	*found = !rc;
	s3s_buf_reserve(out, 0);
	return rc;
}

static int list(struct s3s_target *t, void *ctx, const char *key_prefix,
		struct s3s_buf *keys, char *err, size_t errlen)
{
	(void)ctx;
	struct names n;
	/* names_of wants a file name: list "DIR/" as the prefix "DIR/x"'s
	 * directory with an empty name prefix. */
	struct s3s_buf k = {0};
	s3s_buf_adds(&k, key_prefix);
	s3s_buf_addc(&k, 'x');
	int rc = names_of(t, k.p, &n, err, errlen);
	s3s_buf_free(&k);
	if (rc)
		return rc;
	const char *slash = strrchr(key_prefix, '/');
	size_t dirlen = slash ? (size_t)(slash - key_prefix) + 1 : 0;
	const char *base = key_prefix + dirlen;
	size_t bl = strlen(base);
	if (!keys->p)
		s3s_buf_reserve(keys, 0);
	DIR *d = opendir(n.dir);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return fail(err, errlen, "opendir", n.dir);
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || strncmp(e->d_name, base, bl))
			continue;
		char p[4096 + 256];
		struct stat st;
		snprintf(p, sizeof(p), "%s/%s", n.dir, e->d_name);
		if (stat(p, &st) || !S_ISREG(st.st_mode))
			continue;
		s3s_buf_add(keys, key_prefix, dirlen);
		s3s_buf_adds(keys, e->d_name);
		s3s_buf_addc(keys, '\n');
	}
	closedir(d);
	return 0;
}

static int del(struct s3s_target *t, void *ctx, const char *key, char *err,
	       size_t errlen)
{
	(void)ctx;
	struct names n;
	int rc = names_of(t, key, &n, err, errlen);
	if (rc)
		return rc;
	if (unlink(n.path) && errno != ENOENT)
		return fail(err, errlen, "unlink", n.path);
	if (unlink(n.end) && errno != ENOENT)
		return fail(err, errlen, "unlink", n.end);
	return 0;
}

static int check(struct s3s_target *t, void *ctx, char *err, size_t errlen)
{
	(void)ctx;
	if (access(of(t)->root, W_OK | X_OK))
		return fail(err, errlen, "cannot write to", of(t)->root);
	return 0;
}

static void target_free(struct s3s_target *t)
{
	free(of(t)->root);
	free(t->prefix);
	free(t);
}

static const struct s3s_target_ops ops = {
	.ctx_new = ctx_new,
	.ctx_free = ctx_free,
	.put = put,
	.mpu_begin = mpu_begin,
	.mpu_part = mpu_part,
	.mpu_end = mpu_end,
	.mpu_abort = mpu_abort,
	.probe = probe,
	.get = get,
	.list = list,
	.del = del,
	.check = check,
	.free = target_free,
};

struct s3s_target *s3s_target_file_new(const char *root, const char *prefix,
				       char *err, size_t errlen)
{
	if (root[0] != '/') {
		snprintf(err, errlen,
			 "file target '%s': the directory must be absolute "
			 "(file:///path)",
			 root);
		return NULL;
	}
	size_t rl = strlen(root);
	while (rl > 1 && root[rl - 1] == '/')
		rl--;
	char *r = s3s_xmemdup(root, rl);
	if (mkdirs(r, err, errlen)) {
		free(r);
		return NULL;
	}
	struct file_target *f = s3s_xcalloc(1, sizeof(*f));
	f->base.ops = &ops;
	f->base.prefix = s3s_xstrdup(prefix ? prefix : "");
	f->base.multipart_ok = 1;
	atomic_init(&f->base.stop, 0);
	f->root = r;
	snprintf(f->base.where, sizeof(f->base.where), "file://%s", r);
	return &f->base;
}
