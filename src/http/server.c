/*
 * server: libmicrohttpd glue (see server.h).
 *
 * MHD calls the access handler several times per request: once when the headers are in
 * (we route, authenticate and check the declared body size here, so nothing unwanted is
 * ever read), once per body chunk (appended to a buffer bounded by the route's cap), and
 * a final time with no data, where the handler runs. Responses are queued only in that
 * final call, because queuing earlier makes MHD close the connection; the exception is an
 * error decided before a body that we refuse to read, where closing is what we want.
 *
 * Threads: MHD runs `threads` event loops (epoll); handlers run on them. A write handler
 * suspends its connection and the job writer resumes it after the commit, so no request
 * thread ever waits for the disk.
 */
#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/ids.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/timeutil.h"
#include "core/apikey.h"
#include "http/auth.h"
#include "http/fair_queue.h"
#include "http/faults.h"
#include "http/framing.h"
#include "http/host.h"
#include "http/journal.h"
#include "http/ratelimit.h"
#include "http/router.h"

/* Requests with large bodies are handled off the MHD threads (see offload below). */
#define OFFLOAD_BODY_BYTES (256u * 1024u)
#define OFFLOAD_THREADS 2
#define ADMIN_PREFIX "/_contactd/"
#define LISTEN_HOST_MAX 255

/* SendGrid's message for every 429 (the rate limiter's, a full slow queue's, a backlog's). */
#define TOO_MANY "too many requests"

/* A pool of worker threads that run handlers off the MHD threads: first come, first
 * served (head/tail), or with `fair` set, one request per account at a time. */
typedef struct offload_pool {
    pthread_t workers[OFFLOAD_THREADS];
    pthread_mutex_t lock;
    pthread_cond_t ready;
    http_request *head, *tail;
    fair_queue *fair;
    bool stop;
} offload_pool;

struct http_server {
    struct MHD_Daemon *daemon;
    http_config cfg;
    /* the offload pools: large bodies, and slow routes (searches, uploads), apart so that
     * neither can starve the other */
    offload_pool bodies, slow;
    ratelimit *ratelimit; /* NULL: no limits */
    bool admin_on;        /* an admin token is configured */
    uint8_t admin_hash[APIKEY_HASH_LEN];
    auth_cache *auth_cache;
    atomic_int in_flight; /* requests between their first call and completion */
    atomic_bool stopping; /* http_server_stop has begun */
    unsigned port;
    char fallback_host[LISTEN_HOST_MAX + 16]; /* host:port of URLs when Host is unusable */
};

struct http_request {
    http_server *srv;
    struct MHD_Connection *conn;
    const http_route *route;
    const char *param[HTTP_MAX_PARAMS];
    char *method, *path;      /* copies, for the access log */
    const char *query;        /* "?a=b&c=d" for the access log and journal, secrets masked; "",
                          * or NULL when neither is on */
    const char *account_name; /* for the access log and journal; NULL when neither is on */
    char id[HTTP_REQUEST_ID_MAX + 1];
    char *body; /* malloc'd, grows to at most route->max_body */
    size_t body_len, body_cap;
    int64_t account;
    ratelimit_verdict rate; /* rate.limit 0: no rate-limit headers */
    fault_hit fault;        /* an injected fault that fired for this request */
    bool faulted;
    const char *base_url;
    arena arena;
    double started_ms;
    /* the reply, once decided */
    unsigned status;
    char *reply;            /* malloc'd JSON text */
    const char *reply_type; /* its Content-Type when not JSON */
    size_t reply_len;
    /* a streamed reply (http_reply_stream) instead of reply; MHD owns it once queued */
    http_stream_fn stream;
    void *stream_ctx;
    void (*stream_free)(void *ctx);
    const char *stream_type, *stream_disposition;
    /* a reply of static bytes (http_reply_static) instead of reply */
    const void *static_data;
    size_t static_len;
    const char *static_type;
    struct extra_header *headers; /* http_add_header, in the arena */
    bool has_reply, queued, suspended, refuse_body;
    bool must_close;         /* answer at once and close: nothing after it may be read */
    bool flat_errors;        /* http_errors_flat */
    http_request *work_next; /* the offload queue */
};

typedef struct extra_header {
    const char *name, *value;
    struct extra_header *next;
} extra_header;

/* Set while a worker runs a handler: http_suspend then only notes that the request was
 * handed on (it is suspended already). */
static _Thread_local bool tl_on_worker;
static _Thread_local bool tl_handed_on;

/* ---- replies --------------------------------------------------------------------- */

/* One error as the live service writes it: "help" is always there, and null. */
static json_t *error_object(const char *field, const char *message)
{
    return json_pack("{s:s?, s:s, s:n}", "field", field, "message", message, "help");
}

/* {"errors": arr} (taken over), and when flat (a request marked by http_errors_flat) the
 * first error's message and field at the top level too. */
static json_t *errors_body(bool flat, json_t *arr)
{
    json_t *body = json_pack("{s:o}", "errors", arr);
    json_t *first = json_array_get(arr, 0);
    if (flat && first) {
        json_object_set(body, "message", json_object_get(first, "message"));
        if (json_is_string(json_object_get(first, "field"))) /* a string there, or absent */
            json_object_set(body, "field", json_object_get(first, "field"));
    }
    return body;
}

