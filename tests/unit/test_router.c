/* Unit tests of http/router: route precedence, captures, 405 detection. */
#include <string.h>

#include "check.h"
#include "http/router.h"

/* Handlers are never called by the router; distinct functions let us tell routes apart. */
static void h_count(http_request *r)
{
    (void)r;
}
static void h_get(http_request *r)
{
    (void)r;
}
static void h_upsert(http_request *r)
{
    (void)r;
}
static void h_ids(http_request *r)
{
    (void)r;
}
static void h_two(http_request *r)
{
    (void)r;
}

static const http_route routes[] = {
    {"GET", "/v3/marketing/contacts/count", h_count, 0, 0, NULL},
    {"GET", "/v3/marketing/contacts/{}", h_get, 0, 0, NULL},
    {"PUT", "/v3/marketing/contacts", h_upsert, 1024, ROUTE_WRITE, NULL},
    {"DELETE", "/v3/marketing/contacts/{}/identifiers", h_ids, 0, ROUTE_WRITE, NULL},
    {"GET", "/a/{}/b/{}", h_two, 0, 0, NULL},
};
#define NROUTES (sizeof routes / sizeof routes[0])

static void match(const char *method, const char *path, route_match *m)
{
    /* Poison the struct first: router_match must set every field it reports. */
    memset(m, 0xA5, sizeof *m);
    router_match(routes, NROUTES, method, path, m);
}

static bool param_is(const route_match *m, unsigned i, const char *expected)
{
    return i < m->nparams && m->param_len[i] == strlen(expected) &&
           memcmp(m->param[i], expected, m->param_len[i]) == 0;
}

static void test_literal_before_capture(void)
{
    route_match m;
    match("GET", "/v3/marketing/contacts/count", &m);
    CHECK(m.route == &routes[0]);
    CHECK_INT(m.nparams, 0);

    match("GET", "/v3/marketing/contacts/abc-123", &m);
    CHECK(m.route == &routes[1]);
    CHECK_INT(m.nparams, 1);
    CHECK(param_is(&m, 0, "abc-123"));

    /* a segment that only starts like the literal is a capture */
    match("GET", "/v3/marketing/contacts/counts", &m);
    CHECK(m.route == &routes[1]);
    CHECK(param_is(&m, 0, "counts"));
    match("GET", "/v3/marketing/contacts/coun", &m);
    CHECK(m.route == &routes[1]);
    CHECK(param_is(&m, 0, "coun"));
}

static void test_captures(void)
{
    route_match m;
    const char *path = "/v3/marketing/contacts/0d1e2f/identifiers";
    match("DELETE", path, &m);
    CHECK(m.route == &routes[3]);
    CHECK_INT(m.nparams, 1);
    CHECK(param_is(&m, 0, "0d1e2f"));
    /* captures point into the path given */
    CHECK(m.param[0] == path + strlen("/v3/marketing/contacts/"));
    CHECK_INT(m.param_len[0], 6);
    CHECK(!m.path_known);

    match("GET", "/a/first/b/x", &m);
    CHECK(m.route == &routes[4]);
    CHECK_INT(m.nparams, 2);
    CHECK(param_is(&m, 0, "first"));
    CHECK(param_is(&m, 1, "x"));
    CHECK_INT(m.param_len[0], 5);
    CHECK_INT(m.param_len[1], 1);

    /* percent-encoded text is captured as is (decoding is the server's job) */
    match("GET", "/v3/marketing/contacts/a%20b", &m);
    CHECK(m.route == &routes[1]);
    CHECK(param_is(&m, 0, "a%20b"));
}

static void test_trailing_slash(void)
{
    route_match m;
    match("PUT", "/v3/marketing/contacts/", &m);
    CHECK(m.route == &routes[2]);
    match("GET", "/v3/marketing/contacts/count/", &m);
    CHECK(m.route == &routes[0]);
    match("GET", "/v3/marketing/contacts/xyz/", &m);
    CHECK(m.route == &routes[1]);
    CHECK(param_is(&m, 0, "xyz"));
    /* only one trailing slash is ignored */
    match("PUT", "/v3/marketing/contacts//", &m);
    CHECK(m.route == NULL);
    CHECK(!m.path_known);
}

static void test_method_mismatch(void)
{
    route_match m;
    match("POST", "/v3/marketing/contacts", &m);
    CHECK(m.route == NULL);
    CHECK(m.path_known);
    CHECK_INT(m.nparams, 0);

    match("DELETE", "/v3/marketing/contacts/count", &m);
    CHECK(m.route == NULL);
    CHECK(m.path_known);

    match("PUT", "/v3/marketing/contacts/abc", &m);
    CHECK(m.route == NULL);
    CHECK(m.path_known);

    match("GET", "/v3/marketing/contacts/abc/identifiers", &m);
    CHECK(m.route == NULL);
    CHECK(m.path_known);

    /* methods are case-sensitive */
    match("get", "/v3/marketing/contacts/count", &m);
    CHECK(m.route == NULL);
    CHECK(m.path_known);
}

static void test_unknown_paths(void)
{
    static const char *const paths[] = {
        "/v3/marketing/lists",
        "/v3/marketing",
        "/",
        "",
        "v3/marketing/contacts",      /* no leading slash */
        "/v3/marketing/contacts/a/b", /* too many segments */
        "/v3/marketing/contacts/a/identifiers/x",
        "/a/x/b", /* too few segments */
        "/a/x",
        "/a//b/y", /* empty capture */
        "/a/x/b/", /* empty last capture */
        "/v3//marketing/contacts",
        "/V3/marketing/contacts", /* literals are case-sensitive */
        "/v3/marketing/contactsx",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        route_match m;
        static const char *const methods[] = {"GET", "PUT", "DELETE"};
        for (size_t k = 0; k < 3; k++) {
            match(methods[k], paths[i], &m);
            if (!CHECK(m.route == NULL && !m.path_known))
                fprintf(stderr, "    %s %s matched\n", methods[k], paths[i]);
        }
    }
    /* "//" where a capture should be is not captured */
    route_match m;
    match("GET", "/v3/marketing/contacts//", &m);
    CHECK(m.route == NULL);
    match("DELETE", "/v3/marketing/contacts//identifiers", &m);
    CHECK(m.route == NULL);
    CHECK(!m.path_known);
}

static void test_empty_table(void)
{
    route_match m;
    memset(&m, 0xA5, sizeof m);
    router_match(routes, 0, "GET", "/v3/marketing/contacts/count", &m);
    CHECK(m.route == NULL);
    CHECK(!m.path_known);
    CHECK_INT(m.nparams, 0);
}

int main(void)
{
    RUN(test_literal_before_capture);
    RUN(test_captures);
    RUN(test_trailing_slash);
    RUN(test_method_mismatch);
    RUN(test_unknown_paths);
    RUN(test_empty_table);
    return check_summary("test_router");
}
