/* body: request decoding and the replies every handler shares (see api.h). */
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "core/contact_decode.h"
#include "core/metrics.h"
#include "core/timeutil.h"
#include "core/utf8.h"

void api_reply_body_status(http_request *req, bool parsed)
{
    if (parsed)
        http_reply_error(req, 400, NULL, "the request body must be a JSON object");
    else
        http_reply_error(req, 400, NULL, "invalid JSON");
}

json_t *api_body_object(http_request *req)
{
    size_t len;
    const char *body = http_body(req, &len);
    json_error_t jerr;
    json_t *root = body ? json_loadb(body, len, CONTACTD_JSON_FLAGS, &jerr) : NULL;
    if (!root || !json_is_object(root)) {
        api_reply_body_status(req, root != NULL);
        json_decref(root);
        return NULL;
    }
    return root;
}

json_t *api_body_begin(http_request *req, errlist *errs)
{
    errlist_init(errs, http_arena(req));
    return api_body_object(req);
}

json_t *api_body_object_optional(http_request *req)
{
    size_t len;
    const char *body = http_body(req, &len);
    size_t lo = 0, hi = body ? len : 0; /* the body without surrounding white space */
    while (lo < hi && strchr(" \t\r\n", body[lo]))
        lo++;
    while (hi > lo && strchr(" \t\r\n", body[hi - 1]))
        hi--;
    /* every property optional: no body, an empty one or JSON null mean {} */
    if (hi == lo || (hi - lo == 4 && memcmp(body + lo, "null", 4) == 0))
        return json_object();
    return api_body_object(req);
}

int api_query_bool(http_request *req, const char *name, bool dflt, bool *out)
{
    const char *v = http_query(req, name);
    *out = dflt;
    if (!v)
        return 0;
    if (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0) {
        *out = true;
        return 0;
    }
    if (strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0) {
        *out = false;
        return 0;
    }
    http_reply_error(req, 400, name, "%s must be true or false", name);
    return -1;
}

/* "key[i]", the field an element's error names: formatted only for an error, since
 * every search request passes its values through here. */
static const char *element_field(char field[64], const char *key, size_t i)
{
    snprintf(field, 64, "%.40s[%zu]", key, i);
    return field;
}

const char **api_string_array(const json_t *root, const char *key, size_t max, const char *label,
                              api_item_fn check, void *ctx, arena *a, errlist *errs, size_t *n)
{
    const json_t *arr = json_object_get(root, key);
    size_t count = json_array_size(arr);
    size_t before = errs->count;
    if (!json_is_array(arr))
        errlist_add(errs, key, "%s must be an array of strings", key);
    else if (count == 0)
        errlist_add(errs, key, "%s must contain at least one value", key);
    else if (count > max)
        errlist_add(errs, key, "at most %zu %s can be given at once, got %zu", max, key, count);
    if (errs->count > before)
        return NULL;
    const char **out = arena_calloc(a, count, sizeof *out);
    for (size_t i = 0; i < count; i++) {
        const json_t *e = json_array_get(arr, i);
        char field[64];
        const char *why;
        if (!json_is_string(e))
            errlist_add(errs, element_field(field, key, i), "%s must be strings", key);
        else if (!check)
            out[i] = arena_strndup(a, json_string_value(e), json_string_length(e));
        else if (check(ctx, json_string_value(e), json_string_length(e), a, &out[i], &why) != 0)
            errlist_add(errs, element_field(field, key, i), "%s '%.100s' %s", label,
                        json_string_value(e), why);
    }
    if (errs->count > before)
        return NULL;
    *n = count;
    return out;
}

const char **api_optional_strings(const json_t *root, const char *key, size_t max,
                                  const char *label, arena *a, errlist *errs, size_t *n)
{
    const json_t *arr = json_object_get(root, key);
    *n = 0;
    if (!arr || (json_is_array(arr) && json_array_size(arr) == 0))
        return NULL;
    return api_string_array(root, key, max, label, NULL, NULL, a, errs, n);
}

#define STR_(x) #x
#define STR(x) STR_(x)
_Static_assert(SEGMENT_NAME_MAX == API_NAME_MAX, "segments and lists share one name rule");