json_t *http_error_body(const char *field, const char *message)
{
    return errors_body(false, json_pack("[o]", error_object(field, message)));
}

void http_errors_flat(http_request *req)
{
    req->flat_errors = true;
}

static void set_reply(http_request *req, unsigned status, json_t *body)
{
    req->static_data = NULL;
    free(req->reply);
    req->reply_type = NULL;
    req->reply = body ? json_dumps(body, JSON_COMPACT) : strdup("");
    json_decref(body);
    if (!req->reply) {
        status = 500;
        req->reply = strdup("{\"errors\":[{\"field\":null,\"message\":\"internal error\","
                            "\"help\":null}]}");
        if (!req->reply)
            abort();
    }
    req->reply_len = strlen(req->reply);
    req->status = status;
    req->has_reply = true;
}

void http_reply_json(http_request *req, unsigned status, json_t *body)
{
    set_reply(req, status, body);
}

/* A reply of text[0..len) copied, sent as content_type (NULL: application/json). */
static void set_reply_text(http_request *req, unsigned status, const char *content_type,
                           const char *text, size_t len)
{
    req->static_data = NULL;
    free(req->reply);
    req->reply = malloc(len + 1);
    if (!req->reply)
        abort();
    memcpy(req->reply, text, len);
    req->reply[len] = '\0';
    req->reply_len = len;
    req->reply_type = content_type ? arena_strdup(&req->arena, content_type) : NULL;
    req->status = status;
    req->has_reply = true;
}

void http_reply_text(http_request *req, unsigned status, const char *content_type, const char *text)
{
    set_reply_text(req, status, content_type, text, strlen(text));
}

void http_reply_json_text(http_request *req, unsigned status, const char *text, size_t len)
{
    set_reply_text(req, status, NULL, text, len);
}

void http_reply_error(http_request *req, unsigned status, const char *field, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    set_reply(req, status,
              errors_body(req->flat_errors, json_pack("[o]", error_object(field, msg))));
}

void http_reply_errlist(http_request *req, unsigned status, const errlist *errs)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < errs->count; i++)
        json_array_append_new(arr, error_object(errs->items[i].field, errs->items[i].message));
    set_reply(req, status, errors_body(req->flat_errors, arr));
}

void http_reply_stream(http_request *req, unsigned status, const char *content_type,
                       const char *content_disposition, http_stream_fn read, void *ctx,
                       void (*free_ctx)(void *ctx))
{
    set_reply(req, status, NULL);
    req->stream = read;
    req->stream_ctx = ctx;
    req->stream_free = free_ctx;
    req->stream_type = arena_strdup(&req->arena, content_type);
    req->stream_disposition =
        content_disposition ? arena_strdup(&req->arena, content_disposition) : NULL;
}

void http_reply_static(http_request *req, unsigned status, const char *content_type,
                       const void *data, size_t len)
{
    set_reply(req, status, NULL);
    req->static_data = len ? data : "";
    req->static_len = len;
    req->static_type = len ? arena_strdup(&req->arena, content_type) : NULL;
}

void http_add_header(http_request *req, const char *name, const char *value)
{
    extra_header *h = arena_alloc(&req->arena, sizeof *h);
    h->name = arena_strdup(&req->arena, name);
    h->value = arena_strdup(&req->arena, value);
    h->next = req->headers;
    req->headers = h;
}

typedef struct stream_state {
    http_stream_fn read;
    void *ctx;
    void (*free_ctx)(void *ctx);
} stream_state;

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    stream_state *st = cls;
    long n = st->read(st->ctx, buf, max);
    if (n < 0)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    if (n == 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
    return (ssize_t)n;
}

static void stream_done(void *cls)
{
    stream_state *st = cls;
    if (st->free_ctx)
        st->free_ctx(st->ctx);
    free(st);
}

/* Give a streamed reply's context to MHD, or free it when no response takes it. */
static struct MHD_Response *stream_response(http_request *req)
{
    stream_state *st = malloc(sizeof *st);
    if (!st)
        abort();
    st->read = req->stream;
    st->ctx = req->stream_ctx;
    st->free_ctx = req->stream_free;
    req->stream = NULL;
    req->stream_ctx = NULL;
    req->stream_free = NULL;
    struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024,
                                                               stream_read, st, stream_done);
    if (!r) {
        stream_done(st);
        return NULL;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, req->stream_type);
    if (req->stream_disposition)
        MHD_add_response_header(r, "Content-Disposition", req->stream_disposition);
    return r;
}

void http_suspend(http_request *req)
{
    if (tl_on_worker) {
        tl_handed_on = true;
        return;
    }
    req->suspended = true;
    MHD_suspend_connection(req->conn);
}

void http_resume_json(http_request *req, unsigned status, json_t *body)
{
    set_reply(req, status, body);
    MHD_resume_connection(req->conn);
}

