/*
 * page.h - the pipeline page (host/page/pipeline.html), built into the
 * binary as bytes by the rule in host/page.mk.
 */
#ifndef SLUICE_PAGE_H
#define SLUICE_PAGE_H

#include <stddef.h>

extern const unsigned char page_html[];
extern const size_t page_html_len;

#endif
