/*
 * s3_creds.c - the credential chain of s3_creds.h and a reader for the
 * INI-style shared credentials file.
 */
#include "s3_creds.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static int set(const char *s)
{
	return s && *s;
}

static void fill(struct s3s_creds *c, const char *id, const char *secret,
		 const char *token)
{
	c->key_id = s3s_xstrdup(id);
	c->secret = s3s_xstrdup(secret);
	c->token = set(token) ? s3s_xstrdup(token) : NULL;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* Reads [profile] (or [profile NAME]) of the file. 1 found, 0 the file
 * or the profile is missing, -1 unreadable / incomplete. */
static int read_profile(const char *file, const char *profile,
			struct s3s_creds *c, char *err, size_t errlen)
{
	FILE *f = fopen(file, "r");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot read %s: %s", file,
			 strerror(errno));
		return -1;
	}
	char line[4096];
	int in = 0, found = 0;
	char *id = NULL, *secret = NULL, *token = NULL;
	while (fgets(line, sizeof(line), f)) {
		char *s = trim(line);
		if (*s == '#' || *s == ';' || !*s)
			continue;
		if (*s == '[') {
			char *end = strchr(s, ']');
			if (!end)
				continue;
			*end = '\0';
			char *name = trim(s + 1);
			if (!strncmp(name, "profile ", 8))
				name = trim(name + 8);
			in = !strcmp(name, profile);
			found |= in;
			continue;
		}
		if (!in)
			continue;
		char *eq = strchr(s, '=');
		if (!eq)
			continue;
		*eq = '\0';
		char *k = trim(s), *v = trim(eq + 1);
		char **dst = !strcmp(k, "aws_access_key_id")	   ? &id
			     : !strcmp(k, "aws_secret_access_key") ? &secret
			     : !strcmp(k, "aws_session_token")	   ? &token
								   : NULL;
		if (dst) {
			if (*dst) {
				s3s_wipe(*dst, strlen(*dst));
				free(*dst);
			}
			*dst = s3s_xstrdup(v);
		}
	}
	s3s_wipe(line, sizeof(line));
	fclose(f);
	int rc = 0;
	if (found && set(id) && set(secret)) {
		fill(c, id, secret, token);
		snprintf(c->source, sizeof(c->source), "profile %s in %s",
			 profile, file);
		rc = 1;
	} else if (found) {
		snprintf(err, errlen,
			 "profile %s in %s lacks aws_access_key_id or "
			 "aws_secret_access_key",
			 profile, file);
		rc = -1;
	}
	char *all[] = {id, secret, token};
	for (int i = 0; i < 3; i++)
		if (all[i]) {
			s3s_wipe(all[i], strlen(all[i]));
			free(all[i]);
		}
	return rc;
}

int s3s_creds_resolve(const struct s3s_creds_src *src, struct s3s_creds *out,
		      char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (set(src->key_id) || set(src->secret)) {
		if (!set(src->key_id) || !set(src->secret)) {
			snprintf(err, errlen,
				 "s3.access.key.id and s3.secret.access.key "
				 "must be set together");
			return -1;
		}
		fill(out, src->key_id, src->secret, src->token);
		snprintf(out->source, sizeof(out->source),
			 "the connector's options");
		return 0;
	}
	const char *eid = src->env ? src->env("AWS_ACCESS_KEY_ID") : NULL;
	const char *esec = src->env ? src->env("AWS_SECRET_ACCESS_KEY") : NULL;
	if (set(eid) || set(esec)) {
		if (!set(eid) || !set(esec)) {
			snprintf(err, errlen,
				 "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
				 "must be set together");
			return -1;
		}
		fill(out, eid, esec, src->env("AWS_SESSION_TOKEN"));
		snprintf(out->source, sizeof(out->source), "the environment");
		return 0;
	}
	const char *profile = src->profile;
	if (!set(profile) && src->env)
		profile = src->env("AWS_PROFILE");
	if (!set(profile))
		profile = "default";
	char path[4096];
	const char *file = src->file;
	if (!set(file) && src->env)
		file = src->env("AWS_SHARED_CREDENTIALS_FILE");
	if (!set(file)) {
		const char *home = src->env ? src->env("HOME") : NULL;
		if (set(home)) {
			snprintf(path, sizeof(path), "%s/.aws/credentials",
				 home);
			file = path;
		}
	}
	if (set(file)) {
		int r = read_profile(file, profile, out, err, errlen);
		if (r == 1)
			return 0;
		if (r < 0)
			return -1;
	}
	snprintf(err, errlen,
		 "no S3 credentials: set s3.access.key.id and "
		 "s3.secret.access.key, or AWS_ACCESS_KEY_ID and "
		 "AWS_SECRET_ACCESS_KEY, or profile '%s' in %s",
		 profile, set(file) ? file : "~/.aws/credentials");
	return -1;
}

void s3s_creds_clear(struct s3s_creds *c)
{
	char *all[] = {c->key_id, c->secret, c->token};
	for (int i = 0; i < 3; i++)
		if (all[i]) {
			s3s_wipe(all[i], strlen(all[i]));
			free(all[i]);
		}
	c->key_id = c->secret = c->token = NULL;
}
