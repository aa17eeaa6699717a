/*
 * option_where.c - maps a plugin's message about one item of a list
 * option back to the YAML file, so an expression error in, say,
 * `expectations[2]` is reported at the file's line and column rather than
 * at the plugin's name.
 */
#include <stdlib.h>
#include <string.h>

#include "options.h"

/* "NAME[I]: " at the start of msg: the option and the item. */
static const struct optval *named_item(const struct optset *set,
				       const char *msg, size_t *item)
{
	const char *open = strchr(msg, '[');
	char name[128], *end;
	size_t len;

	if (!open || (len = (size_t)(open - msg)) == 0 || len >= sizeof(name))
		return NULL;
	memcpy(name, msg, len);
	name[len] = '\0';
	if (open[1] < '0' || open[1] > '9')
		return NULL;
	*item = (size_t)strtoul(open + 1, &end, 10);
	if (end[0] != ']' || end[1] != ':')
		return NULL;
	return options_find(set, name);
}

/* The column counted in the item's text, from the first " at column C"
 * (followed by the end, ':' or ' '), else 0. */
static int text_column(const char *msg)
{
	static const char tag[] = " at column ";
	for (const char *p = strstr(msg, tag); p; p = strstr(p + 1, tag)) {
		char *end;
		long c = strtol(p + sizeof(tag) - 1, &end, 10);
		if ((*end == '\0' || *end == ':' || *end == ' ') && c > 0 &&
		    c < 1000000)
			return (int)c;
	}
	return 0;
}

int options_locate(const struct optset *set, const char *msg, int *line,
		   int *col)
{
	size_t item;
	const struct optval *v = named_item(set, msg, &item);

	if (!v || !v->at || item >= v->list_n)
		return -1;
	const struct optpos *p = &v->at[item];
	const char *text = v->list[item];
	int c = text_column(msg);
	*line = p->line;
	*col = p->col;
	/* Only a one-line item maps column for column: a block scalar's
	 * indentation and a folded line's breaks are gone from its text. */
	if (c == 0 || p->style == YSTYLE_BLOCK || strchr(text, '\n') ||
	    (size_t)c > strlen(text) + 1)
		return 0;
	*col = p->col + (p->style == YSTYLE_QUOTED) + c - 1;
	return 0;
}
