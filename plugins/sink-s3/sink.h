/*
 * sink.h - the state of one sink-s3 task, shared by its files:
 *   batch.c   topic-partitions and their batches: appending lines, the
 *             rotation rules, gzip, memory accounting (no I/O)
 *   upload.c  uploads on the pool's threads: per-partition chains,
 *             multipart streaming, recovery probes
 *   snapshot.c  the key -> latest value map of snapshot mode
 *   table.c   snapshot mode: tables, their snapshots, restoring them
 *   sink.c    the descriptor, the options, the callbacks
 *
 * The invariant everything rests on: the batches of a partition tile its
 * offsets in order, each batch starting at the first record after the
 * previous one (after an assignment: at the first record delivered,
 * which is the committed offset); a partition's batches are uploaded one
 * after the other, never two at once; and what flush reports durable is
 * the start of the oldest batch not uploaded yet. So the objects not
 * covered by a commit always form a chain starting at the committed
 * offset, and a restarted task rebuilds that chain object by object,
 * probing each key for the end offset the earlier run recorded and
 * ending its batch exactly there (docs/sink-s3.md, "Exactly once").
 */
#ifndef S3S_SINK_H
#define S3S_SINK_H

#include <stdint.h>
#include <zlib.h>

#include "pool.h"
#include "sluice/plugin.h"
#include "target.h"
#include "util.h"

struct s3s_config {
	int64_t flush_size;  /* records per object */
	int64_t flush_bytes; /* JSON Lines bytes per object (uncompressed) */
	int64_t rotate_ms;   /* record time span per object, 0 = off */
	int64_t schedule_ms; /* wall-clock rotation, 0 = off */
	int64_t idle_ms;     /* close a batch idle this long, 0 = off */
	int64_t budget;	     /* bytes buffered across partitions */
	int64_t part_size;   /* multipart part size */
	const char *path_format; /* "" = no time partition */
	const char *ts_field;	 /* NULL = the record's timestamp */
	size_t ts_field_len;
	int gzip, level;
	int null_ignore; /* tombstones: 0 reject, 1 skip (counted) */
	int snapshot;
	int64_t snapshot_ms;
	const char *snapshot_table; /* NULL = the topic */
	int64_t snapshot_max;	    /* bytes of all tables in memory */
	int snapshot_keep;	    /* snapshots kept per table */
	const char *ext;	    /* ".jsonl" or ".jsonl.gz" */
	const char *content_type;
	int concurrency;
};

struct s3s_tp;
struct s3s_ujob;

struct s3s_batch {
	struct s3s_batch *next; /* in the partition's done queue */
	struct s3s_tp *tp;
	int64_t start, end; /* offsets of the first and after the last line */
	int64_t lines, raw_bytes;
	int64_t first_ts;    /* record time of the first line */
	int64_t opened_wall; /* wall clock when opened (schedule) */
	int64_t last_mono;   /* monotonic time of the last line (idle) */
	char *key;
	char *tpart;	     /* time partition */
	struct s3s_buf data; /* encoded bytes not yet sent as a part */
	struct s3s_buf raw;  /* gzip: plain bytes waiting for deflate */
	z_stream *z;	     /* gzip: this batch's stream, once it is big */
	int64_t mem;	     /* bytes of memory counted for it */
	uint64_t sent;	     /* bytes sent as parts */
	int64_t forced_end;  /* recovery: the end an earlier run wrote */
	int complete;	     /* no more lines */
	/* multipart */
	char *upload_id;
	char **etags; /* [part number - 1] */
	int nparts, parts_cap;
	int inflight;		 /* part jobs out */
	struct s3s_ujob *failed; /* parts to send again */
	int waiting;		 /* complete: finish when parts are in */
};

struct s3s_tp {
	char *topic;
	int32_t partition;
	int64_t next; /* offset after the last record handled, -1 none */
	int recovering;
	struct s3s_batch *open;
	struct s3s_batch *done, *done_tail; /* complete, not uploaded */
	int busy;	  /* an upload of done's head is out */
	int failed;	  /* the last upload failed: SLUICE_RETRY/FATAL; no more
			     start until a flush tries again */
	int in_set;	  /* part of the upload_pending round under way */
	int cleanups;	  /* cleanup jobs out (no multipart begins meanwhile) */
	size_t last_size; /* bytes the last batch buffered: the next one's
			     first allocation (no copies while it grows) */
	/* A probe made ahead (for all partitions of a put at once). */
	char *probed_key;
	int probed_found;
	int64_t probed_end;
	/* Snapshot mode: the table the partition feeds, and the offset the
	 * group had committed at the assignment (-1 none). */
	struct s3s_table *table;
	int64_t committed;
};

