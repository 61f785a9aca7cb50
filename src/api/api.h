/*
 * api: the handlers of the SendGrid endpoints, one file per resource, and the helpers
 * they share. A handler file is named by its route's literal path segments below
 * /v3/marketing/, at most two, joined by '_' (DESIGN.md, "api/ file names"). A handler
 * decodes and validates its input with core/, reads through store/ or submits a job
 * through jobs/, and answers in SendGrid's shapes.
 *
 * Route table: api_routes[] (routes.c) is the one list of endpoints.
 */
#ifndef CONTACTD_API_API_H
#define CONTACTD_API_API_H

#include <jansson.h>
#include <stddef.h>

#include "core/contact.h"
#include "core/membudget.h"
#include "core/json_writer.h"
#include "core/csv.h"
#include "http/faults.h"
#include "http/journal.h"
#include "http/request.h"
#include "jobs/jobs.h"
#include "store/store.h"

/* The application context every handler reaches through http_app(req). */
typedef struct api_ctx {
    store *store;
    jobs *jobs;
    int64_t export_ttl_ms;     /* how long export files stay downloadable */
    unsigned search_timeout_s; /* an SGQL search's deadline, from its arrival */
    int64_t max_exports;       /* per account, not expired (0: no limit) */
    int64_t max_export_bytes;  /* per account, kept by exports not expired (0: no limit) */
    membudget *downloads;      /* memory of export downloads in progress; NULL: unbounded */
    const char *metrics_token; /* GET /metrics needs "Bearer <it>"; NULL: open */
    http_faults *faults;       /* this node's injected faults (admin API) */
    http_journal *journal;     /* this node's recent requests (admin API) */
} api_ctx;

/* The largest import file, compressed or not (and once decompressed). */
#define IMPORT_MAX_UPLOAD (128u * 1024u * 1024u)

extern const http_route api_routes[];
extern const size_t api_route_count;

/* ---- shared helpers -------------------------------------------------------------- */

/* Parse the body as a JSON object. On failure replies 400 and returns NULL. */
json_t *api_body_object(http_request *req);
/* The 400 of a body that is not a JSON object: parsed says whether it was JSON at all. */
void api_reply_body_status(http_request *req, bool parsed);
/* The same, with errs made ready (in the request's arena) for the body's checks: the
 * start of every handler that validates a JSON body. */
json_t *api_body_begin(http_request *req, errlist *errs);
/* Add an "unknown field" error for every key of root not in allowed (NULL-terminated).
 * Only for contactd's own admin API, where a mistyped setting must not pass silently;
 * SendGrid's endpoints ignore unknown keys as the live service does (README). */
void api_reject_unknown_keys(const json_t *root, const char *const *allowed, errlist *errs);
/* The same for a body whose every property is optional: no body, an empty one or JSON
 * null read as {}. Unknown keys of any body are ignored, as SendGrid does (README). */
json_t *api_body_object_optional(http_request *req);
/* A boolean query parameter: true/false in any case (Python's client sends True) or 1/0;
 * absent is dflt. 0, or -1 after replying 400 naming the parameter. */
int api_query_bool(http_request *req, const char *name, bool dflt, bool *out);

/* Check and normalise one string of an array; 0, or -1 with *why ("is not valid"). */
typedef int (*api_item_fn)(void *ctx, const char *s, size_t len, arena *a, const char **out,
                           const char **why);
/*
 * root[key] as 1 to max strings, each passed through check (NULL: taken as is). Shape
 * errors name `key`, item errors `key[i]` ("<label> '<value>' <why>"). Returns the
 * strings (in arena a) with *n, or NULL when errors were added.
 */
const char **api_string_array(const json_t *root, const char *key, size_t max, const char *label,
                              api_item_fn check, void *ctx, arena *a, errlist *errs, size_t *n);

/* root[key] when it is present and not empty (api_string_array's checks, no item check);
 * NULL with *n = 0 when it is absent or [] (the same as none). */
const char **api_optional_strings(const json_t *root, const char *key, size_t max,
                                  const char *label, arena *a, errlist *errs, size_t *n);
