/*
 * loader.c - dlopen()s plugins and checks their descriptor before any of
 * their callbacks can run; keeps the registry of plugins found on
 * plugin.path.
 */
#include "loader.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "options.h"

#define NAME_MAX_LEN 64
#define NAME_RULE                                                              \
	"use at most 64 lowercase letters, digits and '-', starting with a "   \
	"letter or digit"
#define OUTPUT_RULE                                                            \
	"use at most 64 lowercase letters, digits, '-' and '_', starting "     \
	"with a letter or digit"

#define END_OF(member)                                                         \
	(offsetof(struct sluice_plugin, member) +                              \
	 sizeof(((struct sluice_plugin *)0)->member))

/* The smallest descriptor of each minor of this major. A plugin built for
 * an older minor has a shorter one, and nothing past its end may be read;
 * append a line here whenever plugin.h appends a field. */
static const size_t min_size[SLUICE_ABI_MINOR + 1] = {
	[0] = END_OF(tick),
	[1] = END_OF(check),
	[2] = END_OF(flags),
};

static int fail(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -1;
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);
	if (!q) {
		fputs("sluice: out of memory\n", stderr);
		abort();
	}
	return q;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(xrealloc(NULL, n), s, n);
}

/* Plugin and output names end up in topic names, metric labels and
 * YAML keys, so they stay in a character set that needs no quoting. */
