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

/* ---- contacts, one per page ------------------------------------------------------------ */

typedef struct contact_stream {
    http_request *req; /* valid until the answer is done (the server frees it after) */
    contact_renderer r;
    const char *head, *tail;
    const api_contact_ref *refs; /* in the request's arena */
    size_t n, next, written;
    bool begun;
} contact_stream;

/* The contact of ref: the one kept by the lookup, else read again by id (into a, which
 * the caller releases: one contact at a time is held). STORE_NOT_FOUND when it is gone. */
static int ref_contact(contact_stream *s, const api_contact_ref *ref, arena *a, contact *out)
{
    if (ref->row) {
        *out = *ref->row;
        return STORE_OK;
    }
    if (!ref->id)
        return STORE_NOT_FOUND;
    api_ctx *app = http_app(s->req);
    return store_contact_get(app->store, http_account(s->req), ref->id, a, out);
}

/* Append ref's entry: the contact, or under a key {"contact": ...} or the not-found error
 * (a contact deleted since the lookup included). 0, or -1 when the store fails. */
static int ref_write(contact_stream *s, const api_contact_ref *ref, csv_buf *out)
{
    arena a = ARENA_INIT;
    contact c;
    int rc = ref_contact(s, ref, &a, &c);
    json_t *body = rc == STORE_OK ? contact_render(&s->r, &c) : NULL;
    arena_release(&a);
    if (rc != STORE_OK && rc != STORE_NOT_FOUND)
        return -1;
    if (rc == STORE_OK && !body)
        return -1;
    if (!ref->key) {
        if (body)
            api_page_json(out, body, s->written++ > 0);
        return 0;
    }
    api_page_json(out, json_string(ref->key), s->written++ > 0);
    csv_buf_raw(out, ":", 1);
    api_page_json(out,
                  body ? json_pack("{s:o}", "contact", body)
                       : json_pack("{s:s}", "error", "contact not found"),
                  false);
    return 0;
}

static int contact_page(void *ctx, csv_buf *out)
{
    contact_stream *s = ctx;
    if (!s->begun) {
        s->begun = true;
        csv_buf_raw(out, s->head, strlen(s->head));
    }
    if (s->next < s->n)
        return ref_write(s, &s->refs[s->next++], out) < 0 ? -1 : 1;
    csv_buf_raw(out, s->tail, strlen(s->tail));
    return 0;
}

void api_reply_contacts(http_request *req, const char *head, const api_contact_ref *refs, size_t n,
                        const char *tail)
{
    contact_stream *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    s->req = req;
    s->r.req = req;
    s->head = head;
    s->tail = tail;
    s->refs = refs;
    s->n = n;
    api_reply_pages(req, 200, contact_page, s, free);
}
