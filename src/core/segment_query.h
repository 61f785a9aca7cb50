/*
 * segment_query: the query_dsl of a Segments 2.0 segment, SendGrid's v2 form
 *
 *   SELECT [a.]contact_id , [a.]updated_at FROM contact_data [[AS] a] [WHERE <condition>]
 *
 * split into its parts so that the condition can go to the SGQL compiler (core/sgql.h).
 * Keywords ignore case; any run of whitespace separates words; a trailing ';' is allowed.
 * Alias prefixes in the condition ("c.email") are blanked out with spaces, so positions in
 * the condition count from the start of query_dsl exactly as the user wrote it.
 *
 * A query over event_data, or one with a JOIN, is engagement data, which contactd does not
 * record: it is accepted (engagement = true) and matches no contact.
 *
 * clock: the condition mentions NOW(), CURRENT_DATE, CURRENT_TIMESTAMP or INTERVAL, so its
 * matches change with time alone (the writer re-evaluates such segments on a schedule).
 *
 * Ownership: segment_query_parse fills out->condition with a malloc'd string the caller
 * frees with segment_query_free (NULL when there is no WHERE or for engagement queries).
 */
#ifndef CONTACTD_CORE_SEGMENT_QUERY_H
#define CONTACTD_CORE_SEGMENT_QUERY_H

#include <stdbool.h>
#include <stddef.h>

#define SEGMENT_QUERY_MAX (64u * 1024u)

typedef struct segment_query {
    char *condition; /* the WHERE condition, padded with spaces to keep positions */
    bool engagement; /* event_data or JOIN: matches nothing here */
    bool clock;      /* depends on the current time */
} segment_query;

/* 0, or -1 with a one-line reason naming the position (bytes from 1) in err. */
int segment_query_parse(const char *text, segment_query *out, char *err, size_t err_size);
void segment_query_free(segment_query *q);

#endif