struct s3s_snap;

/* A partition's end in a snapshot: the offset after the last record of
 * it that the snapshot includes. */
struct s3s_tend {
	char *topic;
	int32_t partition;
	int64_t end;
};

/* A table of snapshot mode (table.c). */
struct s3s_table {
	char *name;
	struct s3s_snap *snap; /* the latest value per key */
	int loaded;	       /* restored from the newest snapshot (or none
				  was there): records may be applied */
	int assigned;	       /* partitions of it the task owns */
	int dirty;	       /* records taken since the newest snapshot */
	int64_t bytes;	       /* memory the map holds (counted in mem) */
	int64_t max_ts;	       /* highest record timestamp taken */
	int64_t next_due;      /* wall ms */
	/* The newest durable snapshot: its key and the ends it covers. */
	char *latest;
	struct s3s_tend *ends;
	size_t nends;
};

struct s3s_sink {
	const struct sluice_host *h;
	struct sluice_task *t;
	struct s3s_config cfg;
	struct s3s_target *target;
	struct s3s_pool *pool;
	struct s3s_tp **tps;
	size_t ntp, tp_cap;
	struct s3s_tp *last_tp;
	int64_t mem;
	int64_t mem_peak;  /* highest mem seen after a line was added */
	int64_t objects;   /* written since open */
	z_stream shared_z; /* compresses small gzip batches at completion */
	int shared_z_ready;
	/* time partition cache: second -> text */
	int64_t tpart_sec;
	char tpart[256];
	int completed;	     /* more is durable (or a snapshot is due) */
	int64_t flush_asked; /* when request_flush was last called */
	int fatal;
	char err[1024];
	struct s3s_table **tables;
	size_t ntables;
	/* Buffers of uploaded batches kept for the next ones: written to
	 * again without a page fault per 4 KiB (counted in mem). */
	struct s3s_buf spares[16];
	int nspares;
	int64_t spare_bytes;
};

/* ---- batch.c ---- */
struct s3s_tp *s3s_tp_find(struct s3s_sink *s, const char *topic,
			   int32_t partition, int create);
void s3s_tp_remove(struct s3s_sink *s, struct s3s_tp *tp);
/* Opens tp's batch with the first line's data (no I/O: the caller
 * probes when recovering). */
struct s3s_batch *s3s_batch_open(struct s3s_sink *s, struct s3s_tp *tp,
				 int64_t offset, int64_t ts, const char *tpart);
/* Appends one line (the JSON value, newlines made spaces). */
void s3s_batch_append(struct s3s_sink *s, struct s3s_batch *b, int64_t offset,
		      const void *value, size_t len);
/* Whether the batch must be closed before a line of (ts, tpart) joins. */
int s3s_batch_rotates_before(const struct s3s_sink *s,
			     const struct s3s_batch *b, int64_t ts,
			     const char *tpart);
/* Whether it is full after the last append. */
int s3s_batch_full(const struct s3s_sink *s, const struct s3s_batch *b);
/* Closes tp's open batch: finishes gzip, moves it to the done queue. */
void s3s_batch_complete(struct s3s_sink *s, struct s3s_tp *tp);
/* Frees a batch (not its part jobs in flight). */
void s3s_batch_free(struct s3s_sink *s, struct s3s_batch *b);
/* Memory: re-counts b after a change. */
void s3s_batch_recount(struct s3s_sink *s, struct s3s_batch *b);
/* What flush reports: the start of the oldest batch not uploaded, or the
 * offset after the last record handled; -1 when nothing is known. */
int64_t s3s_tp_durable(const struct s3s_tp *tp);
/* Frees the kept buffers (memory pressure, close). */
void s3s_spares_free(struct s3s_sink *s);
/* gzip of a whole buffer with the shared stream (snapshots). */
void s3s_gzip_all(struct s3s_sink *s, const void *p, size_t n,
		  struct s3s_buf *out);
/* The time partition for ts (cached per second). */
const char *s3s_tpart_of(struct s3s_sink *s, int64_t ts);

