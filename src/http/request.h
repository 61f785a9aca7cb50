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
    ROUTE_PUBLIC = 1,       /* no API key needed (health checks) */
    ROUTE_WRITE = 2,        /* changes data: needs a key with write scope */
};

typedef struct http_route {
    const char *method;
    const char *pattern;    /* "/v3/marketing/contacts/{}/identifiers": {} captures a segment */
    http_handler_fn handler;
    size_t max_body;        /* bytes; a larger body is answered 413 before it is read */
    unsigned flags;
} http_route;

#define HTTP_MAX_PARAMS 4

/* The i-th {} segment of the route's pattern, percent-decoded. */
const char *http_param(const http_request *req, unsigned i);
/* A query-string argument, or NULL. */
const char *http_query(http_request *req, const char *name);
/* The request body (NOT NUL-terminated; may be NULL when empty). */
const char *http_body(const http_request *req, size_t *len);
/* The account the API key belongs to (0 on public routes). */
int64_t http_account(const http_request *req);
/* "http://host:port" as the client addressed us, for URLs in responses. */
const char *http_base_url(http_request *req);
arena *http_arena(http_request *req);
/* The application context given to http_server_start. */
void *http_app(const http_request *req);

void http_reply_json(http_request *req, unsigned status, json_t *body);
/* {"errors":[{"field": field, "message": ...}]}; field may be NULL. */
void http_reply_error(http_request *req, unsigned status, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void http_reply_errlist(http_request *req, unsigned status, const errlist *errs);

/* Park the request until http_resume_json; the connection stays open meanwhile. */
void http_suspend(http_request *req);
/* Reply to a suspended request; callable from any thread, once. */
void http_resume_json(http_request *req, unsigned status, json_t *body);

/* The SendGrid error body, for handlers that need to build one without replying. */
json_t *http_error_body(const char *field, const char *message);

#endif