static enum MHD_Result queue_reply(http_request *req)
{
    struct MHD_Response *r;
    if (req->stream) {
        r = stream_response(req);
        if (!r)
            return MHD_NO;
    } else if (req->static_data) {
        r = MHD_create_response_from_buffer(req->static_len, (void *)req->static_data,
                                            MHD_RESPMEM_PERSISTENT);
        if (!r)
            return MHD_NO;
        if (req->static_type)
            MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, req->static_type);
    } else {
        r = MHD_create_response_from_buffer(req->reply_len, req->reply, MHD_RESPMEM_MUST_FREE);
        if (!r)
            return MHD_NO;
        req->reply = NULL; /* MHD frees it now */
        if (req->reply_len)
            MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                                    req->reply_type ? req->reply_type : "application/json");
    }
    for (const extra_header *h = req->headers; h; h = h->next)
        MHD_add_response_header(r, h->name, h->value);
    if (req->must_close || atomic_load(&req->srv->stopping))
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    MHD_add_response_header(r, "X-Request-Id", req->id);
    if (req->rate.limit) {
        char v[24];
        snprintf(v, sizeof v, "%u", req->rate.limit);
        MHD_add_response_header(r, "X-RateLimit-Limit", v);
        snprintf(v, sizeof v, "%u", req->rate.remaining);
        MHD_add_response_header(r, "X-RateLimit-Remaining", v);
        snprintf(v, sizeof v, "%lld", (long long)req->rate.reset);
        MHD_add_response_header(r, "X-RateLimit-Reset", v);
    }
    enum MHD_Result ret = MHD_queue_response(req->conn, req->status, r);
    MHD_destroy_response(r);
    req->queued = true;
    return ret;
}

/* ---- accessors ------------------------------------------------------------------- */

const char *http_param(const http_request *req, unsigned i)
{
    return i < HTTP_MAX_PARAMS && req->param[i] ? req->param[i] : "";
}

const char *http_header(http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_query(http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_body(const http_request *req, size_t *len)
{
    *len = req->body_len;
    return req->body;
}

const char *http_path(const http_request *req)
{
    return req->path;
}

int64_t http_account(const http_request *req)
{
    return req->account;
}
void http_set_account(http_request *req, int64_t account)
{
    req->account = account;
}
double http_arrived_ms(const http_request *req)
{
    return req->started_ms;
}
const char *http_request_id(const http_request *req)
{
    return req->id;
}
arena *http_arena(http_request *req)
{
    return &req->arena;
}
void *http_app(const http_request *req)
{
    return req->srv->cfg.app;
}

static bool is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* 1 to max characters, each a letter, a digit or one of extra. */
static bool chars_ok(const char *s, size_t max, const char *extra)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max)
        return false;
    for (const char *p = s; *p; p++)
        if (!is_alnum((unsigned char)*p) && !strchr(extra, *p))
            return false;
    return true;
}

/* The first entry of a proxy header's comma-separated list, or NULL. */
static const char *first_forwarded(http_request *req, const char *header)
{
    const char *v = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, header);
    if (!v)
        return NULL;
    size_t n = strcspn(v, ",");
    while (n > 0 && v[n - 1] == ' ')
        n--;
    while (n > 0 && *v == ' ')
        v++, n--;
    return arena_strndup(&req->arena, v, n);
}

const char *http_base_url(http_request *req)
{
    if (req->base_url)
        return req->base_url;
    const http_config *cfg = &req->srv->cfg;
    if (cfg->public_url) {
        req->base_url = cfg->public_url;
        return req->base_url;
    }
    const char *scheme = cfg->tls_cert_pem ? "https" : "http";
    const char *host = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    if (cfg->trust_proxy) {
        const char *proto = first_forwarded(req, "X-Forwarded-Proto");
        const char *fhost = first_forwarded(req, "X-Forwarded-Host");
        if (proto && (strcasecmp(proto, "http") == 0 || strcasecmp(proto, "https") == 0))
            scheme = strcasecmp(proto, "https") == 0 ? "https" : "http";
        if (http_host_valid(fhost))
            host = fhost;
    }
    if (http_host_valid(host))
        req->base_url = arena_printf(&req->arena, "%s://%s", scheme, host);
    else
        req->base_url = arena_printf(&req->arena, "%s://%s", scheme, req->srv->fallback_host);
    return req->base_url;
}

/* ---- request ids and the access log --------------------------------------------- */

static void request_id_assign(http_request *req)
{
    const char *in = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "X-Request-Id");
    if (chars_ok(in, HTTP_REQUEST_ID_MAX, "._:-"))
        snprintf(req->id, sizeof req->id, "%s", in);
    else if (uuid_generate(req->id) != 0)
        snprintf(req->id, sizeof req->id, "none");
}

/* Whether finished requests are written down (the access log, the journal): only then
 * are the query string and the account name kept for them. */
static bool recorded(const http_server *srv)
{
    return srv->cfg.access_log || srv->cfg.journal;
}

/* Query arguments whose values are credentials (upload and download URLs carry them). */
static bool secret_argument(const char *key)
{
    return strcasecmp(key, "token") == 0 || strcasecmp(key, "api_key") == 0 ||
           strcasecmp(key, "key") == 0;
}

static void put_escaped(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (is_alnum(*p) || strchr("-._~,:@/", *p))
            fputc(*p, f);
        else
            fprintf(f, "%%%02X", *p);
    }
}