const char *api_name_problem(const json_t *name)
{
    if (!json_is_string(name))
        return "name must be a string";
    if (strspn(json_string_value(name), " \t\r\n") == json_string_length(name))
        return "name must not be empty or blank";
    if (utf8_length(json_string_value(name), json_string_length(name)) > API_NAME_MAX)
        return "name is longer than " STR(API_NAME_MAX) " characters";
    return NULL;
}

char *api_join(arena *a, const char *const *names, size_t n)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(names[i]) + 1;
    char *out = arena_alloc(a, len);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(out, ",");
        strcat(out, names[i]);
    }
    return out;
}

int api_missing_lists(http_request *req, const char *const *ids, size_t n, const char ***missing,
                      size_t *nmissing)
{
    api_ctx *app = http_app(req);
    arena *a = http_arena(req);
    const char **out = arena_calloc(a, n ? n : 1, sizeof *out);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        list_info l;
        int rc =
            API_GET_IF_UUID(ids[i], store_list_get(app->store, http_account(req), ids[i], a, &l));
        if (rc == STORE_NOT_FOUND)
            out[m++] = ids[i];
        else if (rc != STORE_OK)
            return rc;
    }
    *missing = out;
    *nmissing = m;
    return STORE_OK;
}

json_t *api_time_json(int64_t ms)
{
    if (!ms)
        return json_null();
    char ts[ISO8601_LEN + 1];
    time_iso8601(ms, ts);
    return json_string(ts);
}

/* True when values[i] came before it (a value searched twice is answered once). */
static bool searched_before(const char *const *values, size_t i)
{
    for (size_t k = 0; k < i; k++)
        if (strcmp(values[k], values[i]) == 0)
            return true;
    return false;
}

void api_write_time(json_writer *w, int64_t ms)
{
    if (!ms) {
        json_writer_cstr_raw(w, "null");
        return;
    }
    char ts[ISO8601_LEN + 1];
    time_iso8601(ms, ts);
    json_writer_cstr(w, ts);
}

bool api_write_printf(http_request *req, json_writer *w, const char *fmt, ...)
{
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    char local[512];
    int n = vsnprintf(local, sizeof local, fmt, ap);
    va_end(ap);
    char *text = local;
    if (n >= (int)sizeof local) {
        text = arena_alloc(http_arena(req), (size_t)n + 1);
        vsnprintf(text, (size_t)n + 1, fmt, again);
    }
    va_end(again);
    return n >= 0 && json_writer_string(w, text, (size_t)n);
}

void api_reply_search(http_request *req, const char *const *values, size_t n, const char *field,
                      api_find_fn find, void *ctx)
{
    api_ctx *app = http_app(req);
    arena *a = http_arena(req);
    api_contact_ref *refs = arena_calloc(a, n ? n : 1, sizeof *refs);
    size_t nrefs = 0, found = 0;
    /* The lookups keep what they found (in the request's arena, which outlives the
     * answer) until the kept contacts pass API_KEEP_CONTACT_BYTES; the rest are read again
     * one at a time as they are sent. */
    size_t base = a->total;
    for (size_t i = 0; i < n; i++) {
        if (searched_before(values, i)) /* answered once */
            continue;
        api_contact_ref *ref = &refs[nrefs++];
        ref->key = values[i];
        arena scratch = ARENA_INIT;
        bool keeping = a->total - base < API_KEEP_CONTACT_BYTES;
        arena *into = keeping ? a : &scratch;
        contact *c = arena_alloc(into, sizeof *c);
        int rc = find(ctx, app->store, http_account(req), values[i], into, c);
        if (rc == STORE_OK) {
            ref->id = arena_strdup(a, c->id);
            ref->row = keeping ? c : NULL;
            found++;
        }
        arena_release(&scratch);
        if (rc != STORE_OK && rc != STORE_NOT_FOUND) {
            api_reply_store_error(req);
            return;
        }
    }
    if (found == 0) {
        http_reply_error(req, 404, field, "no contact matches the given %s", field);
        return;
    }
    api_reply_contacts(req, "{\"result\":{", refs, nrefs, "}}");
}

#define STORE_UNAVAILABLE "the database is unavailable; try again"

bool api_token_equal(const char *given, const char *secret)
{
    size_t n = strlen(secret);
    return given && n && strlen(given) == n && CRYPTO_memcmp(given, secret, n) == 0;
}

