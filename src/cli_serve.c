/*
 * cli_serve: `contactd serve`. Options come from the environment first, then from the
 * flags (a flag wins); both are checked by the same functions, so a bad CONTACTD_THREADS
 * is refused as a bad --threads would be, naming the variable.
 *
 * `serve` opens the store, starts the job writer and the HTTP server, prints
 * "listening on http(s)://HOST:PORT", and only then creates the first key of a new
 * database (a start that fails, e.g. on a busy port, never creates a key nobody saw).
 * It runs until SIGTERM or SIGINT, then stops accepting, lets requests in flight finish,
 * answers every accepted job, and exits 0; pending jobs stay on disk for the next start.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "cli.h"
#include "core/log.h"
#include "http/faults.h"
#include "http/journal.h"
#include "http/ratelimit.h"
#include "http/server.h"

#define CMD "serve"
#define SHUTDOWN_GRACE_MS 30000
#define DEFAULT_EXPORT_TTL_S (72 * 3600) /* SendGrid's export files last 72 hours */
#define PEM_MAX (1024 * 1024)
#define DEFAULT_SEARCH_TIMEOUT_S 20 /* SendGrid's */
#define DEFAULT_SLOW_QUEUE 8
#define DEFAULT_MAX_BACKLOG 1000000 /* records: ~30 s of applying on SQLite */
/* Export quotas per account (see api/contacts_exports.c): exports that have not expired,
 * and the MB their files keep. GET /exports lists 100, hence the count's ceiling. */
#define DEFAULT_MAX_EXPORTS 20
#define MAX_MAX_EXPORTS 100
#define DEFAULT_MAX_EXPORT_MB 1024
#define MAX_MAX_EXPORT_MB (1024UL * 1024)
/* Memory that export downloads in progress may hold together (api/contacts_exports.c):
 * about 1.4 MB each, so some 180 at once by default. */
#define DEFAULT_DOWNLOAD_MEMORY_MB 256
#define MAX_DOWNLOAD_MEMORY_MB (1024UL * 1024)

typedef struct serve_options {
    const char *listen, *db, *public_url, *tls_cert, *tls_key, *metrics_token;
    const char *admin_token; /* NULL: no admin API (/_contactd/ answers 404) */
    const char *seed;        /* a state file loaded at start, or NULL */
    long job_delay_ms;       /* -1: leave the stored setting as it is */
    unsigned long threads, export_ttl_s;
    unsigned long search_timeout_s, slow_queue, max_backlog;
    unsigned long max_exports, max_export_mb; /* 0: no quota */
    unsigned long download_memory_mb;         /* 0: no budget */
    unsigned rate_limit, rate_window_s;
    bool access_log, trust_proxy;
    bool db_check; /* PRAGMA quick_check before serving (SQLite) */
    log_format log_format;
    char *public_url_owned, *cert_pem, *key_pem;
} serve_options;

enum {
    OPT_LISTEN = 256,
    OPT_DB,
    OPT_THREADS,
    OPT_RATE,
    OPT_TTL,
    OPT_PUBLIC_URL,
    OPT_TRUST_PROXY,
    OPT_TLS_CERT,
    OPT_TLS_KEY,
    OPT_METRICS_TOKEN,
    OPT_LOG_FORMAT,
    OPT_NO_ACCESS_LOG,
    OPT_ADMIN_TOKEN,
    OPT_JOB_DELAY,
    OPT_SEED,
    OPT_SEARCH_TIMEOUT,
    OPT_SLOW_QUEUE,
    OPT_MAX_BACKLOG,
    OPT_NO_DB_CHECK,
    OPT_MAX_EXPORTS,
    OPT_MAX_EXPORT_MB,
    OPT_DOWNLOAD_MEMORY_MB
};

