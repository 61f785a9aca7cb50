/*
 * fuzz_http: the whole request path — MHD parsing, routing, auth, every endpoint's body
 * and query decoding, the handlers and the job writer — of a real contactd started once
 * in this process (SQLite on a temp directory, ideally tmpfs: set TMPDIR=/dev/shm).
 *
 * Input: byte 0 picks an endpoint (and a query string variant); the rest is the body,
 * sent with a correct Content-Length and a valid key. With the top bit of byte 0 set, the
 * rest is sent raw as the whole request instead, to fuzz HTTP parsing itself.
 *
 * Oracle: a well-formed request must never get a 5xx, and every 4xx body must be
 * SendGrid-shaped JSON ({"errors":[{"message":...}]}). The server must keep answering:
 * every 64 inputs a health check must succeed. Raw requests are sent and dropped; a
 * crash they cause shows in this process (the server runs here, under ASan).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "api/api.h"
#include "core/apikey.h"
#include "http/server.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define KEY "SG.fuzz.fuzzsecret"
#define CONTACT "11111111-1111-4111-8111-111111111111"
#define LIST "22222222-2222-4222-8222-222222222222"

static unsigned port;
static unsigned long inputs;
/* The upload URL of an import reserved at start (path and token); its first valid file
 * is taken, the rest are refused. */
static char upload_path[256] = "/v3/marketing/contacts/imports/" CONTACT "/upload?token=x";

static const struct {
    const char *method, *path;
} endpoints[] = {
    {"PUT", "/v3/marketing/contacts"},
    {"POST", "/v3/marketing/contacts/search/identifiers/email"},
    {"POST", "/v3/marketing/contacts/search/identifiers/phone_number_id"},
    {"POST", "/v3/marketing/contacts/search/identifiers/external_id"},
    {"POST", "/v3/marketing/contacts/search/emails"},
    {"POST", "/v3/marketing/contacts/batch"},
    {"DELETE", "/v3/marketing/contacts/" CONTACT "/identifiers"},
    {"DELETE", "/v3/marketing/contacts?ids=" CONTACT},
    {"DELETE", "/v3/marketing/contacts?delete_all_contacts=true"},
    {"GET", "/v3/marketing/contacts/" CONTACT},
    {"GET", "/v3/marketing/contacts"},
    {"GET", "/v3/marketing/contacts/count"},
    {"GET", "/v3/marketing/contacts/imports/" CONTACT},
    {"POST", "/v3/marketing/lists"},
    {"GET", "/v3/marketing/lists?page_size=2&page_token=1"},
    {"GET", "/v3/marketing/lists/" LIST "?contact_sample=true"},
    {"PATCH", "/v3/marketing/lists/" LIST},
    {"DELETE", "/v3/marketing/lists/" LIST "/contacts?contact_ids=" CONTACT},
    {"POST", "/v3/marketing/field_definitions"},
    {"PATCH", "/v3/marketing/field_definitions/e1_T"},
    {"DELETE", "/v3/marketing/field_definitions/e2_N"},
    {"GET", "/v3/marketing/field_definitions"},
    {"POST", "/v3/marketing/contacts/search"},
    {"POST", "/v3/marketing/contacts/exports"},
    {"GET", "/v3/marketing/contacts/exports"},
    {"GET", "/v3/marketing/contacts/exports/" CONTACT},
    {"GET", "/v3/marketing/contacts/exports/" CONTACT "/files/1.csv?token=x"},
    {"GET", "/v3/marketing/contacts/exports/" CONTACT "/files/1.csv.gz?token=x"},
    {"GET", "/v3/marketing/contacts/imports/" CONTACT "/errors?token=x"},
    {"PUT", "/v3/marketing/contacts/imports"},
    {"PUT", upload_path},
};
#define N_ENDPOINTS (sizeof endpoints / sizeof endpoints[0])

