/*
 * console: GET /console/... serves the web console, static files compiled into the binary
 * (api/console_files.h). Public: the page asks for an API key itself and talks to the /v3/
 * API (and the admin API) like any client, so these routes hand out nothing but the files.
 *
 * Every answer carries a Content-Security-Policy that allows only the console's own files
 * (no inline script or style, no eval, no other origin), X-Frame-Options: DENY and
 * nosniff. Files are revalidated on each load (no-cache) against their ETag, so a new
 * binary is picked up at once and an unchanged file costs a 304.
 */
#include <string.h>

#include "api/api.h"
#include "api/console_files.h"

#define CONSOLE_CSP                                                                   \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " \
    "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

static void security_headers(http_request *req)
{
    http_add_header(req, "Content-Security-Policy", CONSOLE_CSP);
    http_add_header(req, "X-Frame-Options", "DENY");
    http_add_header(req, "X-Content-Type-Options", "nosniff");
    http_add_header(req, "Referrer-Policy", "no-referrer");
}

static const console_file *find_file(const char *name)
{
    for (size_t i = 0; i < console_file_count; i++)
        if (strcmp(console_files[i].name, name) == 0)
            return &console_files[i];
    return NULL;
}

static void serve(http_request *req, const char *name)
{
    const console_file *f = find_file(name);
    security_headers(req);
    if (!f) {
        http_reply_error(req, 404, NULL, "not found");
        return;
    }
    http_add_header(req, "ETag", f->etag);
    http_add_header(req, "Cache-Control", "no-cache");
    const char *match = http_header(req, "If-None-Match");
    if (match && strstr(match, f->etag))
        http_reply_static(req, 304, NULL, NULL, 0);
    else
        http_reply_static(req, 200, f->content_type, f->data, f->size);
}

/* /console redirects to /console/ (relative URLs in the page resolve below it);
 * /console/ is the page itself. */
void api_console_index(http_request *req)
{
    if (strcmp(http_path(req), "/console") == 0) {
        security_headers(req);
        http_add_header(req, "Location", "/console/");
        http_reply_static(req, 301, NULL, NULL, 0);
        return;
    }
    serve(req, "index.html");
}

void api_console_file(http_request *req)
{
    serve(req, http_param(req, 0));
}