static enum MHD_Result add_argument(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    (void)kind;
    FILE *f = cls;
    fputc(ftell(f) == 0 ? '?' : '&', f);
    put_escaped(f, key);
    if (value) {
        fputc('=', f);
        if (secret_argument(key))
            fputs("***", f);
        else
            put_escaped(f, value);
    }
    return MHD_YES;
}

/* The query string as the log shows it: arguments re-encoded, credentials masked. */
static void capture_query(http_request *req)
{
    req->query = "";
    /* most requests have no query: no stream for them */
    if (MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, NULL, NULL) == 0)
        return;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return;
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, add_argument, f);
    if (fclose(f) == 0 && buf)
        req->query = arena_strdup(&req->arena, buf);
    free(buf);
}

static void access_log(http_request *req, enum MHD_RequestTerminationCode toe, double ms)
{
    /* A path is the client's bytes: cut very long ones (the header limit bounds them). */
    char *where =
        arena_printf(&req->arena, "%.2048s%.2048s", req->path, req->query ? req->query : "");
    log_field f[] = {
        LOG_S("id", req->id),
        LOG_S("method", req->method),
        LOG_S("path", where),
        req->queued ? LOG_I("status", req->status) : LOG_S("status", "-"),
        LOG_D("duration_ms", ms),
        LOG_S("account", req->account_name),
        LOG_S("note", toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? NULL : "connection closed early"),
    };
    log_event("request", f, sizeof f / sizeof f[0]);
}

/* ---- request lifecycle ----------------------------------------------------------- */

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void early_error(http_request *req, unsigned status, const char *message)
{
    set_reply(req, status, http_error_body(NULL, message));
    req->refuse_body = true;
}

/* Percent-decoding of the path and query arguments, as MHD's own but for one thing: "%00"
 * stays as it is. A decoded NUL would silently cut a value short (so that
 * "delete_all_contacts=true%00junk" read as "true"); kept literal, it makes the value
 * invalid, which is what it is. Invalid escapes are kept literal too. */
