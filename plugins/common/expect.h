/*
 * expect.h - data-quality expectations, as Delta Live Tables declares
 * them: a name, a condition (expr.h) and what to do with a record that
 * fails it. A plugin declares them in a LIST option, one string each:
 *
 *   [constraint] <name> [expect (<condition>)] [on violation <action>]
 *
 *   valid_amount expect (amount > 0) on violation drop row
 *   known_currency on violation fail update
 *   user_id_present
 *
 * <action>: warn (the default: keep the record, count it), drop [row]
 * (send it to quarantine, naming the expectation) or fail [update] (stop
 * the task, naming the record's topic, partition and offset). Keywords
 * are case-insensitive. Without `expect (...)` the name must be one of
 * the shipped expectations (expect_builtins). A condition whose result is
 * null (a missing field, a type mismatch) counts as failed.
 *
 * The set counts passed and failed records per expectation; the plugin
 * hands the counts to the host's counters and writes a summary record in
 * the shape of DLT's flow_progress event.
 */
#ifndef SLUICE_EXPECT_H
#define SLUICE_EXPECT_H

#include <stddef.h>
#include <stdint.h>

#include "expr.h"
#include "jbuf.h"
#include "sluice/plugin.h"

enum expect_action { EXPECT_WARN, EXPECT_DROP, EXPECT_FAIL };

/* The shipped expectations: name and condition. */
struct expect_builtin {
	const char *name;
	const char *condition;
};
extern const struct expect_builtin expect_builtins[]; /* NULL-terminated */

/* The names of all of them, as a LIST option's default text. */
#define EXPECT_BUILTIN_NAMES                                                   \
	"valid_email, positive_amount, amount_matches_items, "                 \
	"known_currency, user_id_present"

struct expectation {
	char *name;
	char *condition;
	enum expect_action action;
	struct expr *expr;
	char labels[2][160];	 /* counter labels: passed, failed */
	uint64_t passed, failed; /* since the start */
	uint64_t shown_passed, shown_failed; /* in summaries so far */
	uint64_t sent_passed, sent_failed;   /* in counters so far */
};

enum expect_verdict {
	EXPECT_KEEP, /* passed, or failed only warn expectations */
	EXPECT_DROP_RECORD,
	EXPECT_FAIL_TASK,
};

struct expect_set {
	struct expectation *v;
	size_t n;
	/* The last expect_set_eval: the expectations that failed, in
	 * declaration order, and the first failed one whose action is
	 * fail (or NULL). */
	const struct expectation **failed;
	size_t nfailed;
	const struct expectation *fatal;
	uint64_t records, dropped;	       /* since the start */
	uint64_t shown_records, shown_dropped; /* in summaries so far */
	uint64_t sent_dropped;
};

/* "warn", "drop" or "fail". */
const char *expect_action_name(enum expect_action a);

/* Adds the declaration `item`, the index-th of option `option`. Returns
 * 0, or -1 with err set as "expectations[2]: syntax error at column 14:
 * expected a value, got the end" (columns count in the item). */
int expect_set_add(struct expect_set *s, const char *option, size_t index,
		   const char *item, char *err, size_t errlen);
void expect_set_free(struct expect_set *s);

/* Every expectation on rec, counted. */
enum expect_verdict expect_set_eval(struct expect_set *s,
				    const struct jnode *rec);

/* Adds the counts since the last call to the host's counters:
 * dq_records_total{expectation="name",result="passed"|"failed"} and
 * dq_dropped_records_total. */
void expect_set_send_counters(struct expect_set *s, const struct sluice_host *h,
			      struct sluice_task *t);

/* Writes the summary of what happened since the last summary into b:
 *   {"event_type": "flow_progress", "timestamp": "...", "dataset": "x",
 *    "details": {"flow_progress": {"metrics": {"num_output_rows": N},
 *    "data_quality": {"dropped_records": D, "expectations": [{"name":
 *    "valid_email", "dataset": "x", "passed_records": P,
 *    "failed_records": F}, ...]}}}}
 * Returns 0 when there was nothing new (and writes nothing), else 1. */
int expect_set_summary(struct expect_set *s, struct jbuf *b,
		       const char *dataset, int64_t now_us);

#endif
