/*
 * expr_int.h - the compiled form of an expression (a tree), shared by the
 * parser (expr_parse.c) and the evaluator (expr_eval.c).
 */
#ifndef SLUICE_EXPR_INT_H
#define SLUICE_EXPR_INT_H

#include <regex.h>

#include "expr.h"

enum expr_kind {
	EXPR_N_LIT,
	EXPR_N_PATH,
	EXPR_N_NOT,
	EXPR_N_AND,
	EXPR_N_OR,
	EXPR_N_CMP,   /* op: enum expr_cmp */
	EXPR_N_ARITH, /* op: '+', '-', '*', '/' */
	EXPR_N_NEG,
	EXPR_N_ISNULL, /* negate: is not null */
	EXPR_N_IN,     /* negate: not in; args: the literals */
	EXPR_N_MATCH,  /* negate: not matches */
	EXPR_N_CALL,   /* op: enum expr_fn; args */
};

enum expr_cmp { EXPR_EQ, EXPR_NE, EXPR_LT, EXPR_LE, EXPR_GT, EXPR_GE };

enum expr_fn {
	EXPR_F_SUM,
	EXPR_F_COUNT,
	EXPR_F_MIN,
	EXPR_F_MAX,
	EXPR_F_AVG,
	EXPR_F_ALL,
	EXPR_F_ANY,
	EXPR_F_ROUND,
	EXPR_F_ABS,
	EXPR_F_LEN,
};

struct expr_seg {
	char *name; /* NUL-terminated */
	size_t len; /* strlen(name), once: looked up per record */
};

struct expr_node {
	enum expr_kind kind;
	int op;
	int negate;
	int col;
	enum expr_stype stype;
	struct expr_node *a, *b;
	struct expr_node **args;
	size_t nargs;
	struct expr_value lit; /* LIT; strings point into `text` */
	char *text;	       /* LIT strings: owned */
	struct expr_seg *segs; /* PATH */
	size_t nsegs;
	regex_t re; /* MATCH */
	int has_re;
	int digits; /* round */
};

struct expr {
	struct expr_node *root;
};

#endif