static size_t unescape(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    (void)conn;
    char *w = s;
    for (const char *r = s; *r; r++) {
        int hi, lo;
        if (r[0] == '%' && (hi = hex_value(r[1])) >= 0 && (lo = hex_value(r[2])) >= 0 &&
            (hi | lo) != 0) {
            *w++ = (char)(hi * 16 + lo);
            r += 2;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    return (size_t)(w - s);
}

static enum MHD_Result find_nul(void *cls, enum MHD_ValueKind kind, const char *key,
                                size_t key_size, const char *value, size_t value_size)
{
    (void)kind;
    bool *found = cls;
    if (memchr(key, '\0', key_size) || (value && memchr(value, '\0', value_size))) {
        *found = true;
        return MHD_NO;
    }
    return MHD_YES;
}

/* Whether the request will run on the slow pool (see offload below). */
static bool goes_slow(const http_request *req)
{
    return (req->route->flags & ROUTE_SLOW) || (req->faulted && req->fault.delay_ms);
}

static bool slow_queue_full(http_server *srv, int64_t account)
{
    pthread_mutex_lock(&srv->slow.lock);
    bool full = fair_queue_full(srv->slow.fair, account);
    pthread_mutex_unlock(&srv->slow.lock);
    return full;
}

/* Headers are in: route, authenticate, check the declared size. */
/* ---- who is asking ----------------------------------------------------------------- */

/* The admin token: Bearer <token> as for API keys, its SHA-256 compared in constant time. */
static void admin_check(http_request *req)
{
    const char *authz =
        MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    size_t len;
    const char *token = auth_bearer(authz, &len);
    if (!token) {
        early_error(req, 401, "authorization required");
        return;
    }
    uint8_t hash[APIKEY_HASH_LEN];
    apikey_hash(arena_strndup(&req->arena, token, len), hash);
    if (!apikey_hash_equal(hash, req->srv->admin_hash))
        early_error(req, 401, "The provided authorization grant is invalid, expired, or revoked");
}

/* On-Behalf-Of: <account name> acts as that subuser when the key's account is its
 * parent. SendGrid refuses any other value as it refuses a bad key (401). */
static bool on_behalf_of(http_request *req)
{
    const char *name = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "On-Behalf-Of");
    if (!name)
        return true;
    store_account sub;
    int rc = store_account_find(req->srv->cfg.store, name, &req->arena, &sub);
    if (rc == STORE_ERROR) {
        early_error(req, 503, "the database is unavailable; try again");
        return false;
    }
    if (rc != STORE_OK || sub.parent_id != req->account) {
        early_error(req, 401, "authorization required");
        return false;
    }
    req->account = sub.id;
    req->account_name = sub.name;
    return true;
}

/* The API key: false once the request has been answered (refused). */
static bool key_check(http_request *req)
{
    http_server *srv = req->srv;
    const char *authz =
        MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    auth_identity who;
    switch (auth_check(srv->cfg.store, srv->auth_cache, authz, &who)) {
    case AUTH_OK:
        req->account = who.account;
        if (recorded(srv)) /* who is a copy on the stack */
            req->account_name = arena_strdup(&req->arena, who.account_name);
        if (srv->ratelimit) {
            ratelimit_take(srv->ratelimit, who.key_id, time_now_ms() / 1000, &req->rate);
            if (!req->rate.allowed) {
                metrics_rate_limited();
                early_error(req, 429, TOO_MANY);
                return false;
            }
        }
        if ((req->route->flags & ROUTE_WRITE) && !who.can_write) {
            early_error(req, 403, "access forbidden");
            return false;
        }
        return on_behalf_of(req);
    case AUTH_MISSING: early_error(req, 401, "authorization required"); return false;
    case AUTH_INVALID:
        early_error(req, 401, "The provided authorization grant is invalid, expired, or revoked");
        return false;
    case AUTH_UNAVAILABLE:
        early_error(req, 503, "the database is unavailable; try again");
        return false;
    }
    return false;
}

/* The rate-limit headers of a 429: nothing left of limit until reset (Unix seconds). */
static void rate_exhausted(http_request *req, unsigned limit, int64_t reset_s)
{
    req->rate.allowed = false;
    req->rate.limit = limit ? limit : 1;
    req->rate.remaining = 0;
    req->rate.reset = reset_s;
}

void http_reply_too_many(http_request *req, unsigned limit, int64_t reset_s, const char *field,
                         const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    metrics_rate_limited();
    if (!limit)
        limit = req->srv->cfg.rate_limit ? req->srv->cfg.rate_limit : 600;
    rate_exhausted(req, limit, reset_s ? reset_s : time_now_ms() / 1000 + 1);
    http_reply_error(req, 429, field, "%s", msg);
}

/* An injected fault's own answer: SendGrid's body for the status, and for 429 the
 * rate-limit headers a client backs off by. */
static void fault_reply(http_request *req)
{
    if (req->fault.status == 429)
        rate_exhausted(req, req->srv->cfg.rate_limit ? req->srv->cfg.rate_limit : 600,
                       time_now_ms() / 1000 + 1);
    http_reply_error(req, req->fault.status, NULL, "%s", faults_message(req->fault.status));
}

static void request_begin(http_request *req, const char *method, const char *url)
{
    http_server *srv = req->srv;
    /* MHD ends a header value at a raw NUL byte; where it reports a NUL inside a value or
     * a key, refuse the request rather than act on a value cut short. */
    bool nul = false;
    MHD_get_connection_values_n(req->conn, MHD_HEADER_KIND, find_nul, &nul);
    if (nul) {
        early_error(req, 400, "NUL characters are not allowed in headers");
        return;
    }
    /* Ambiguous framing: answered before the body, and the connection closed, so that
     * the bytes after the headers can never run as a request of their own. */
    const char *framing = framing_problem(req->conn);
    if (framing) {
        early_error(req, 400, framing);
        req->must_close = true;
        return;
    }
    const char *te =
        MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    if (te && strcasecmp(te, "chunked") != 0) {
        /* MHD would wait for a body it cannot frame until the idle timeout. HTTP suggests
         * 501 here, but a client's mistake is always a 4xx in this API. */
        early_error(req, 400,
                    "only the chunked Transfer-Encoding is supported; "
                    "send a Content-Length or a chunked body");
        return;
    }
    if (!srv->admin_on && strncmp(url, ADMIN_PREFIX, strlen(ADMIN_PREFIX)) == 0) {
        early_error(req, 404, "not found"); /* no admin token: no admin API at all */
        return;
    }
    route_match m;
    router_match(srv->cfg.routes, srv->cfg.nroutes, method, url, &m);
    if (!m.route) {
        if (m.path_known)
            early_error(req, 405, "method not allowed");
        else
            early_error(req, 404, "not found");
        return;
    }
    req->route = m.route;
    for (unsigned i = 0; i < m.nparams; i++)
        req->param[i] = arena_strndup(&req->arena, m.param[i], m.param_len[i]);
    if (m.route->admit) {
        m.route->admit(req);
        if (req->has_reply) {
            req->refuse_body = true;
            return;
        }
    }

    const char *cl =
        MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(cl, &end, 10);
        if (errno || end == cl || *end) {
            early_error(req, 400, "invalid Content-Length");
            return;
        }
        if (n > m.route->max_body) {
            char msg[96];
            snprintf(msg, sizeof msg, "request body too large: the limit is %zu bytes",
                     m.route->max_body);
            early_error(req, 413, msg);
            return;
        }
        if (n > 0) {
            req->body = malloc((size_t)n);
            if (!req->body)
                abort();
            req->body_cap = (size_t)n;
        }
    }
    if (m.route->flags & ROUTE_ADMIN) {
        admin_check(req);
        return;
    }
    if (!(m.route->flags & ROUTE_PUBLIC) && !key_check(req))
        return;
    if (strncmp(url, "/v3/", 4) == 0)
        req->faulted = faults_match(srv->cfg.faults, method, url, req->account, &req->fault);
    if (goes_slow(req) && slow_queue_full(srv, req->account)) {
        /* Refused before the body (an upload's may be 128 MiB) is read for nothing; the
         * queue may still refuse it once the body is in (offload). */
        metrics_slow_refused();
        http_reply_too_many(req, 0, 0, NULL, TOO_MANY);
        req->refuse_body = true;
    }
}

static bool expects_body(struct MHD_Connection *conn)
{
    const char *cl =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    const char *te =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    return (cl && strcmp(cl, "0") != 0) || te;
}