void api_reply_store_error(http_request *req)
{
    http_reply_error(req, 503, NULL, STORE_UNAVAILABLE);
}

void api_resume_store_error(http_request *req)
{
    http_resume_json(req, 503, http_error_body(NULL, STORE_UNAVAILABLE));
}

bool api_found(http_request *req, int rc, const char *field, const char *what)
{
    if (rc == STORE_OK)
        return true;
    if (rc == STORE_NOT_FOUND)
        http_reply_error(req, 404, field, "%s not found", what);
    else
        api_reply_store_error(req);
    return false;
}

/* api_submit_job_with: the request and how to word its 202. */
typedef struct accept_ctx {
    http_request *req;
    api_accept_fn accept;
} accept_ctx;

static void job_accepted(void *ctx, int rc, const char *job_id)
{
    accept_ctx *c = ctx;
    if (rc == 0)
        http_resume_json(c->req, 202, c->accept(c->req, job_id));
    else
        http_resume_json(c->req, 503,
                         http_error_body(NULL, "the job could not be stored; try again"));
}

bool api_backlog_full(http_request *req)
{
    api_ctx *app = http_app(req);
    if (!jobs_backlog_full(app->jobs))
        return false;
    metrics_backlog_refused();
    http_reply_too_many(req, 0, 0, NULL, "too many requests");
    return true;
}

void api_submit_job_with(http_request *req, const job_submit *sub, api_accept_fn accept)
{
    api_ctx *app = http_app(req);
    accept_ctx *c = arena_alloc(http_arena(req), sizeof *c);
    c->req = req;
    c->accept = accept;
    http_base_url(req); /* cached now: accept runs where the connection is suspended */
    /* Suspend first: the writer may resume the request before jobs_submit returns. */
    http_suspend(req);
    if (jobs_submit(app->jobs, sub, job_accepted, c) != 0)
        http_resume_json(req, 503, http_error_body(NULL, "the server is shutting down; try again"));
}

/* SendGrid's usual 202 body. */
static json_t *job_id_body(http_request *req, const char *job_id)
{
    (void)req;
    return json_pack("{s:s}", "job_id", job_id);
}

void api_submit_job(http_request *req, const job_submit *sub)
{
    api_submit_job_with(req, sub, job_id_body);
}

int api_submit_op(http_request *req, jobs_op_fn fn, void *arg, jobs_op_done_fn done)
{
    api_ctx *app = http_app(req);
    http_suspend(req);
    if (jobs_submit_op(app->jobs, fn, arg, done, arg) == 0)
        return 0;
    http_resume_json(req, 503, http_error_body(NULL, "the server is shutting down; try again"));
    return -1;
}

int api_parse_id_list(http_request *req, const char *name, const char *value, size_t max,
                      const char ***ids, size_t *count)
{
    arena *a = http_arena(req);
    size_t cap = 1;
    for (const char *p = value; *p; p++)
        if (*p == ',')
            cap++;
    if (cap > max) {
        http_reply_error(req, 400, name, "at most %zu ids can be given, got %zu", max, cap);
        return -1;
    }
    const char **out = arena_calloc(a, cap, sizeof *out);
    size_t n = 0;
    const char *p = value;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len && *p == ' ') {
            p++;
            len--;
        }
        while (len && p[len - 1] == ' ')
            len--;
        char *id = arena_strndup(a, p, len);
        if (!uuid_valid(id)) {
            http_reply_error(req, 400, name, "'%.60s' is not a valid id", id);
            return -1;
        }
        bool dup = false;
        for (size_t i = 0; i < n; i++)
            if (strcasecmp(out[i], id) == 0)
                dup = true;
        if (!dup)
            out[n++] = id;
        if (!end)
            break;
        p = end + 1;
    }
    *ids = out;
    *count = n;
    return 0;
}

void api_reject_unknown_keys(const json_t *root, const char *const *allowed, errlist *errs)
{
    const char *key;
    json_t *v;
    json_object_foreach ((json_t *)root, key, v) {
        bool known = false;
        for (const char *const *k = allowed; *k && !known; k++)
            known = strcmp(*k, key) == 0;
        if (!known)
            errlist_add(errs, key, "unknown field '%.60s'", key);
    }
}
