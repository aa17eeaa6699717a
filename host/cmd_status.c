/*
 * cmd_status.c - `sluice status`: the running worker's connectors and
 * tasks as a table, read from its REST API (GET /sluice/pipeline) with
 * libcurl; the text is made by status_view.c.
 */
#include <curl/curl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "rest_json.h"
#include "status_view.h"

#define STATUS_URL_DEFAULT "http://127.0.0.1:8083"
#define STATUS_BODY_MAX (16 * 1024 * 1024)

static const char usage[] =
	"Usage: sluice status [--url URL]\n"
	"\n"
	"Shows the connectors and tasks of a running worker, read from its\n"
	"REST API: type, state, records in and out, records per second\n"
	"(over the last 5 s), consumer lag, and why a failed task failed.\n"
	"A row with task '-' sums the connector's tasks.\n"
	"\n"
	"  -u, --url URL   the worker's REST API (default " STATUS_URL_DEFAULT
	")\n"
	"  -h, --help      show this help\n"
	"\n"
	"When the worker has rest.token set, put the token in the\n"
	"environment variable SLUICE_REST_TOKEN.\n"
	"\n"
	"Exit codes: 0 shown, 1 the worker could not be reached or answered\n"
	"with an error, 2 bad command line.\n";

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
	struct sbuf *b = ctx;
	if (b->n + size * n > STATUS_BODY_MAX)
		return 0;
	sbuf_add(b, p, size * n);
	return size * n;
}

/* GETs url; 0 with the body and HTTP status, or -1 with the reason. */
static int get(const char *url, struct sbuf *body, long *status, char *err,
	       size_t errlen)
{
	CURL *h = curl_easy_init();
	if (!h) {
		snprintf(err, errlen, "cannot initialise libcurl");
		return -1;
	}
	char cerr[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdr =
		curl_slist_append(NULL, "Accept: application/json");
	char *auth = NULL;
	const char *token = getenv("SLUICE_REST_TOKEN");
	if (token && *token) {
		size_t n = strlen(token) + 32;
		auth = malloc(n);
		if (!auth)
			abort();
		snprintf(auth, n, "Authorization: Bearer %s", token);
		hdr = curl_slist_append(hdr, auth);
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 30000L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	CURLcode rc = curl_easy_perform(h);
	if (rc != CURLE_OK)
		snprintf(err, errlen, "%s",
			 cerr[0] ? cerr : curl_easy_strerror(rc));
	else
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(hdr);
	free(auth);
	curl_easy_cleanup(h);
	return rc == CURLE_OK ? 0 : -1;
}

int cmd_status(int argc, char **argv)
{
	static const struct option longs[] = {
		{"url", required_argument, NULL, 'u'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *base = STATUS_URL_DEFAULT;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "u:h", longs, NULL)) != -1) {
		switch (c) {
		case 'u':
			base = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK;
		default:
			fprintf(stderr, "\n%s", usage);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sluice: unexpected argument '%s'\n\n%s",
			argv[optind], usage);
		return EXIT_USAGE;
	}
	size_t bl = strlen(base);
	while (bl && base[bl - 1] == '/')
		bl--;
	char url[2048];
	if (bl == 0 || bl > 1900) {
		fprintf(stderr, "sluice: --url: expected a URL such as %s\n",
			STATUS_URL_DEFAULT);
		return EXIT_USAGE;
	}
	snprintf(url, sizeof(url), "%.*s/sluice/pipeline", (int)bl, base);

	curl_global_init(CURL_GLOBAL_DEFAULT);
	struct sbuf body = {0};
	long status = 0;
	char err[CURL_ERROR_SIZE + 64];
	int rc = EXIT_FAILURE_RUN;
	struct json_object *j = NULL;
	if (get(url, &body, &status, err, sizeof(err))) {
		fprintf(stderr,
			"sluice: cannot reach the worker at %.*s: %s (is "
			"`sluice run` running with rest.listen there?)\n",
			(int)bl, base, err);
		goto out;
	}
	j = body.p ? rest_json_parse_object(body.p, body.n, err, sizeof(err))
		   : NULL;
	if (status != 200) {
		struct json_object *m = NULL;
		fprintf(stderr, "sluice: the worker at %.*s answered %ld%s%s\n",
			(int)bl, base, status,
			j && json_object_object_get_ex(j, "message", &m) ? ": "
									 : "",
			m ? json_object_get_string(m) : "");
		if (status == 401)
			fprintf(stderr, "sluice: put the worker's rest.token "
					"in SLUICE_REST_TOKEN\n");
		goto out;
	}
	if (!j) {
		fprintf(stderr, "sluice: %s answered with no JSON object\n",
			url);
		goto out;
	}
	char *text = status_view(j, err, sizeof(err));
	if (!text) {
		fprintf(stderr, "sluice: %s: %s\n", url, err);
		goto out;
	}
	fputs(text, stdout);
	free(text);
	rc = EXIT_OK;
out:
	json_object_put(j);
	free(body.p);
	curl_global_cleanup();
	return rc;
}