/* Append a body chunk; false when the body outgrew the route's cap. */
static bool body_append(http_request *req, const char *data, size_t n)
{
    size_t max = req->route->max_body;
    if (n > max - req->body_len)
        return false;
    if (req->body_len + n > req->body_cap) {
        size_t cap = req->body_cap ? req->body_cap * 2 : 4096;
        while (cap < req->body_len + n)
            cap *= 2;
        if (cap > max)
            cap = max;
        char *b = realloc(req->body, cap);
        if (!b)
            abort();
        req->body = b;
        req->body_cap = cap;
    }
    memcpy(req->body + req->body_len, data, n);
    req->body_len += n;
    return true;
}

/* ---- offload ---------------------------------------------------------------------
 * Decoding a 6 MB upsert takes a few hundred milliseconds. On an MHD thread that would
 * stall every other connection the thread serves, so a request with a large body is
 * suspended and its handler runs on one of OFFLOAD_THREADS workers instead. The pool's
 * size also bounds how many large bodies are parsed at once (a parsed JSON tree is about
 * nine times its text). A handler that replies is resumed by the worker; one that hands
 * the request on (http_suspend, e.g. to the job writer) is resumed by whoever took it.
 * Routes marked ROUTE_SLOW (an SGQL search scans a whole account for up to 20 s; an
 * import upload may inflate and check 128 MiB), and requests an injected fault delays,
 * run on a second pool of the same size, so that they never hold up large upserts, nor
 * these them. That pool is scheduled per account (http/fair_queue.h): at most one request
 * of an account runs at a time and accounts with waiting work take turns, so one
 * account's burst of heavy searches cannot make another's wait for the whole burst; an
 * account with slow_queue_depth requests waiting already gets 429 (SendGrid's answer to a
 * client that asks too much). Waiting counts against a search's deadline, which runs from
 * arrival (http_arrived_ms). */

/* Queue req for the pool's workers; false when its account's queue is full (the request
 * is then neither queued nor suspended). */
static bool offload(offload_pool *pool, http_request *req)
{
    pthread_mutex_lock(&pool->lock);
    bool queued = true;
    if (pool->fair) {
        queued = fair_queue_push(pool->fair, req->account, req);
    } else {
        if (pool->tail)
            pool->tail->work_next = req;
        else
            pool->head = req;
        pool->tail = req;
    }
    if (queued) {
        /* Suspended before a worker can see it: a worker resumes it when done. */
        req->suspended = true;
        MHD_suspend_connection(req->conn);
        pthread_cond_signal(&pool->ready);
    }
    pthread_mutex_unlock(&pool->lock);
    if (pool->fair && queued)
        metrics_slow_waiting(1);
    else if (pool->fair)
        metrics_slow_refused();
    return queued;
}

/* The next request the pool may run (NULL: none may run now), under the pool's lock. */
static http_request *next_work(offload_pool *pool)
{
    if (pool->fair) {
        int64_t account;
        http_request *req = fair_queue_pop(pool->fair, &account);
        if (req)
            metrics_slow_waiting(-1);
        return req;
    }
    http_request *req = pool->head;
    if (req) {
        pool->head = req->work_next;
        if (!pool->head)
            pool->tail = NULL;
    }
    return req;
}

/* Run the route's handler, unless an injected fault answers instead. A fault's delay
 * is only ever slept here, on an offload worker (see on_access). */