/* ---- upload.c ---- */
/* Sends a part of b if it holds part_size bytes (or, when `last`, all it
 * holds, for a batch already multipart). 0 or a status. */
int s3s_stream_parts(struct s3s_sink *s, struct s3s_batch *b, int last);
/* Uploads the done queues of the partitions in tps (all when NULL),
 * each in order, partitions concurrently. Returns SLUICE_OK, or the
 * worst failure (message in s->err). */
int s3s_upload_pending(struct s3s_sink *s, struct s3s_tp **tps, size_t n);
/* Starts the uploads of complete batches of tps (all when NULL) that
 * can start now (their partition has none out), without waiting. */
void s3s_upload_kick(struct s3s_sink *s, struct s3s_tp **tps, size_t n);
/* Takes back finished jobs without waiting. */
void s3s_drain(struct s3s_sink *s);
/* Recovery probes of n keys at once: found[i], end[i] (the earlier
 * object's end or -1). 0 or the worst status. */
int s3s_probe_many(struct s3s_sink *s, const char *const *keys, size_t n,
		   int *found, int64_t *end);
/* Starts the cleanup of key's unfinished uploads, in the background. */
void s3s_cleanup_start(struct s3s_sink *s, struct s3s_tp *tp, const char *key);
/* Waits for tp's cleanups. */
void s3s_cleanup_wait(struct s3s_sink *s, struct s3s_tp *tp);
/* Abandons b's multipart upload (waits for its parts first). */
void s3s_abort_upload(struct s3s_sink *s, struct s3s_batch *b);
/* PUT of a whole object (snapshots). */
int s3s_put_sync(struct s3s_sink *s, const char *key, const void *data,
		 size_t len, const char *content_type);
/* Waits for every job out. */
void s3s_wait_all(struct s3s_sink *s);
/* Waits for one job and applies it; 0 when none was out. */
int s3s_wait_one(struct s3s_sink *s);
/* The target's check, on an upload thread. */
int s3s_check(struct s3s_sink *s);

/* GET (found = 0 for a missing key), LIST (keys with a prefix, one a
 * line) and DELETE, blocking; s->err on failure (not made sticky). */
int s3s_get_sync(struct s3s_sink *s, const char *key, struct s3s_buf *out,
		 int *found);
int s3s_list_sync(struct s3s_sink *s, const char *key_prefix,
		  struct s3s_buf *keys);
int s3s_del_sync(struct s3s_sink *s, const char *key);

/* ---- sink.c ---- */
/* The record to the connector's error policy: 0, or -1 when the policy
 * fails the task (message in s->err). tp->next moves past it. */
int s3s_reject(struct s3s_sink *s, struct s3s_tp *tp,
	       const struct sluice_record *r, const char *reason);
enum sluice_status s3s_fail_with(struct s3s_sink *s, int rc);

/* ---- snapshot.c ---- */
struct s3s_snap *s3s_snap_new(void);
void s3s_snap_free(struct s3s_snap *m);
/* Sets key's value (NULL = delete). Returns the change in bytes held. */
int64_t s3s_snap_put(struct s3s_snap *m, const void *key, size_t klen,
		     const void *value, size_t vlen);
size_t s3s_snap_count(const struct s3s_snap *m);
/* Appends every value, one a line, in key order; and when keys is not
 * NULL, the keys in the same order, one a line, percent-encoded (bytes
 * below '!' or above '~', and '%', as %XX). */
void s3s_snap_write(const struct s3s_snap *m, struct s3s_buf *out,
		    struct s3s_buf *keys);
/* Decodes a key written by s3s_snap_write into out (len bytes). */
void s3s_pct_decode(const char *p, size_t n, struct s3s_buf *out);
void s3s_pct_encode(const char *p, size_t n, struct s3s_buf *out);

/* ---- table.c (snapshot mode) ---- */
int s3s_table_put(struct s3s_sink *s, const struct sluice_record *recs,
		  size_t n);
int s3s_table_flush(struct s3s_sink *s, struct sluice_partition *parts,
		    size_t n, int final);
int s3s_table_assign(struct s3s_sink *s, const struct sluice_partition *parts,
		     size_t n);
void s3s_table_revoke(struct s3s_sink *s, const struct sluice_partition *parts,
		      size_t n);
/* Whether a table is due (the tick asks for a flush then). */
int s3s_table_due(struct s3s_sink *s, int64_t now_ms);
void s3s_tables_free(struct s3s_sink *s);

#endif