static int connect_local(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* Generous: a loaded CI machine (ASan, other suites on the same cores) once took over
     * 10 s to answer a PUT; a hang still shows, as no answer within a minute. */
    struct timeval tv = {60, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    /* libFuzzer's timeout alarm (SIGALRM) interrupts blocking calls. An interrupted
     * connect goes on in the background: wait for it and take its outcome. */
    int rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
    if (rc != 0 && errno == EINTR) {
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        int err = 0;
        socklen_t len = sizeof err;
        while ((rc = poll(&pfd, 1, 10000)) < 0 && errno == EINTR)
            ;
        if (rc == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0)
            rc = 0;
        else
            rc = -1;
    }
    if (rc != 0) {
        perror("fuzz_http: connect");
        abort();
    }
    return fd;
}

/* Send and read the whole answer (the request says Connection: close). Returns the
 * status, or -1 when the server closed without an answer; *body points into buf. */
static int exchange(const char *req, size_t len, char *buf, size_t cap, const char **body)
{
    int fd = connect_local();
    size_t off = 0;
    while (off < len) {
        ssize_t n = send(fd, req + off, len - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* the server may refuse to read further: fine */
        off += (size_t)n;
    }
    size_t got = 0;
    for (;;) {
        ssize_t n = recv(fd, buf + got, cap - 1 - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
        if (got == cap - 1)
            break;
    }
    close(fd);
    buf[got] = '\0';
    int status = -1;
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
        return -1;
    char *b = strstr(buf, "\r\n\r\n");
    *body = b ? b + 4 : "";
    return status;
}

static void health_check(void)
{
    static const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    char buf[4096];
    const char *body;
    if (exchange(req, sizeof req - 1, buf, sizeof buf, &body) != 200) {
        fprintf(stderr, "fuzz_http: the server stopped answering\n");
        abort();
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char err[256];
    store *s = store_open(":memory:", err, sizeof err);
    if (!s) {
        fprintf(stderr, "fuzz_http: %s\n", err);
        abort();
    }
    apikey k;
    apikey_parse(KEY, strlen(KEY), &k);
    uint8_t hash[APIKEY_HASH_LEN];
    apikey_hash(k.secret, hash);
    store_tx *tx;
    int64_t account;
    if (store_tx_begin(s, &tx) != STORE_OK ||
        store_tx_account_ensure(tx, "fuzz", &account) != STORE_OK ||
        store_tx_key_add(tx, account, k.id, hash, "full") != STORE_OK ||
        store_tx_commit(tx) != STORE_OK)
        abort();
    static api_ctx app;
    app.store = s;
    app.jobs = jobs_start(s);
    app.export_ttl_ms = 3600 * 1000;
    http_config cfg = {
        .listen = "127.0.0.1:0",
        .threads = 2,
        /* Dropped raw requests linger until the idle timeout: keep it short and the
         * limits high, under the default 1,024 descriptors. */
        .max_connections = 800,
        .max_per_ip = 800,
        .idle_timeout_s = 1,
        .header_limit = 32 * 1024,
        .routes = api_routes,
        .nroutes = api_route_count,
        .app = &app,
        .store = s,
        .body_timeout_s = 10,
    };
    http_server *srv = http_server_start(&cfg, err, sizeof err);
    if (!srv) {
        fprintf(stderr, "fuzz_http: %s\n", err);
        abort();
    }
    port = http_server_port(srv);
    /* Known state for the endpoints that name ids. */
    static const char seed[] =
        "PUT /v3/marketing/contacts HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        "Authorization: Bearer " KEY "\r\nContent-Length: 61\r\n\r\n"
        "{\"contacts\":[{\"email\":\"a@example.com\",\"external_id\":\"x1\"}]}";
    char buf[4096];
    const char *body;
    (void)exchange(seed, sizeof seed - 1, buf, sizeof buf, &body);
    static const char reserve[] =
        "PUT /v3/marketing/contacts/imports HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        "Authorization: Bearer " KEY "\r\nContent-Length: 52\r\n\r\n"
        "{\"file_type\":\"csv\",\"field_mappings\":[\"_rf2_T\",null]}";
    if (exchange(reserve, sizeof reserve - 1, buf, sizeof buf, &body) == 200) {
        json_t *j = json_loads(body, 0, NULL);
        const char *uri = json_string_value(json_object_get(j, "upload_uri"));
        const char *path = uri ? strstr(uri, "/v3/") : NULL;
        if (path && strlen(path) < sizeof upload_path)
            snprintf(upload_path, sizeof upload_path, "%s", path);
        json_decref(j);
    }
    return 0;
}

static void check_answer(int status, const char *body)
{
    if (status >= 500) {
        fprintf(stderr, "fuzz_http: status %d for a client's request: %s\n", status, body);
        abort();
    }
    if (status >= 400) {
        json_t *j = json_loads(body, 0, NULL);
        json_t *errs = json_object_get(j, "errors");
        json_t *first = json_array_get(errs, 0);
        if (!json_is_string(json_object_get(first, "message"))) {
            fprintf(stderr, "fuzz_http: %d without a SendGrid error body: %s\n", status, body);
            abort();
        }
        json_decref(j);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > 100000)
        return 0;
    static char buf[1 << 20];
    const char *body;
    if (data[0] & 0x80) {
        /* Raw request: sent and dropped. Broken HTTP may be answered or closed, and an
         * incomplete request waits for the idle timeout, so only the server's survival is
         * checked (the periodic health check; a crash aborts this process). */
        int fd = connect_local();
        (void)send(fd, data + 1, size - 1, MSG_NOSIGNAL);
        close(fd);
    } else {
        const char *method = endpoints[data[0] % N_ENDPOINTS].method;
        const char *path = endpoints[data[0] % N_ENDPOINTS].path;
        size_t blen = size - 1;
        char *req = malloc(blen + 512);
        if (!req)
            abort();
        int h = snprintf(req, 512,
                         "%s %s HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n"
                         "Authorization: Bearer " KEY "\r\nContent-Type: application/json\r\n"
                         "Content-Length: %zu\r\n\r\n",
                         method, path, blen);
        memcpy(req + h, data + 1, blen);
        int status = exchange(req, (size_t)h + blen, buf, sizeof buf, &body);
        free(req);
        if (status < 0) {
            fprintf(stderr, "fuzz_http: no answer to a well-formed request: %s %s\n", method, path);
            abort();
        }
        check_answer(status, body);
    }
    if (++inputs % 64 == 0)
        health_check();
    return 0;
}