static void run_handler(http_request *req)
{
    if (req->faulted && req->fault.delay_ms) {
        struct timespec ts = {req->fault.delay_ms / 1000,
                              (long)(req->fault.delay_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (req->faulted && req->fault.status)
        fault_reply(req);
    else
        req->route->handler(req);
}

static void *worker_main(void *arg)
{
    offload_pool *pool = arg;
    tl_on_worker = true;
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        http_request *req;
        while (!(req = next_work(pool)) && !pool->stop)
            pthread_cond_wait(&pool->ready, &pool->lock);
        if (!req)
            break;
        /* Read before running: once answered, req may be freed at any moment. */
        int64_t account = req->account;
        pthread_mutex_unlock(&pool->lock);

        tl_handed_on = false;
        run_handler(req);
        /* Once handed on, req may already be answered and freed: do not touch it. */
        if (!tl_handed_on) {
            if (!req->has_reply)
                http_reply_error(req, 500, NULL, "internal error: the handler gave no answer");
            MHD_resume_connection(req->conn);
        }
        pthread_mutex_lock(&pool->lock);
        if (pool->fair)
            fair_queue_done(pool->fair, account); /* this worker takes the next turn */
    }
    pthread_mutex_unlock(&pool->lock);
    return NULL;
}

/* The timeout of a connection until its first request's headers are in. libmicrohttpd
 * reads a request line until a line feed, however long the client takes; bytes that can
 * never become one (a TLS ClientHello sent to the plain-HTTP port, binary) would hold the
 * connection for the whole idle timeout. MHD offers no hook on those bytes before a line
 * ends, so they cannot be refused at once: the daemon's timeout is this short one, and the
 * first call of on_access raises the connection's own to the idle timeout. */
static unsigned first_timeout(const http_config *cfg)
{
    if (cfg->header_timeout_s &&
        (!cfg->idle_timeout_s || cfg->header_timeout_s < cfg->idle_timeout_s))
        return cfg->header_timeout_s;
    return cfg->idle_timeout_s;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
    http_server *srv = cls;
    http_request *req = *con_cls;
    if (!req) {
        req = calloc(1, sizeof *req);
        if (!req)
            abort();
        req->srv = srv;
        req->conn = conn;
        req->started_ms = time_mono_ms();
        req->method = arena_strdup(&req->arena, method);
        req->path = arena_strdup(&req->arena, url);
        request_id_assign(req);
        if (recorded(srv))
            capture_query(req);
        *con_cls = req;
        atomic_fetch_add(&srv->in_flight, 1);
        /* The headers are in: from now on the connection gets the idle timeout, not the
         * short one it started with (see first_timeout). */
        if (first_timeout(&srv->cfg) != srv->cfg.idle_timeout_s)
            MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, srv->cfg.idle_timeout_s);
        /* Once stopping, a new request (on a kept-alive connection) is refused at once: it
         * must not suspend, because the daemon may not stop with suspended connections,
         * and a request counted in in_flight before the flag was set is waited for. */
        if (atomic_load(&srv->stopping))
            early_error(req, 503, "the server is shutting down; try again");
        else
            request_begin(req, method, url);
        /* Refusing a body we have not read, or framing we do not trust: answer now and
         * let MHD close (a reply queued before the body makes MHD discard the rest of the
         * connection's input). */
        if (req->has_reply && (req->must_close || expects_body(conn)))
            return queue_reply(req);
        return MHD_YES;
    }
    if (req->queued)
        return MHD_YES;
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (req->refuse_body)
            return MHD_YES;
        if (srv->cfg.body_timeout_s &&
            time_mono_ms() - req->started_ms > srv->cfg.body_timeout_s * 1000.0) {
            /* A body trickling in: the idle timeout alone would let it hold the
             * connection and its buffer indefinitely. */
            early_error(req, 408, "request body took too long to arrive");
            return queue_reply(req);
        }
        if (!body_append(req, upload_data, n)) {
            char msg[96];
            snprintf(msg, sizeof msg, "request body too large: the limit is %zu bytes",
                     req->route->max_body);
            early_error(req, 413, msg);
            return queue_reply(req);
        }
        return MHD_YES;
    }
    if (req->suspended) /* resumed: the reply is set */
        return queue_reply(req);
    /* A delayed request sleeps on the slow pool, never on an event loop. */
    if (!req->has_reply && goes_slow(req)) {
        if (offload(&srv->slow, req))
            return MHD_YES;
        http_reply_too_many(req, 0, 0, NULL, TOO_MANY); /* the account's queue is full */
        return queue_reply(req);
    }
    if (!req->has_reply && req->body_len >= OFFLOAD_BODY_BYTES) {
        offload(&srv->bodies, req);
        return MHD_YES;
    }
    if (!req->has_reply)
        run_handler(req);
    if (req->suspended)
        return MHD_YES;
    if (!req->has_reply)
        http_reply_error(req, 500, NULL, "internal error: the handler gave no answer");
    return queue_reply(req);
}

/* The request's entry in the admin journal (http/journal.h): no body, no key. */
static void journal_add(http_request *req, double ms)
{
    journal_entry e = {
        .time_ms = time_now_ms(),
        .request_id = req->id,
        .method = req->method,
        .path = req->path,
        .query = req->query,
        .status = req->queued ? req->status : 0,
        .duration_ms = ms,
        .account = req->account_name ? req->account_name : "",
    };
    journal_record(req->srv->cfg.journal, &e);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    http_server *srv = cls;
    http_request *req = *con_cls;
    if (!req)
        return;
    double ms = time_mono_ms() - req->started_ms;
    if (req->queued)
        metrics_request(req->route ? (int)(req->route - srv->cfg.routes) : -1, req->status, ms);
    if (srv->cfg.access_log)
        access_log(req, toe, ms);
    if (srv->cfg.journal)
        journal_add(req, ms);
    if (req->stream_free) /* a stream that never reached MHD */
        req->stream_free(req->stream_ctx);
    free(req->body);
    free(req->reply);
    arena_release(&req->arena);
    free(req);
    *con_cls = NULL;
    atomic_fetch_sub(&srv->in_flight, 1);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    (void)cls;
    (void)conn;
    (void)socket_context;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED)
        metrics_connection_opened();
    else
        metrics_connection_closed();
}

/* ---- start and stop -------------------------------------------------------------- */

bool http_tls_supported(void)
{
    return MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES;
}

/* HOST:PORT or [HOST]:PORT resolved into ss; host (at least LISTEN_HOST_MAX + 1 bytes)
 * gets HOST as written. */
