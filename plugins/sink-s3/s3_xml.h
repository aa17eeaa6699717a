/*
 * s3_xml.h - just enough XML for S3's answers: find the next <Tag>...</Tag>
 * and read its text with the five entities and numeric references
 * decoded; escape text for request bodies.
 */
#ifndef S3S_XML_H
#define S3S_XML_H

#include <stddef.h>

#include "util.h"

/* Finds the next element named tag at or after *pos in xml[0..len).
 * Returns 1 with its content in out (replaced; entities decoded unless
 * raw) and *pos after the element, or 0 when there is none. <Tag/>
 * gives an empty content. */
int s3s_xml_next(const char *xml, size_t len, const char *tag, size_t *pos,
		 struct s3s_buf *out, int raw);

/* Appends s with & < > " ' escaped. */
void s3s_xml_escape(struct s3s_buf *out, const char *s);

#endif