/* The longest name of a list or a segment, in characters. */
#define API_NAME_MAX 100
/* Why a JSON value is not the name of a list or a segment (a string, not blank, at most
 * API_NAME_MAX characters), or NULL: the rule of their POST and PATCH, and of the admin
 * API's account state. */
const char *api_name_problem(const json_t *name);
/* "a,b,c", in a: for error messages. */
char *api_join(arena *a, const char *const *names, size_t n);
/* The ids among ids that name no list of the request's account (in the request arena).
 * STORE_OK, or STORE_ERROR when the store cannot be read. */
int api_missing_lists(http_request *req, const char *const *ids, size_t n, const char ***missing,
                      size_t *nmissing);
/* An ISO 8601 UTC time as SendGrid shows it, or null for 0 (not yet). */
json_t *api_time_json(int64_t ms);
/* The same, written to w. */
void api_write_time(json_writer *w, int64_t ms);
/* The printf-formatted text written to w as a JSON string; false, nothing written, when it
 * is not well-formed UTF-8 (where json_sprintf returns NULL). The text goes through the
 * request's arena. */
bool api_write_printf(http_request *req, json_writer *w, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Look a contact up by one searched value (store_contact_find_email, ...). */
typedef int (*api_find_fn)(void *ctx, store *s, int64_t account, const char *value, arena *a,
                           contact *out);
/*
 * Answer a search by values in SendGrid's shape: 200 {"result": {value: {"contact": ...} |
 * {"error": "contact not found"}}} when any value matches, else 404 naming field. The
 * answer is streamed a contact at a time (api_reply_contacts).
 */
void api_reply_search(http_request *req, const char *const *values, size_t n, const char *field,
                      api_find_fn find, void *ctx);

/*
 * A JSON answer whose size depends on stored data, streamed (stream.c): page(ctx, out)
 * appends the next part of the document's text to out and returns 1 while more follows,
 * 0 once out holds the end, -1 when the store fails (the connection is then closed, so a
 * client never takes a cut document for a whole one). page runs on a server thread after
 * the handler returned, one bounded store read per call; ctx must not live in the
 * request's arena. free_ctx (may be NULL) releases ctx once the answer is done.
 */
typedef int (*api_page_fn)(void *ctx, csv_buf *out);
void api_reply_pages(http_request *req, unsigned status, api_page_fn page, void *ctx,
                     void (*free_ctx)(void *ctx));
/* Append value's compact text to out, after a comma when comma; takes value. False (and
 * nothing written) when value is NULL or cannot be printed. */
bool api_page_json(csv_buf *out, json_t *value, bool comma);

/*
 * Contacts answered one per page (stream.c), so that an answer of 100 contacts of 2 MB
 * holds one of them at a time: the text head, then one entry per ref, then tail (both in
 * memory that outlives the answer: the request's arena does). An entry is the contact's
 * ContactDetails3 when ref->key is NULL (a contact gone since the lookup is left out),
 * else "key": {"contact": ...} or "key": {"error": "contact not found"}. The contact is
 * ref->row when the lookup kept it, else read again by ref->id (NULL: not found). When
 * every contact was kept, the answer is written whole (json_writer, no stream): the
 * common small answer costs no allocation. Status 200; a store failure midway through a
 * streamed answer closes the connection.
 */
typedef struct api_contact_ref {
    const char *key;
    const char *id;
    const contact *row;
} api_contact_ref;
void api_reply_contacts(http_request *req, const char *head, const api_contact_ref *refs, size_t n,
                        const char *tail);
/* A contact is read again for the answer unless the lookups kept less than this. */
#define API_KEEP_CONTACT_BYTES (1u << 20)
/* The entries of refs (as api_reply_contacts writes them, comma-separated) appended to w;
 * false when the store fails. */
bool api_write_contacts(http_request *req, const api_contact_ref *refs, size_t n, json_writer *w);

/*
 * Contact samples (sample.c): the fifty contacts GET /contacts, a list's contact_sample and
 * a segment's contacts_sample show, from the ids a store sample read gave. api_sample_refs
 * reads them by id into refs (in the request's arena), keeping each read contact while the
 * kept ones total under API_KEEP_CONTACT_BYTES, so a sample of 2 MB contacts holds one at a
 * time; *whole says every contact was kept. api_sample_frame gives the answer's text around
 * the array: before's fields (NULL: none), then "key": [, and after ] the fields of after
 * (NULL: none); takes both objects, the texts in the request's arena. api_reply_sample does
 * both and answers 200 (api_reply_contacts), or 503 when the store fails.
 */
int api_sample_refs(http_request *req, const char *const *ids, size_t n, api_contact_ref **refs,
                    bool *whole);
void api_sample_frame(http_request *req, json_t *before, const char *key, json_t *after,
                      const char **head, const char **tail);
void api_reply_sample(http_request *req, json_t *before, const char *key, const char *const *ids,
                      size_t n, json_t *after);

/* True when a URL's token (NULL when absent) is the stored secret, compared in constant
 * time: the check behind every URL that needs no API key. */
bool api_token_equal(const char *given, const char *secret);

/* Reply 503 for a store failure (the only 5xx a client can see); api_resume_store_error
 * is the same answer for a suspended request (from a jobs_op_done_fn). */
void api_reply_store_error(http_request *req);
void api_resume_store_error(http_request *req);

/* The rc of the store read `get` when id is a UUID; STORE_NOT_FOUND without a read when it
 * is not: such an id names nothing (and PostgreSQL's uuid columns would refuse it). */
#define API_GET_IF_UUID(id, get) (uuid_valid(id) ? (get) : STORE_NOT_FOUND)
/* Answer a read that found nothing or failed: 404 {field, "<what> not found"} for
 * STORE_NOT_FOUND, 503 for any other error, and return false; true (no reply) for
 * STORE_OK. */
bool api_found(http_request *req, int rc, const char *field, const char *what);
/* True after answering 429 (SendGrid's body and rate-limit headers) when the job backlog
 * is past --max-backlog (jobs_backlog_full): the first check of every handler that
 * submits a job, before it decodes anything. */
bool api_backlog_full(http_request *req);
/* Submit a job and suspend the request; the 202 {"job_id"} follows the commit.
 * Takes ownership of sub's payload and decoded. */
void api_submit_job(http_request *req, const job_submit *sub);

/* The same with another 202 body: accept(req, job_id) builds it (on the writer thread;
 * http_base_url is safe to call there, other request accessors are not). */
typedef json_t *(*api_accept_fn)(http_request *req, const char *job_id);
void api_submit_job_with(http_request *req, const job_submit *sub, api_accept_fn accept);

/* Submit a synchronous write (jobs_submit_op) and suspend the request; done must resume
 * it. On a stopping queue the request is answered 503, done is not called, and -1 tells
 * the caller to free what it gave arg (the request may be gone: arg must not live in its
 * arena then). */
int api_submit_op(http_request *req, jobs_op_fn fn, void *arg, jobs_op_done_fn done);
/* Parse a comma-separated list of UUIDs from query parameter name (duplicates dropped).
 * On failure replies 400 and returns -1. */
int api_parse_id_list(http_request *req, const char *name, const char *value, size_t max,
                      const char ***ids, size_t *count);

/*
 * ContactDetails3 for c with its _metadata (contact_render.c): list and segment ids are
 * read from the store when the row did not bring them; the account's field definitions
 * once per renderer (from the store's cache). contact_render_write appends the object to
 * w (core/json_writer: no tree, the hot answers' way) and returns false, w unchanged,
 * when the store cannot be read (reply api_reply_store_error then).
 */
typedef struct contact_renderer {
    http_request *req;
    field_catalog fields;
    bool fields_loaded;
} contact_renderer;
bool contact_render_write(contact_renderer *r, json_writer *w, const contact *c);

/* Reply 404 unless the path's list ({} capture 0) exists; fills *out (lists.c). */
bool api_list_load(http_request *req, list_info *out);
/* ---- the admin API's shared parts (admin.c) ----------------------------------------- */

/* The account called name: STORE_OK, or another code once the request is answered
 * (404 naming it, or 503). */
int api_admin_account(http_request *req, const char *name, store_account *out);

/* A write of the admin API, run as an op in the job writer's transaction (so it is
 * ordered exactly with the jobs around it). On STORE_OK the request is answered status
 * with reply (taken over; NULL: no body); STORE_NOT_FOUND gives 404, STORE_CONFLICT 409
 * with `conflict`, both naming field. Lives in the request's arena. */
typedef struct admin_write {
    http_request *req;
    unsigned status;
    json_t *reply;
    const char *field, *conflict;
    int64_t account, parent;
    const char *name, *key_id, *scopes;
    uint8_t hash[APIKEY_HASH_LEN];
    int64_t value;
} admin_write;
admin_write *api_admin_write_new(http_request *req, unsigned status, json_t *reply);
void api_admin_write(admin_write *w, jobs_op_fn fn);
/* ?limit= from 1 to max (fallback when absent): 0, or -1 once answered 400. */
int api_admin_limit(http_request *req, int64_t fallback, int64_t max, int64_t *out);
/* GET and PUT of the job delay of account (0: the global one); admin_settings.c. */
void api_admin_settings_get(http_request *req, int64_t account);
void api_admin_settings_put(http_request *req, int64_t account);

/* ---- handlers, by file (the route table: routes.c) --------------------------------- */

/* health.c */
void api_health(http_request *req);
void api_ready(http_request *req);
/* metrics.c */
void api_metrics(http_request *req);
/* contacts.c */
void api_contacts_upsert(http_request *req);
void api_contacts_sample(http_request *req);
void api_contacts_delete(http_request *req);
void api_contact_get(http_request *req);
/* contacts_count.c */
void api_contacts_count(http_request *req);
/* contacts_batch.c */
void api_contacts_batch(http_request *req);
/* contacts_search.c */
void api_search_emails(http_request *req);
void api_search_identifiers(http_request *req);
void api_search_sgql(http_request *req);
/* contacts_imports.c */
void api_import_create(http_request *req);
void api_import_upload(http_request *req);
void api_import_upload_admit(http_request *req);
void api_import_get(http_request *req);
void api_import_errors(http_request *req);
/* contacts_exports.c */
void api_export_create(http_request *req);
void api_exports_all(http_request *req);
void api_export_get(http_request *req);
void api_export_download(http_request *req);
/* contacts_identifiers.c */
void api_identifier_delete(http_request *req);
/* lists.c */
void api_lists_create(http_request *req);
void api_lists_all(http_request *req);
void api_list_get(http_request *req);
void api_list_update(http_request *req);
void api_list_delete(http_request *req);
/* lists_contacts.c */
void api_list_remove_contacts(http_request *req);
void api_list_contact_count(http_request *req);
/* field_definitions.c */
void api_fields_create(http_request *req);
void api_fields_all(http_request *req);
void api_field_update(http_request *req);
void api_field_delete(http_request *req);
/* admin_accounts.c, admin_reset.c, admin_settings.c, admin_faults.c, admin_requests.c */
void api_admin_accounts_all(http_request *req);
void api_admin_account_create(http_request *req);
void api_admin_account_delete(http_request *req);
void api_admin_account_reset(http_request *req);
void api_admin_key_create(http_request *req);
void api_admin_key_delete(http_request *req);
void api_admin_account_jobs(http_request *req);
void api_admin_account_settings_get(http_request *req);
void api_admin_account_settings_put(http_request *req);
void api_admin_account_state_get(http_request *req);
void api_admin_account_state_put(http_request *req);
void api_admin_reset(http_request *req);
void api_admin_settings_global_get(http_request *req);
void api_admin_settings_global_put(http_request *req);
void api_admin_faults_create(http_request *req);
void api_admin_faults_all(http_request *req);
void api_admin_faults_clear(http_request *req);
void api_admin_fault_delete(http_request *req);
void api_admin_requests(http_request *req);

/* segments.c, segments_refresh.c */
void api_segments_create(http_request *req);
void api_segments_all(http_request *req);
void api_segment_get(http_request *req);
void api_segment_update(http_request *req);
void api_segment_delete(http_request *req);
void api_segment_refresh(http_request *req);
/* Why a JSON value is not a query_dsl's text (a string of at most SEGMENT_QUERY_MAX bytes); whether
 * it compiles is segment_query_check's. */
const char *api_segment_query_problem(const json_t *query_dsl);

/* console.c */
void api_console_index(http_request *req);
void api_console_file(http_request *req);

#endif
