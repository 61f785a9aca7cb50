/*
 * contacts_search: the three ways to find contacts.
 *
 *   POST /v3/marketing/contacts/search/emails              up to 100 addresses
 *   POST /v3/marketing/contacts/search/identifiers/{type}  up to 100 values of one type
 *   POST /v3/marketing/contacts/search                     an SGQL query
 *
 * By values: 200 with a result per searched value when any matches, 404 when none does,
 * 400 when the type or any value is invalid. Emails match case-insensitively against
 * primary and alternate emails; they are normalised before the search, and the result is
 * keyed by the normalised address. Empty emails are skipped ("excluded from the search",
 * as SendGrid's document says). Errors of search/identifiers also carry the document's
 * flat ContactsError fields (http_errors_flat).
 *
 * By SGQL {"query": "<SGQL>"}: the query is compiled once against the account's custom
 * fields (core/sgql.h: a syntax error or an unknown field is a 400 naming the position or
 * the field), then every contact of the account is read in creation order, a page at a
 * time, and matched (list ids are read only when the query uses them). The answer holds
 * the first SEARCH_MAX_RESULTS matches in that order and contact_count, the number of all
 * matches. A search not done --search-timeout seconds (20 by default, as SendGrid's) after
 * it arrived answers 408; one whose time ran out while it waited for the slow pool
 * answers so without running. The route runs on the server's pool for slow routes
 * (ROUTE_SLOW, scheduled per account), so a long scan never stalls other requests.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/sgql.h"
#include "core/timeutil.h"

/* ---- by email --------------------------------------------------------------------- */

#define SEARCH_MAX_EMAILS 100

static int normalize_email(void *ctx, const char *s, size_t len, arena *a, const char **out,
                           const char **why)
{
    (void)ctx;
    if (len == 0) {
        *out = NULL; /* skipped */
        return 0;
    }
    if (identifier_normalize(ID_EMAIL, s, len, a, out, why) != 0) {
        *why = "is not valid";
        return -1;
    }
    return 0;
}

static int find_email(void *ctx, store *s, int64_t account, const char *value, arena *a,
                      contact *out)
{
    (void)ctx;
    return store_contact_find_email(s, account, value, a, out);
}

/* Search by the strings of the body's key, each checked by check (one it turns into NULL
 * is skipped) and looked up by find; ctx goes to both. */
static void search_values(http_request *req, const char *key, size_t max, const char *label,
                          api_item_fn check, api_find_fn find, void *ctx)
{
    errlist errs;
    json_t *root = api_body_begin(req, &errs);
    if (!root)
        return;
    size_t n = 0;
    const char **values =
        api_string_array(root, key, max, label, check, ctx, http_arena(req), &errs, &n);
    json_decref(root);
    if (!values) {
        http_reply_errlist(req, 400, &errs);
        return;
    }
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (values[i])
            values[kept++] = values[i];
    api_reply_search(req, values, kept, key, find, ctx);
}

void api_search_emails(http_request *req)
{
    search_values(req, "emails", SEARCH_MAX_EMAILS, "email", normalize_email, find_email, NULL);
}

/* ---- by identifier ---------------------------------------------------------------- */

#define SEARCH_MAX_IDENTIFIERS 100

static int normalize_identifier(void *ctx, const char *s, size_t len, arena *a, const char **out,
                                const char **why)
{
    return identifier_normalize(*(id_type *)ctx, s, len, a, out, why);
}

static int find_identifier(void *ctx, store *s, int64_t account, const char *value, arena *a,
                           contact *out)
{
    return store_contact_find(s, account, *(id_type *)ctx, value, a, out);
}

void api_search_identifiers(http_request *req)
{
    http_errors_flat(req); /* the document's ContactsError is flat */
    id_type type;
    if (id_type_from_field(http_param(req, 0), &type) != 0) {
        http_reply_error(req, 400, "identifier_type",
                         "identifier_type must be one of email, phone_number_id, external_id, "
                         "anonymous_id");
        return;
    }
    search_values(req, "identifiers", SEARCH_MAX_IDENTIFIERS, id_type_field(type),
                  normalize_identifier, find_identifier, &type);
}

