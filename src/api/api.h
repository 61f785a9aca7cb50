/*
 * api: the handlers of the SendGrid endpoints, one file per resource, and the helpers
 * they share. A handler decodes and validates its input with core/, reads through
 * store/ or submits a job through jobs/, and answers in SendGrid's shapes.
 *
 * Route table: api_routes[] (routes.c) is the one list of endpoints.
 */
#ifndef CONTACTD_API_API_H
#define CONTACTD_API_API_H

#include <jansson.h>
#include <stddef.h>

#include "core/contact.h"
#include "http/request.h"
#include "jobs/jobs.h"
#include "store/store.h"

/* The application context every handler reaches through http_app(req). */
typedef struct api_ctx {
    store *store;
    jobs *jobs;
} api_ctx;

extern const http_route api_routes[];
extern const size_t api_route_count;

/* ---- shared helpers -------------------------------------------------------------- */

/* Parse the body as a JSON object. On failure replies 400 and returns NULL. */
json_t *api_body_object(http_request *req);
/* Reply 503 for a store failure (the only 5xx a client can see). */
void api_reply_store_error(http_request *req);
/* Submit a job and suspend the request; the 202 {"job_id"} follows the commit.
 * Takes ownership of sub's payload and decoded. */
void api_submit_job(http_request *req, const job_submit *sub);

/* ContactDetails3 for c; URLs are made from base_url. */
json_t *contact_to_json(const contact *c, const char *base_url);

/* ---- handlers -------------------------------------------------------------------- */

void api_health(http_request *req);
void api_contacts_upsert(http_request *req);
void api_contact_get(http_request *req);
void api_search_identifiers(http_request *req);
void api_identifier_delete(http_request *req);
void api_import_get(http_request *req);
void api_import_errors(http_request *req);

#endif
