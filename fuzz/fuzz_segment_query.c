/*
 * fuzz_segment_query: the Segments 2.0 query_dsl wrapper parser on arbitrary text, and the
 * SGQL compiler on whatever condition it extracts. Checks memory safety, that a refusal
 * always says why, and that an extracted condition keeps the query's length (positions in
 * errors must count from the start of query_dsl).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/segment_query.h"
#include "core/sgql.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        abort();
    memcpy(text, data, size);
    text[size] = '\0';
    segment_query q;
    char err[256] = "";
    if (segment_query_parse(text, &q, err, sizeof err) != 0) {
        if (err[0] == '\0' || q.condition)
            abort();
    } else if (q.condition) {
        if (strlen(q.condition) > strlen(text))
            abort();
        sgql_query *s = sgql_compile(q.condition, NULL, INT64_C(1614698747000), err, sizeof err);
        sgql_free(s);
    }
    segment_query_free(&q);
    free(text);
    return 0;
}