/* ---- by SGQL ---------------------------------------------------------------------- */

#define SEARCH_MAX_RESULTS 50
#define SEARCH_PAGE 1000

/* SendGrid's answer to a search that ran out of time. */
static void reply_timeout(http_request *req, const api_ctx *app)
{
    http_reply_error(req, 408, NULL, "the search took longer than %u second%s; narrow the query",
                     app->search_timeout_s, app->search_timeout_s == 1 ? "" : "s");
}

/* Whether the search's deadline (from its arrival: waiting for a worker counts) passed. */
static bool past_deadline(http_request *req, const api_ctx *app)
{
    return time_mono_ms() - http_arrived_ms(req) > app->search_timeout_s * 1000.0;
}

void api_search_sgql(http_request *req)
{
    api_ctx *app = http_app(req);
    if (past_deadline(req, app)) {
        reply_timeout(req, app); /* timed out waiting its account's turn: never runs */
        return;
    }
    errlist errs;
    json_t *root = api_body_begin(req, &errs);
    if (!root)
        return;
    arena *a = http_arena(req);
    int64_t account = http_account(req);
    json_t *jq = json_object_get(root, "query");
    if (!jq)
        errlist_add(&errs, "query", "query is required");
    else if (!json_is_string(jq))
        errlist_add(&errs, "query", "query must be a string");
    else if (json_string_length(jq) > SGQL_MAX_QUERY)
        errlist_add(&errs, "query", "query is longer than %u bytes", SGQL_MAX_QUERY);
    const char *text = errs.count ? NULL : arena_strdup(a, json_string_value(jq));
    json_decref(root);
    if (errs.count) {
        http_reply_errlist(req, 400, &errs);
        return;
    }
    contact_renderer r = {.req = req};
    if (store_fields_list(app->store, account, a, &r.fields) != STORE_OK) {
        api_reply_store_error(req);
        return;
    }
    r.fields_loaded = true;
    char why[256];
    sgql_query *q = sgql_compile(text, &r.fields, time_now_ms(), why, sizeof why);
    if (!q) {
        http_reply_error(req, 400, "query", "%s", why);
        return;
    }

    json_t *result = json_array();
    int64_t count = 0;
    scan_cursor after, *at = NULL;
    bool lists = sgql_uses_lists(q);
    arena page = ARENA_INIT;
    int rc = STORE_OK;
    for (;;) {
        contact *rows;
        size_t n;
        rc = store_contact_scan(app->store, account, at, SEARCH_PAGE, lists, &page, &rows, &n);
        if (rc != STORE_OK)
            break;
        for (size_t i = 0; i < n; i++) {
            /* Checked often: a hostile query (many LIKEs on long values) can cost
             * milliseconds a contact. */
            if (i % 16 == 15 && past_deadline(req, app)) {
                rc = STORE_DEADLINE;
                break;
            }
            if (!sgql_match(q, &rows[i]))
                continue;
            if (++count <= SEARCH_MAX_RESULTS) {
                json_t *o = contact_render(&r, &rows[i]);
                if (!o) {
                    rc = STORE_ERROR;
                    break;
                }
                json_array_append_new(result, o);
            }
        }
        if (rc != STORE_OK || n < (size_t)SEARCH_PAGE)
            break;
        scan_cursor_of(&rows[n - 1], &after);
        at = &after;
        arena_release(&page);
        if (past_deadline(req, app)) {
            rc = STORE_DEADLINE;
            break;
        }
    }
    arena_release(&page);
    sgql_free(q);
    if (rc != STORE_OK) {
        json_decref(result);
        if (rc == STORE_DEADLINE)
            reply_timeout(req, app);
        else
            api_reply_store_error(req);
        return;
    }
    json_t *meta = json_pack("{s:o}", "self",
                             json_sprintf("%s/v3/marketing/contacts/search", http_base_url(req)));
    http_reply_json(req, 200,
                    json_pack("{s:o, s:I, s:o}", "result", result, "contact_count",
                              (json_int_t)count, "_metadata", meta));
}