static int name_ok_with(const char *s, int underscore)
{
	size_t i = 0;
	for (; s[i]; i++) {
		int c = (unsigned char)s[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			 (c == '-' && i > 0) ||
			 (c == '_' && i > 0 && underscore);
		if (!ok || i == NAME_MAX_LEN)
			return 0;
	}
	return i > 0;
}

static int name_ok(const char *s)
{
	return name_ok_with(s, 0);
}

/* Output names also take '_' (table names such as daily_metrics). */
static int output_name_ok(const char *s)
{
	return name_ok_with(s, 1);
}

const char *loader_kind_name(enum sluice_kind kind)
{
	switch (kind) {
	case SLUICE_KIND_SOURCE:
		return "source";
	case SLUICE_KIND_SINK:
		return "sink";
	case SLUICE_KIND_TRANSFORM:
		return "transform";
	}
	return "unknown";
}

static int check_callbacks(const struct sluice_plugin *p, char *err, size_t len)
{
	/* Per kind (source, sink, transform): r required, o optional,
	 * - must be NULL, so that a plugin of one kind cannot be run as
	 * another by mistake. */
	const struct {
		const char *name;
		int set;
		const char *rule;
	} cb[] = {
		{"open", p->open != NULL, "rrr"},
		{"close", p->close != NULL, "ooo"},
		{"poll", p->poll != NULL, "r--"},
		{"put", p->put != NULL, "-r-"},
		{"flush", p->flush != NULL, "-r-"},
		{"assign", p->assign != NULL, "-oo"},
		{"revoke", p->revoke != NULL, "-oo"},
		{"process", p->process != NULL, "--r"},
		{"tick", p->tick != NULL, "ooo"},
	};
	const char *kind = loader_kind_name(p->kind);
	for (size_t i = 0; i < sizeof(cb) / sizeof(cb[0]); i++) {
		char rule = cb[i].rule[p->kind - 1];
		if (rule == 'r' && !cb[i].set)
			return fail(err, len,
				    "plugin '%s' (a %s) has no %s callback",
				    p->name, kind, cb[i].name);
		if (rule == '-' && cb[i].set)
			return fail(err, len,
				    "plugin '%s' (a %s) must not set the %s "
				    "callback",
				    p->name, kind, cb[i].name);
	}
	return 0;
}

static int check_outputs(const struct sluice_plugin *p, char *err, size_t len)
{
	const char *const *o = p->outputs;
	if (!o)
		return 0;
	if (p->kind == SLUICE_KIND_SINK)
		return fail(err, len,
			    "plugin '%s': a sink must not declare outputs",
			    p->name);
	if (!o[0])
		return fail(err, len,
			    "plugin '%s': the output list is empty (leave it "
			    "NULL for one output called \"out\")",
			    p->name);
	for (size_t i = 0; o[i]; i++) {
		if (!output_name_ok(o[i]))
			return fail(err, len,
				    "plugin '%s': output name '%s' is not "
				    "valid: " OUTPUT_RULE,
				    p->name, o[i]);
		for (size_t j = 0; j < i; j++)
			if (strcmp(o[i], o[j]) == 0)
				return fail(err, len,
					    "plugin '%s': output '%s' is "
					    "declared twice",
					    p->name, o[i]);
	}
	return 0;
}

int loader_check(const struct sluice_plugin *p, char *err, size_t len)
{
	if (!p)
		return fail(err, len, "%s() returned no descriptor",
			    SLUICE_PLUGIN_ENTRY);
	/* The three protecting fields first: until they pass, the rest of
	 * the descriptor may have another layout. */
	if (p->abi_major != SLUICE_ABI_MAJOR)
		return fail(err, len,
			    "plugin ABI %u.%u is not supported by this host "
			    "(ABI %d.%d): rebuild the plugin against this "
			    "sluice",
			    (unsigned)p->abi_major, (unsigned)p->abi_minor,
			    SLUICE_ABI_MAJOR, SLUICE_ABI_MINOR);
	if (p->abi_minor > SLUICE_ABI_MINOR)
		return fail(err, len,
			    "plugin needs ABI %u.%u but this host has ABI "
			    "%d.%d: upgrade sluice",
			    (unsigned)p->abi_major, (unsigned)p->abi_minor,
			    SLUICE_ABI_MAJOR, SLUICE_ABI_MINOR);
	if (p->struct_size < min_size[p->abi_minor])
		return fail(err, len,
			    "descriptor is %u bytes, ABI %u.%u needs at least "
			    "%zu bytes",
			    (unsigned)p->struct_size, (unsigned)p->abi_major,
			    (unsigned)p->abi_minor, min_size[p->abi_minor]);

	if (!p->name)
		return fail(err, len, "descriptor has no name");
	if (!name_ok(p->name))
		return fail(err, len,
			    "plugin name '%s' is not valid: " NAME_RULE,
			    p->name);
	if (!p->version)
		return fail(err, len, "plugin '%s' has no version", p->name);
	if (!p->description)
		return fail(err, len, "plugin '%s' has no description",
			    p->name);
	if (p->kind != SLUICE_KIND_SOURCE && p->kind != SLUICE_KIND_SINK &&
	    p->kind != SLUICE_KIND_TRANSFORM)
		return fail(err, len,
			    "plugin '%s' has unknown kind %d (1 source, 2 "
			    "sink, 3 transform)",
			    p->name, (int)p->kind);
	if (check_callbacks(p, err, len) || check_outputs(p, err, len))
		return -1;
	unsigned flags = loader_flags(p);
	if (flags & ~SLUICE_PLUGIN_STATEFUL)
		return fail(err, len, "plugin '%s' has unknown flags 0x%x",
			    p->name, flags & ~SLUICE_PLUGIN_STATEFUL);
	if ((flags & SLUICE_PLUGIN_STATEFUL) &&
	    p->kind != SLUICE_KIND_TRANSFORM)
		return fail(err, len,
			    "plugin '%s': only a transform can be stateful "
			    "(SLUICE_PLUGIN_STATEFUL)",
			    p->name);

	char why[512];
	if (p->options && options_check_table(p->options, why, sizeof(why)))
		return fail(err, len, "option table: %s", why);
	return 0;
}

/* loader_open() without the path in front of the message, for callers
 * that name the file elsewhere (a diagnostic's file field). */
static int load(const char *path, struct plugin *out, char *err, size_t len)
{
	*out = (struct plugin){0};

	/* Without a slash dlopen() would search the library path instead
	 * of opening the file named. */
	char local[4096];
	const char *file = path;
	if (!strchr(path, '/')) {
		if ((size_t)snprintf(local, sizeof(local), "./%s", path) >=
		    sizeof(local))
			return fail(err, len, "cannot load: path too long");
		file = local;
	}

	void *dl = dlopen(file, RTLD_NOW | RTLD_LOCAL);
	if (!dl) {
		/* dlerror() usually starts with the file name again. */
		const char *why = dlerror();
		size_t n = strlen(file);
		if (!why)
			why = "unknown error";
		else if (strncmp(why, file, n) == 0 && why[n] == ':' &&
			 why[n + 1] == ' ')
			why += n + 2;
		return fail(err, len, "cannot load: %s", why);
	}

	/* dlsym() returns an object pointer; ISO C has no conversion from
	 * it to a function pointer, but POSIX guarantees the bits fit. */
	union {
		void *obj;
		const struct sluice_plugin *(*fn)(void);
	} entry;
	entry.obj = dlsym(dl, SLUICE_PLUGIN_ENTRY);
	if (!entry.obj) {
		dlclose(dl);
		return fail(err, len, "not a sluice plugin (no %s symbol)",
			    SLUICE_PLUGIN_ENTRY);
	}
	const struct sluice_plugin *desc = entry.fn();
	if (loader_check(desc, err, len)) {
		dlclose(dl);
		return -1;
	}
	*out = (struct plugin){.path = xstrdup(path), .dl = dl, .desc = desc};
	return 0;
}

int loader_open(const char *path, struct plugin *out, char *err, size_t errlen)
{
	char why[1024];
	if (load(path, out, why, sizeof(why)) == 0)
		return 0;
	snprintf(err, errlen, "%s: %s", path, why);
	return -1;
}

void loader_close(struct plugin *p)
{
	if (p->dl)
		dlclose(p->dl);
	free(p->path);
	*p = (struct plugin){0};
}

const struct plugin *registry_find(const struct plugin_registry *reg,
				   const char *name)
{
	for (size_t i = 0; i < reg->n; i++)
		if (strcmp(reg->v[i].desc->name, name) == 0)
			return &reg->v[i];
	return NULL;
}

static void scan_file(struct plugin_registry *reg, const char *path,
		      struct diags *d)
{
	struct plugin p;
	char why[1024];
	if (load(path, &p, why, sizeof(why))) {
		diags_add(d, path, 0, 0, "%s", why);
		return;
	}
	const struct plugin *old = registry_find(reg, p.desc->name);
	if (old) {
		/* The same object reached twice (a directory and a file in
		 * it) is no conflict: dlopen() handed back the same copy. */
		if (old->desc != p.desc)
			diags_add(d, path, 0, 0,
				  "plugin name '%s' duplicates the one in %s",
				  p.desc->name, old->path);
		loader_close(&p);
		return;
	}
	reg->v = xrealloc(reg->v, (reg->n + 1) * sizeof(*reg->v));
	reg->v[reg->n++] = p;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void scan_dir(struct plugin_registry *reg, const char *dir,
		     struct diags *d)
{
	DIR *dh = opendir(dir);
	if (!dh) {
		diags_add(d, NULL, 0, 0, "plugin path '%s': %s", dir,
			  strerror(errno));
		return;
	}
	const char *sep = dir[strlen(dir) - 1] == '/' ? "" : "/";
	char **files = NULL;
	size_t n = 0;
	const struct dirent *e;
	while ((e = readdir(dh))) {
		size_t len = strlen(e->d_name);
		if (len <= 3 || strcmp(e->d_name + len - 3, ".so") != 0)
			continue;
		size_t size = strlen(dir) + strlen(sep) + len + 1;
		char *path = xrealloc(NULL, size);
		snprintf(path, size, "%s%s%s", dir, sep, e->d_name);
		struct stat st;
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		files = xrealloc(files, (n + 1) * sizeof(*files));
		files[n++] = path;
	}
	closedir(dh);

	/* readdir() order depends on the file system; load order decides
	 * which of two duplicates wins, so make it the same everywhere. */
	if (n)
		qsort(files, n, sizeof(*files), by_name);
	for (size_t i = 0; i < n; i++) {
		scan_file(reg, files[i], d);
		free(files[i]);
	}
	free(files);
}

int registry_scan(struct plugin_registry *reg, char *const *paths, size_t n,
		  struct diags *d)
{
	size_t before = d->n;
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (stat(paths[i], &st) != 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				diags_add(d, NULL, 0, 0,
					  "plugin path '%s' does not exist",
					  paths[i]);
			else
				diags_add(d, NULL, 0, 0, "plugin path '%s': %s",
					  paths[i], strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			scan_dir(reg, paths[i], d);
		} else if (S_ISREG(st.st_mode)) {
			scan_file(reg, paths[i], d);
		} else {
			diags_add(d, NULL, 0, 0,
				  "plugin path '%s' is neither a directory nor "
				  "a file",
				  paths[i]);
		}
	}
	return d->n > before ? -1 : 0;
}

void registry_free(struct plugin_registry *reg)
{
	for (size_t i = 0; i < reg->n; i++)
		loader_close(&reg->v[i]);
	free(reg->v);
	*reg = (struct plugin_registry){0};
}

plugin_check_fn loader_check_fn(const struct sluice_plugin *p)
{
	return p->struct_size >= END_OF(check) ? p->check : NULL;
}

unsigned loader_flags(const struct sluice_plugin *p)
{
	return p->struct_size >= END_OF(flags) ? p->flags : 0;
}
