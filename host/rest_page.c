/*
 * rest_page.c - the pipeline page served at GET / to browsers. Its
 * source is host/page/pipeline.html, turned into a C array at build time
 * (host/page.mk), so the page works offline and needs no files at run
 * time. Kafka Connect clients (curl, Accept: * / * or JSON) keep the
 * JSON answer of GET /.
 */
#include <stdlib.h>
#include <string.h>

#include "page.h"
#include "rest_internal.h"

int rest_wants_page(struct MHD_Connection *conn, const char *url,
		    const char *method)
{
	if (strcmp(url, "/") || strcmp(method, "GET"))
		return 0;
	const char *accept = MHD_lookup_connection_value(
		conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	return accept && strstr(accept, "text/html") != NULL;
}

void rest_page(struct rest_resp *o)
{
	free(o->body);
	o->body = malloc(page_html_len + 1);
	if (!o->body)
		abort();
	memcpy(o->body, page_html, page_html_len);
	o->body[page_html_len] = '\0';
	o->len = page_html_len;
	o->status = MHD_HTTP_OK;
	o->type = "text/html; charset=utf-8";
}
