/*
 * s3_creds.h - where the S3 credentials come from, in this order: the
 * connector's options (s3.access.key.id, s3.secret.access.key,
 * s3.session.token), the environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), then a profile of the shared
 * credentials file (~/.aws/credentials). No secret ever goes into an
 * error message.
 */
#ifndef S3S_CREDS_H
#define S3S_CREDS_H

#include <stddef.h>

struct s3s_creds {
	char *key_id;
	char *secret;
	char *token; /* or NULL */
	/* Where they came from, for logs: "options", "environment" or
	 * "profile NAME in FILE". */
	char source[512];
};

/* The places to look; NULL = unset. `env` reads the environment (getenv
 * in the plugin, a fake in tests). */
struct s3s_creds_src {
	const char *key_id, *secret, *token; /* connector options */
	const char *profile;		     /* s3.profile */
	const char *file;		     /* s3.credentials.file */
	const char *(*env)(const char *name);
};

/* 0, or -1 with the reason in err. */
int s3s_creds_resolve(const struct s3s_creds_src *src, struct s3s_creds *out,
		      char *err, size_t errlen);
/* Wipes and frees the strings. */
void s3s_creds_clear(struct s3s_creds *c);

#endif