static const struct option LONG_OPTS[] = {
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"db", required_argument, NULL, OPT_DB},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"rate-limit", required_argument, NULL, OPT_RATE},
    {"export-ttl", required_argument, NULL, OPT_TTL},
    {"public-url", required_argument, NULL, OPT_PUBLIC_URL},
    {"trust-proxy", no_argument, NULL, OPT_TRUST_PROXY},
    {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
    {"tls-key", required_argument, NULL, OPT_TLS_KEY},
    {"metrics-token", required_argument, NULL, OPT_METRICS_TOKEN},
    {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
    {"no-access-log", no_argument, NULL, OPT_NO_ACCESS_LOG},
    {"admin-token", required_argument, NULL, OPT_ADMIN_TOKEN},
    {"job-delay", required_argument, NULL, OPT_JOB_DELAY},
    {"seed", required_argument, NULL, OPT_SEED},
    {"search-timeout", required_argument, NULL, OPT_SEARCH_TIMEOUT},
    {"slow-queue", required_argument, NULL, OPT_SLOW_QUEUE},
    {"max-backlog", required_argument, NULL, OPT_MAX_BACKLOG},
    {"no-db-check", no_argument, NULL, OPT_NO_DB_CHECK},
    {"max-exports", required_argument, NULL, OPT_MAX_EXPORTS},
    {"max-export-mb", required_argument, NULL, OPT_MAX_EXPORT_MB},
    {"download-memory-mb", required_argument, NULL, OPT_DOWNLOAD_MEMORY_MB},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* ---- checking one option ----------------------------------------------------------- */

static int set_rate(serve_options *o, const char *what, const char *v)
{
    if (ratelimit_parse(v, &o->rate_limit, &o->rate_window_s) != 0)
        return cli_usage_error(CMD, "%s: '%s' is not N/SECONDS, e.g. 600/60", what, v);
    return 0;
}

static int set_log_format(serve_options *o, const char *what, const char *v)
{
    if (log_format_parse(v, &o->log_format) != 0)
        return cli_usage_error(CMD, "%s: '%s' is not text or json", what, v);
    return 0;
}

/* An absolute http(s) URL with a host and no query or fragment; kept without its
 * trailing slashes, since paths are appended to it. */
static int set_public_url(serve_options *o, const char *what, const char *v)
{
    size_t scheme = strncmp(v, "https://", 8) == 0 ? 8 : strncmp(v, "http://", 7) == 0 ? 7 : 0;
    bool bad = scheme == 0 || v[scheme] == '\0' || v[scheme] == '/' || strpbrk(v, "?# \t\r\n\"<>\\");
    if (bad)
        return cli_usage_error(CMD,
                               "%s: '%s' is not an http:// or https:// URL with a host "
                               "(and no query)",
                               what, v);
    free(o->public_url_owned);
    o->public_url_owned = strdup(v);
    if (!o->public_url_owned)
        abort();
    size_t n = strlen(o->public_url_owned);
    while (n > scheme && o->public_url_owned[n - 1] == '/')
        o->public_url_owned[--n] = '\0';
    o->public_url = o->public_url_owned;
    return 0;
}

/* A job delay in ms, 0 to a day. */
static int set_job_delay(serve_options *o, const char *what, const char *v)
{
    unsigned long ms;
    int rc = cli_parse_uint(CMD, what, v, 0, 24UL * 3600 * 1000, &ms);
    if (rc == 0)
        o->job_delay_ms = (long)ms;
    return rc;
}

/* The limits that bound what a client can make the server hold (cli_parse_uint's ranges):
 * a search's seconds, an account's waiting slow requests, the job backlog's records
 * (0: no limit). */
#define SEARCH_TIMEOUT_RANGE 1, 3600
#define SLOW_QUEUE_RANGE 0, 10000
#define MAX_BACKLOG_RANGE 0, 1000000000UL

/* The options the environment sets; 0 or 2. */
static int from_env(serve_options *o)
{
    const char *v;
    int rc = 0;
    if ((v = cli_env("CONTACTD_LISTEN")) && (rc = cli_check_listen(CMD, "CONTACTD_LISTEN", v)) == 0)
        o->listen = v;
    if (!rc && (v = cli_env("CONTACTD_THREADS")))
        rc = cli_parse_uint(CMD, "CONTACTD_THREADS", v, 1, 256, &o->threads);
    if (!rc && (v = cli_env("CONTACTD_RATE_LIMIT")))
        rc = set_rate(o, "CONTACTD_RATE_LIMIT", v);
    if (!rc && (v = cli_env("CONTACTD_EXPORT_TTL")))
        rc = cli_parse_uint(CMD, "CONTACTD_EXPORT_TTL", v, 1, 365UL * 24 * 3600, &o->export_ttl_s);
    if (!rc && (v = cli_env("CONTACTD_MAX_EXPORTS")))
        rc = cli_parse_uint(CMD, "CONTACTD_MAX_EXPORTS", v, 0, MAX_MAX_EXPORTS, &o->max_exports);
    if (!rc && (v = cli_env("CONTACTD_MAX_EXPORT_MB")))
        rc = cli_parse_uint(CMD, "CONTACTD_MAX_EXPORT_MB", v, 0, MAX_MAX_EXPORT_MB,
                            &o->max_export_mb);
    if (!rc && (v = cli_env("CONTACTD_DOWNLOAD_MEMORY_MB")))
        rc = cli_parse_uint(CMD, "CONTACTD_DOWNLOAD_MEMORY_MB", v, 0, MAX_DOWNLOAD_MEMORY_MB,
                            &o->download_memory_mb);
    if (!rc && (v = cli_env("CONTACTD_PUBLIC_URL")))
        rc = set_public_url(o, "CONTACTD_PUBLIC_URL", v);
    if (!rc && (v = cli_env("CONTACTD_TRUST_PROXY")))
        rc = cli_parse_bool(CMD, "CONTACTD_TRUST_PROXY", v, &o->trust_proxy);
    if (!rc && (v = cli_env("CONTACTD_ACCESS_LOG")))
        rc = cli_parse_bool(CMD, "CONTACTD_ACCESS_LOG", v, &o->access_log);
    if (!rc && (v = cli_env("CONTACTD_DB_CHECK")))
        rc = cli_parse_bool(CMD, "CONTACTD_DB_CHECK", v, &o->db_check);
    if (!rc && (v = cli_env("CONTACTD_LOG_FORMAT")))
        rc = set_log_format(o, "CONTACTD_LOG_FORMAT", v);
    if (!rc) {
        o->tls_cert = cli_env("CONTACTD_TLS_CERT");
        o->tls_key = cli_env("CONTACTD_TLS_KEY");
        o->metrics_token = cli_env("CONTACTD_METRICS_TOKEN");
        o->admin_token = cli_env("CONTACTD_ADMIN_TOKEN");
        o->seed = cli_env("CONTACTD_SEED");
    }
    if (!rc && (v = cli_env("CONTACTD_JOB_DELAY")))
        rc = set_job_delay(o, "CONTACTD_JOB_DELAY", v);
    if (!rc && (v = cli_env("CONTACTD_SEARCH_TIMEOUT")))
        rc = cli_parse_uint(CMD, "CONTACTD_SEARCH_TIMEOUT", v, SEARCH_TIMEOUT_RANGE,
                            &o->search_timeout_s);
    if (!rc && (v = cli_env("CONTACTD_SLOW_QUEUE")))
        rc = cli_parse_uint(CMD, "CONTACTD_SLOW_QUEUE", v, SLOW_QUEUE_RANGE, &o->slow_queue);
    if (!rc && (v = cli_env("CONTACTD_MAX_BACKLOG")))
        rc = cli_parse_uint(CMD, "CONTACTD_MAX_BACKLOG", v, MAX_BACKLOG_RANGE, &o->max_backlog);
    return rc;
}

static int from_flag(void *ctx, int opt, const char *flag, const char *v)
{
    serve_options *o = ctx;
    switch (opt) {
    case OPT_LISTEN: o->listen = v; return cli_check_listen(CMD, flag, v);
    case OPT_DB: o->db = v; return 0;
    case OPT_THREADS: return cli_parse_uint(CMD, flag, v, 1, 256, &o->threads);
    case OPT_RATE: return set_rate(o, flag, v);
    case OPT_TTL: return cli_parse_uint(CMD, flag, v, 1, 365UL * 24 * 3600, &o->export_ttl_s);
    case OPT_PUBLIC_URL: return set_public_url(o, flag, v);
    case OPT_TRUST_PROXY: o->trust_proxy = true; return 0;
    case OPT_TLS_CERT: o->tls_cert = v; return 0;
    case OPT_TLS_KEY: o->tls_key = v; return 0;
    case OPT_METRICS_TOKEN: o->metrics_token = v; return 0;
    case OPT_LOG_FORMAT: return set_log_format(o, flag, v);
    case OPT_NO_ACCESS_LOG: o->access_log = false; return 0;
    case OPT_ADMIN_TOKEN: o->admin_token = v; return 0;
    case OPT_JOB_DELAY: return set_job_delay(o, flag, v);
    case OPT_SEED: o->seed = v; return 0;
    case OPT_SEARCH_TIMEOUT:
        return cli_parse_uint(CMD, flag, v, SEARCH_TIMEOUT_RANGE, &o->search_timeout_s);
    case OPT_SLOW_QUEUE: return cli_parse_uint(CMD, flag, v, SLOW_QUEUE_RANGE, &o->slow_queue);
    case OPT_MAX_BACKLOG: return cli_parse_uint(CMD, flag, v, MAX_BACKLOG_RANGE, &o->max_backlog);
    case OPT_NO_DB_CHECK: o->db_check = false; return 0;
    case OPT_MAX_EXPORTS: return cli_parse_uint(CMD, flag, v, 0, MAX_MAX_EXPORTS, &o->max_exports);
    case OPT_MAX_EXPORT_MB:
        return cli_parse_uint(CMD, flag, v, 0, MAX_MAX_EXPORT_MB, &o->max_export_mb);
    case OPT_DOWNLOAD_MEMORY_MB:
        return cli_parse_uint(CMD, flag, v, 0, MAX_DOWNLOAD_MEMORY_MB, &o->download_memory_mb);
    }
    return 2;
}

/* ---- the whole command line ------------------------------------------------------- */

static int parse(int argc, char **argv, serve_options *o, bool *help)
{
    int first, rc = from_env(o);
    if (rc == 0)
        rc = cli_getopt(CMD, argc, argv, LONG_OPTS, from_flag, o, help, &first);
    if (rc != 0 || *help)
        return rc;
    if (first < argc)
        return cli_usage_error(CMD, "unexpected argument '%s'", argv[first]);
    if (!o->tls_cert != !o->tls_key)
        return cli_usage_error(CMD, "--tls-cert and --tls-key go together");
    return 0;
}

/* A PEM file read whole; NULL after printing why. */
static char *read_pem(const char *what, const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = f ? malloc(PEM_MAX + 1) : NULL;
    size_t n = buf ? fread(buf, 1, PEM_MAX + 1, f) : 0;
    if (f)
        fclose(f);
    if (!buf || n == 0 || n > PEM_MAX || !strstr(buf, "-----BEGIN")) {
        fprintf(stderr, "contactd: serve: %s: cannot read a PEM file at %s\n", what, path);
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

/* The database, without the password a PostgreSQL URL may carry. */
static void print_database(const char *db)
{
    const char *scheme = strstr(db, "://");
    const char *at = scheme ? strchr(scheme + 3, '@') : NULL;
    const char *colon = at ? memchr(scheme + 3, ':', (size_t)(at - scheme - 3)) : NULL;
    if (colon)
        printf("database %.*s:***%s\n", (int)(colon - db), db, at);
    else if (strstr(db, "password="))
        printf("database (PostgreSQL connection string with a password)\n");
    else
        printf("database %s\n", db);
}

/* "http(s)://HOST:PORT" for the listen address with the bound port. */
static void print_listening(const char *listen, unsigned port, bool tls)
{
    const char *colon = strrchr(listen, ':');
    int hostlen = colon ? (int)(colon - listen) : (int)strlen(listen);
    const char *scheme = tls ? "https" : "http";
    if (hostlen == 0)
        printf("listening on %s://0.0.0.0:%u\n", scheme, port);
    else
        printf("listening on %s://%.*s:%u\n", scheme, hostlen, listen, port);
    fflush(stdout);
}

/* Listen, create the first key of a new database, and serve until SIGTERM or SIGINT (in
 * set). 0 or 1 once it has listened (then stopped); -1 when it could not listen. */
static int serve(const serve_options *o, api_ctx *app, const sigset_t *set)
{
    http_config cfg = {
        .listen = o->listen,
        .threads = (unsigned)o->threads,
        .max_connections = 4096,
        .max_per_ip = 2048,
        .idle_timeout_s = 30,
        .header_timeout_s = 5,
        .header_limit = 32 * 1024,
        .routes = api_routes,
        .nroutes = api_route_count,
        .app = app,
        .store = app->store,
        .access_log = o->access_log,
        .rate_limit = o->rate_limit,
        .rate_window_s = o->rate_window_s,
        .body_timeout_s = 120,
        .public_url = o->public_url,
        .trust_proxy = o->trust_proxy,
        .tls_cert_pem = o->cert_pem,
        .tls_key_pem = o->key_pem,
        .admin_token = o->admin_token,
        .slow_queue_depth = (unsigned)o->slow_queue,
        .faults = app->faults,
        .journal = app->journal,
    };
    char err[512];
    http_server *srv = http_server_start(&cfg, err, sizeof err);
    if (!srv) {
        fprintf(stderr, "contactd: %s\n", err);
        return -1;
    }
    print_database(o->db);
    if (o->admin_token)
        printf("admin API on /_contactd/ (token required)\n");
    if (o->rate_limit)
        printf("rate limit: %u requests per key per %u s\n", o->rate_limit, o->rate_window_s);
    if (o->public_url)
        printf("public URL %s\n", o->public_url);
    print_listening(o->listen, http_server_port(srv), o->cert_pem != NULL);

    int code = 0;
    int sig = 0;
    if (cli_bootstrap_first_key(app->store) != 0) {
        code = 1; /* stop as if signalled: the message says why */
    } else {
        sigwait(set, &sig);
        fprintf(stderr, "contactd: %s received, stopping\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    }
    http_server_stop(srv, SHUTDOWN_GRACE_MS);
    return code;
}

static int run(serve_options *o)
{
    /* Signals are taken synchronously by this thread; every thread started below
     * inherits the mask. SIGPIPE is ignored: a client that hangs up is not fatal. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    store *s = cli_store_open(CMD, o->db, true);
    if (!s)
        return 1;
    char err[600];
    if (o->db_check && store_check(s, err, sizeof err) != STORE_OK) {
        fprintf(stderr, "contactd: serve: %s\n", err);
        store_close(s);
        return 1;
    }
    if (cli_bootstrap_env_key(s, cli_env("CONTACTD_API_KEY")) != 0 ||
        (o->job_delay_ms >= 0 && cli_set_job_delay(s, o->job_delay_ms) != 0) ||
        (o->seed && cli_seed(s, o->seed) != 0)) {
        store_close(s);
        return 1;
    }
    membudget downloads;
    membudget_init(&downloads, (int64_t)o->download_memory_mb << 20);
    api_ctx app = {.store = s,
                   .downloads = &downloads,
                   .jobs = jobs_start(s),
                   .export_ttl_ms = (int64_t)o->export_ttl_s * 1000,
                   .search_timeout_s = (unsigned)o->search_timeout_s,
                   .max_exports = (int64_t)o->max_exports,
                   .max_export_bytes = (int64_t)o->max_export_mb << 20,
                   .metrics_token = o->metrics_token,
                   .faults = faults_new(),
                   .journal = journal_new(JOURNAL_DEFAULT_SIZE)};
    int code = -1;
    if (!app.jobs) {
        fprintf(stderr, "contactd: cannot start the job writer\n");
    } else {
        jobs_limit_backlog(app.jobs, (int64_t)o->max_backlog);
        code = serve(o, &app, &set);
        jobs_stop(app.jobs);
    }
    faults_free(app.faults);
    journal_free(app.journal);
    store_close(s);
    if (code < 0)
        return 1;
    fprintf(stderr, "contactd: stopped\n");
    return code;
}

int cli_serve_main(int argc, char **argv)
{
    serve_options o = {
        .listen = CLI_DEFAULT_LISTEN,
        .db = cli_db(),
        .access_log = true,
        .db_check = true,
        .export_ttl_s = DEFAULT_EXPORT_TTL_S,
        .max_exports = DEFAULT_MAX_EXPORTS,
        .max_export_mb = DEFAULT_MAX_EXPORT_MB,
        .download_memory_mb = DEFAULT_DOWNLOAD_MEMORY_MB,
        .job_delay_ms = -1,
        .search_timeout_s = DEFAULT_SEARCH_TIMEOUT_S,
        .slow_queue = DEFAULT_SLOW_QUEUE,
        .max_backlog = DEFAULT_MAX_BACKLOG,
    };
    bool help = false;
    int code = parse(argc, argv, &o, &help);
    if (code == 0 && help) {
        fputs(cli_help_text(CMD), stdout);
    } else if (code == 0 && o.tls_cert && !http_tls_supported()) {
        fprintf(stderr, "contactd: serve: this libmicrohttpd was built without TLS\n");
        code = 1;
    } else if (code == 0 && o.tls_cert &&
               (!(o.cert_pem = read_pem("--tls-cert", o.tls_cert)) ||
                !(o.key_pem = read_pem("--tls-key", o.tls_key)))) {
        code = 2;
    } else if (code == 0) {
        log_set_format(o.log_format);
        code = run(&o);
    }
    free(o.public_url_owned);
    free(o.cert_pem);
    free(o.key_pem);
    return code;
}