static int parse_listen(const char *listen, struct sockaddr_storage *ss, char *host, char *err,
                        size_t err_size)
{
    const char *port;
    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');
        if (!close || close[1] != ':' || (size_t)(close - listen - 1) > LISTEN_HOST_MAX)
            goto bad;
        memcpy(host, listen + 1, (size_t)(close - listen - 1));
        host[close - listen - 1] = '\0';
        port = close + 2;
    } else {
        const char *colon = strrchr(listen, ':');
        if (!colon || (size_t)(colon - listen) > LISTEN_HOST_MAX)
            goto bad;
        memcpy(host, listen, (size_t)(colon - listen));
        host[colon - listen] = '\0';
        port = colon + 1;
    }
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV | AI_PASSIVE};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
    if (rc != 0 || !res) {
        snprintf(err, err_size, "cannot resolve listen address '%s': %s", listen, gai_strerror(rc));
        return -1;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return 0;
bad:
    snprintf(err, err_size, "listen address '%s' is not HOST:PORT", listen);
    return -1;
}

/* The listen address as URLs show it when a request's Host cannot be echoed: its host
 * unless that is a wildcard (or not fit for a URL), then localhost. */
static void set_fallback_host(http_server *srv, const char *host)
{
    char literal[LISTEN_HOST_MAX + 3];
    snprintf(literal, sizeof literal, strchr(host, ':') ? "[%s]" : "%s", host);
    bool wildcard = !*host || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0;
    snprintf(srv->fallback_host, sizeof srv->fallback_host, "%s:%u",
             wildcard || !http_host_valid(literal) ? "localhost" : literal, srv->port);
}

/* fair: NULL for first come, first served. */
static void pool_start(offload_pool *pool, fair_queue *fair)
{
    pool->fair = fair;
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->ready, NULL);
    for (int i = 0; i < OFFLOAD_THREADS; i++)
        if (pthread_create(&pool->workers[i], NULL, worker_main, pool) != 0)
            abort();
}

static void pool_stop(offload_pool *pool)
{
    pthread_mutex_lock(&pool->lock);
    pool->stop = true;
    pthread_cond_broadcast(&pool->ready);
    pthread_mutex_unlock(&pool->lock);
    for (int i = 0; i < OFFLOAD_THREADS; i++)
        pthread_join(pool->workers[i], NULL);
    pthread_cond_destroy(&pool->ready);
    pthread_mutex_destroy(&pool->lock);
    fair_queue_free(pool->fair);
}

static void stop_workers(http_server *srv)
{
    pool_stop(&srv->bodies);
    pool_stop(&srv->slow);
}

http_server *http_server_start(const http_config *cfg, char *err, size_t err_size)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    char listen_host[LISTEN_HOST_MAX + 1];
    if (parse_listen(cfg->listen, &ss, listen_host, err, err_size) != 0)
        return NULL;
    http_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        abort();
    srv->cfg = *cfg;
    for (size_t i = 0; i < cfg->nroutes; i++)
        metrics_route_register((unsigned)i, cfg->routes[i].method, cfg->routes[i].pattern);
    if (cfg->rate_limit)
        srv->ratelimit = ratelimit_new(cfg->rate_limit, cfg->rate_window_s);
    srv->auth_cache = auth_cache_new();
    if (cfg->admin_token && *cfg->admin_token) {
        srv->admin_on = true;
        apikey_hash(cfg->admin_token, srv->admin_hash);
    }
    pool_start(&srv->bodies, NULL);
    pool_start(&srv->slow, fair_queue_new(cfg->slow_queue_depth));
    unsigned threads = cfg->threads;
    if (threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (unsigned)n : 1;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    bool tls = cfg->tls_cert_pem && cfg->tls_key_pem;
    if (tls)
        flags |= MHD_USE_TLS;
    /* The TLS options go last, where MHD_OPTION_END would otherwise be: without TLS the
     * list simply ends earlier. */
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_access, srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->max_per_ip, MHD_OPTION_CONNECTION_TIMEOUT,
        first_timeout(cfg), MHD_OPTION_CONNECTION_MEMORY_LIMIT, cfg->header_limit,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL, MHD_OPTION_STRICT_FOR_CLIENT, 1,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
        tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cfg->tls_cert_pem,
        MHD_OPTION_HTTPS_MEM_KEY, cfg->tls_key_pem, MHD_OPTION_END);
    if (!srv->daemon) {
        snprintf(err, err_size, "cannot listen on %s: %s", cfg->listen, strerror(errno));
        stop_workers(srv);
        ratelimit_free(srv->ratelimit);
        auth_cache_free(srv->auth_cache);
        free(srv);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : 0;
    set_fallback_host(srv, listen_host);
    return srv;
}

unsigned http_server_port(const http_server *srv)
{
    return srv->port;
}

void http_server_stop(http_server *srv, unsigned grace_ms)
{
    if (!srv)
        return;
    /* From now on every new request is answered 503 (see on_access). The listening socket
     * stays open until MHD_stop_daemon: MHD_quiesce_daemon races with the epoll workers
     * in libmicrohttpd 0.9.75 ("Failed to remove listen FD from epoll set" and abort),
     * seen under load in the shutdown test. Requests already started finish (their jobs
     * are answered by the writer, which is still running); after the grace period the
     * daemon stops regardless. */
    atomic_store(&srv->stopping, true);
    double deadline = time_mono_ms() + grace_ms;
    while (atomic_load(&srv->in_flight) > 0 && time_mono_ms() < deadline) {
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    MHD_stop_daemon(srv->daemon);
    stop_workers(srv);
    ratelimit_free(srv->ratelimit);
    auth_cache_free(srv->auth_cache);
    free(srv);
}
