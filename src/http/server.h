/*
 * server: the HTTP/1.1 front door (libmicrohttpd), its limits and its access log.
 *
 * The server owns the MHD daemon and every request's memory. It routes each request,
 * checks the API key, enforces the body cap of the route before reading the body, hands
 * the complete request to the route's handler (src/http/request.h) and logs one line per
 * request when the response is done (core/log.h): request id, method, path with query,
 * status, duration, account. Every request has an id (an incoming X-Request-Id when it
 * is sane, else a new UUID), sent back as X-Request-Id. Counters go to core/metrics.h.
 *
 * http/ never includes api/: main.c passes the route table and the application context.
 */
#ifndef CONTACTD_HTTP_SERVER_H
#define CONTACTD_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "http/faults.h"
#include "http/journal.h"
#include "http/request.h"
#include "store/store.h"

typedef struct http_config {
    const char *listen;       /* "127.0.0.1:3000", "[::1]:3000", "0.0.0.0:0" */
    unsigned threads;         /* request threads; 0: one per core */
    unsigned max_connections; /* open connections in all */
    unsigned max_per_ip;      /* open connections from one address */
    unsigned idle_timeout_s;  /* a connection silent this long is closed */
    /* A new connection silent this long before its first request's headers are in is
     * closed (bytes that never make a request line, e.g. a TLS ClientHello); 0, or more
     * than idle_timeout_s: idle_timeout_s. */
    unsigned header_timeout_s;
    size_t header_limit; /* bytes of request line + headers per connection */
    const http_route *routes;
    size_t nroutes;
    void *app;           /* handed to handlers through http_app() */
    store *store;        /* API keys are checked against it */
    bool access_log;     /* one line per request on stderr */
    unsigned rate_limit; /* requests per key per window; 0: no limit */
    unsigned rate_window_s;
    unsigned body_timeout_s;  /* a body still arriving after this long gets 408 */
    const char *public_url;   /* base of every URL handed out; NULL: from the request */
    bool trust_proxy;         /* honour X-Forwarded-Proto and X-Forwarded-Host */
    const char *tls_cert_pem; /* both set: serve HTTPS (PEM text, not file names) */
    const char *tls_key_pem;
    /* The admin API (routes flagged ROUTE_ADMIN under /_contactd/): NULL or "" turns it off,
     * and the whole prefix answers 404. Only its SHA-256 is kept. */
    const char *admin_token;
    /* Slow requests (ROUTE_SLOW, delayed by a fault) one account may have waiting besides
     * the one it runs; past it, 429. */
    unsigned slow_queue_depth;
    http_faults *faults;   /* injected faults checked on /v3/ requests; may be NULL */
    http_journal *journal; /* where finished requests are recorded; may be NULL */
} http_config;

typedef struct http_server http_server;

/* Start listening. On failure returns NULL with a reason in err. */
http_server *http_server_start(const http_config *cfg, char *err, size_t err_size);
/* True when this libmicrohttpd can serve HTTPS. */
bool http_tls_supported(void);
/* The port actually bound (useful with port 0). */
unsigned http_server_port(const http_server *srv);
/* Refuse new requests (503), let requests in flight finish (up to grace_ms), then close every
 * connection and free the server. Suspended requests must be resumed by then: the job
 * queue answers all of them before it stops. */
void http_server_stop(http_server *srv, unsigned grace_ms);

#endif
