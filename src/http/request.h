/*
 * request: what a handler in src/api/ sees of an HTTP request, and how it answers.
 *
 * The server calls a route's handler once the whole body has arrived and the API key has
 * been resolved to an account. The handler must, before returning, either reply
 * (http_reply_*) or suspend (http_suspend) and later resume from any thread with
 * http_resume_json. Exactly one reply per request.
 *
 * Memory: every string the accessors return, and everything allocated from
 * http_arena(req), lives until the response has been sent; handlers never free them.
 * http_reply_json and http_resume_json take ownership of the json_t they are given; a
 * NULL body sends no body at all (for 204).
 */
#ifndef CONTACTD_HTTP_REQUEST_H
#define CONTACTD_HTTP_REQUEST_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/errlist.h"

typedef struct http_request http_request;
typedef void (*http_handler_fn)(http_request *req);

enum http_route_flags {
    ROUTE_PUBLIC = 1, /* no API key needed (health checks) */
    ROUTE_WRITE = 2,  /* changes data: needs a key with write scope */
    ROUTE_SLOW = 4,   /* may take seconds: always run off the connection threads */
    ROUTE_ADMIN = 8,  /* the admin API: the admin token instead of an API key */
};

typedef struct http_route {
    const char *method;
    const char *pattern; /* "/v3/marketing/contacts/{}/identifiers": {} captures a segment */
    http_handler_fn handler;
    size_t max_body; /* bytes; a larger body is answered 413 before it is read */
    unsigned flags;
    /* Optional: called with the path and query (no body yet) before a body is read; a
     * route whose body is large and that needs no API key checks its own credential here
     * and replies (4xx) to refuse, so that nobody can make the server take in a body for
     * nothing. */
    http_handler_fn admit;
} http_route;

#define HTTP_MAX_PARAMS 4
#define HTTP_REQUEST_ID_MAX 128

/* The i-th {} segment of the route's pattern, percent-decoded. */
const char *http_param(const http_request *req, unsigned i);
/* A request header (case-insensitive name), or NULL. */
const char *http_header(http_request *req, const char *name);
/* A query-string argument, or NULL. */
const char *http_query(http_request *req, const char *name);
/* The request body (NOT NUL-terminated; may be NULL when empty). */
const char *http_body(const http_request *req, size_t *len);
/* The request's path, percent-decoded, without the query. */
const char *http_path(const http_request *req);
/* The account the API key belongs to (0 on public routes, unless their admit hook set
 * it). */
int64_t http_account(const http_request *req);
/* For a public route's admit hook: the account the request acts for (its URL's token
 * names it), which the slow pool schedules it by. */
void http_set_account(http_request *req, int64_t account);
/* When the request's headers arrived (time_mono_ms's clock): deadlines run from here, so
 * time spent waiting for a worker counts. */
double http_arrived_ms(const http_request *req);
/* The request's id: its X-Request-Id when sane (1-128 of [A-Za-z0-9._:-]), else a new
 * UUID; also sent back as X-Request-Id. Never NULL. */
const char *http_request_id(const http_request *req);
/* The base of URLs in responses: --public-url when set; else "http(s)://" + the Host the
 * client addressed (or, with --trust-proxy, X-Forwarded-Proto/Host). No trailing slash. */
const char *http_base_url(http_request *req);
arena *http_arena(http_request *req);
/* The application context given to http_server_start. */
void *http_app(const http_request *req);

void http_reply_json(http_request *req, unsigned status, json_t *body);
/* A JSON body already encoded (core/json_writer): text[0..len) is copied. */
void http_reply_json_text(http_request *req, unsigned status, const char *text, size_t len);
/* A body that is not JSON (GET /metrics): text is copied. */
void http_reply_text(http_request *req, unsigned status, const char *content_type, const char *text);
/* {"errors":[{"field": field, "message": ..., "help": null}]}; field may be NULL. */
void http_reply_error(http_request *req, unsigned status, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void http_reply_errlist(http_request *req, unsigned status, const errlist *errs);
/* 429 as the rate limiter answers it (http/ratelimit.h): SendGrid's error body with the
 * message, and X-RateLimit-Limit: limit (0: the configured rate limit), -Remaining: 0,
 * -Reset: reset_s (Unix seconds, when trying again can succeed; 0: a second from now);
 * counted in contactd_rate_limited_total. */
void http_reply_too_many(http_request *req, unsigned limit, int64_t reset_s, const char *field,
                         const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* From now on this request's error replies (the two above) also carry the first error's
 * "message" and "field" at the top level: for the endpoints whose document defines a flat
 * error body, so that code written for either shape reads them. */
void http_errors_flat(http_request *req);

/*
 * Reply with a body produced piece by piece (a file too large to hold in memory): read
 * fills buf with up to max bytes and returns how many, 0 at the end, or -1 on failure
 * (the connection is then closed, so a client never takes a cut file for a whole one).
 * read runs on a server thread after the handler returned; free_ctx(ctx) runs once the
 * response is done or abandoned. content_disposition may be NULL.
 */
typedef long (*http_stream_fn)(void *ctx, char *buf, size_t max);
void http_reply_stream(http_request *req, unsigned status, const char *content_type,
                       const char *content_disposition, http_stream_fn read, void *ctx,
                       void (*free_ctx)(void *ctx));

/*
 * Reply with bytes that outlive the server (a file compiled into the binary): they are
 * sent as they are, never copied or freed. len 0 sends no body (a 304).
 */
void http_reply_static(http_request *req, unsigned status, const char *content_type,
                       const void *data, size_t len);
/* Add a header to the reply, whichever reply it is (name and value are copied). */
void http_add_header(http_request *req, const char *name, const char *value);

/* Park the request until http_resume_json; the connection stays open meanwhile. */
void http_suspend(http_request *req);
/* Reply to a suspended request; callable from any thread, once. */
void http_resume_json(http_request *req, unsigned status, json_t *body);

/* The SendGrid error body, for handlers that need to build one without replying. */
json_t *http_error_body(const char *field, const char *message);

#endif
