/*
 * stream: a JSON answer too large to build whole, sent a page at a time (api_reply_pages,
 * api.h). The answer's text is produced by the handler's page function whenever the
 * previous page has gone out, so a document of any size costs one page of memory and
 * each call holds the event loop for one bounded store read.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

typedef struct pages {
    api_page_fn page;
    void *ctx;
    void (*free_ctx)(void *ctx);
    csv_buf out; /* the current page's text */
    size_t off;  /* how much of it has been sent */
    bool last;   /* page said that out holds the end */
} pages;

static long pages_read(void *arg, char *buf, size_t max)
{
    pages *p = arg;
    while (p->off == p->out.len) {
        if (p->last)
            return 0;
        p->out.len = p->off = 0;
        int rc = p->page(p->ctx, &p->out);
        if (rc < 0)
            return -1;
        p->last = rc == 0;
    }
    size_t n = p->out.len - p->off < max ? p->out.len - p->off : max;
    memcpy(buf, p->out.data + p->off, n);
    p->off += n;
    return (long)n;
}

static void pages_free(void *arg)
{
    pages *p = arg;
    if (p->free_ctx)
        p->free_ctx(p->ctx);
    csv_buf_free(&p->out);
    free(p);
}

void api_reply_pages(http_request *req, unsigned status, api_page_fn page, void *ctx,
                     void (*free_ctx)(void *ctx))
{
    pages *p = calloc(1, sizeof *p);
    if (!p)
        abort();
    p->page = page;
    p->ctx = ctx;
    p->free_ctx = free_ctx;
    http_reply_stream(req, status, "application/json", NULL, pages_read, p, pages_free);
}

void api_page_json(csv_buf *out, json_t *value, bool comma)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(value);
    if (comma)
        csv_buf_raw(out, ",", 1);
    if (text)
        csv_buf_raw(out, text, strlen(text));
    free(text);
}
