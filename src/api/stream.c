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

bool api_page_json(csv_buf *out, json_t *value, bool comma)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(value);
    if (!text) /* value NULL (a failed json_pack): nothing, not even the comma */
        return false;
    if (comma)
        csv_buf_raw(out, ",", 1);
    csv_buf_raw(out, text, strlen(text));
    free(text);
    return true;
}

/* ---- contacts, one per page ------------------------------------------------------------ */

/* An answer of contacts being written: into the thread's writer when every contact is in
 * memory already (the common, small answer: sent whole, no tree, no stream), else into a
 * writer of the stream's own, one contact per page. */
typedef struct contact_stream {
    http_request *req; /* valid until the answer is done (the server frees it after) */
    contact_renderer r;
    const char *head, *tail;
    const api_contact_ref *refs; /* in the request's arena */
    size_t n, next, written;
    bool begun;
    json_writer own; /* the streamed form's page text */
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

/* Append ref's entry to w, after a comma unless it is the first: the contact, or under
 * its key {"contact": ...} or the not-found error (a contact deleted since the lookup
 * included). An entry whose key is not well-formed UTF-8 is left out, as jansson's object
 * left it out. 0, or -1 when the store fails. */
static int ref_write(contact_stream *s, const api_contact_ref *ref, json_writer *w)
{
    arena a = ARENA_INIT;
    contact c;
    int rc = ref_contact(s, ref, &a, &c);
    if (rc != STORE_OK && rc != STORE_NOT_FOUND) {
        arena_release(&a);
        return -1;
    }
    if (rc == STORE_NOT_FOUND && !ref->key) { /* gone from an array: left out */
        arena_release(&a);
        return 0;
    }
    size_t mark = w->len;
    if (s->written)
        json_writer_char(w, ',');
    bool ok = true, kept = true;
    if (ref->key) {
        kept = json_writer_key(w, ref->key);
        json_writer_cstr_raw(w, rc == STORE_OK ? "{\"contact\":"
                                               : "{\"error\":\"contact not found\"}");
    }
    if (rc == STORE_OK) {
        ok = contact_render_write(&s->r, w, &c);
        if (ref->key)
            json_writer_char(w, '}');
    }
    arena_release(&a);
    if (!ok)
        return -1;
    if (kept)
        s->written++;
    else
        json_writer_truncate(w, mark);
    return 0;
}

static int contact_page(void *ctx, csv_buf *out)
{
    contact_stream *s = ctx;
    json_writer *w = &s->own;
    json_writer_truncate(w, 0);
    if (!s->begun) {
        s->begun = true;
        json_writer_cstr_raw(w, s->head);
    }
    int rc = 1;
    if (s->next < s->n) {
        if (ref_write(s, &s->refs[s->next++], w) < 0)
            return -1;
    } else {
        json_writer_cstr_raw(w, s->tail);
        rc = 0;
    }
    csv_buf_raw(out, w->buf, w->len);
    return rc;
}

static void contact_stream_free(void *ctx)
{
    contact_stream *s = ctx;
    json_writer_free(&s->own);
    free(s);
}

static bool all_kept(const api_contact_ref *refs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!refs[i].row && refs[i].id)
            return false;
    return true;
}

bool api_write_contacts(http_request *req, const api_contact_ref *refs, size_t n, json_writer *w)
{
    contact_stream s = {.req = req, .r.req = req, .refs = refs, .n = n};
    for (size_t i = 0; i < n; i++)
        if (ref_write(&s, &refs[i], w) < 0)
            return false;
    return true;
}

/* The whole answer in the thread's writer, when no contact has to be read again. */
static bool reply_whole(contact_stream *s)
{
    if (!all_kept(s->refs, s->n))
        return false;
    json_writer *w = json_writer_thread();
    json_writer_cstr_raw(w, s->head);
    if (!api_write_contacts(s->req, s->refs, s->n, w)) {
        api_reply_store_error(s->req);
        return true;
    }
    json_writer_cstr_raw(w, s->tail);
    http_reply_json_text(s->req, 200, w->buf, w->len);
    return true;
}

void api_reply_contacts(http_request *req, const char *head, const api_contact_ref *refs, size_t n,
                        const char *tail)
{
    contact_stream one = {.req = req, .r.req = req, .head = head, .tail = tail, .refs = refs, .n = n};
    if (reply_whole(&one))
        return;
    contact_stream *s = malloc(sizeof *s);
    if (!s)
        abort();
    *s = one;
    s->own = (json_writer)JSON_WRITER_INIT;
    api_reply_pages(req, 200, contact_page, s, contact_stream_free);
}
