/*
 * contactd: a self-hosted server of SendGrid's Marketing Campaigns Contacts API v3.
 *
 *   contactd serve [--listen HOST:PORT] [--db PATH] [--threads N] [--rate-limit N/SECONDS]
 *                  [--export-ttl SECONDS] [--no-access-log] [--admin-token TOKEN]
 *                  [--job-delay MS] [--seed FILE]
 *   contactd key create --account NAME [--scopes full|read] | key list | key revoke KEY_ID
 *                                                                          [--db PATH]
 *   contactd account create NAME [--parent NAME] | list | delete NAME | reset NAME|--all
 *   contactd state get NAME | put NAME FILE|- | reset NAME
 *   contactd version
 *
 * `serve` opens the store, starts the job writer and the HTTP server, prints
 * "listening on http://HOST:PORT", and runs until SIGTERM or SIGINT. Then it stops
 * accepting, lets requests in flight finish, answers every accepted job, and exits 0;
 * jobs still pending stay on disk and run after the next start.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "cli.h"
#include "http/ratelimit.h"
#include "http/server.h"

#define DEFAULT_LISTEN "127.0.0.1:3000"
#define DEFAULT_DB "./contactd.db"
#define SHUTDOWN_GRACE_MS 30000
#define DEFAULT_EXPORT_TTL_S (72 * 3600)     /* SendGrid's export files last 72 hours */

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

static int usage(FILE *f)
{
    fprintf(f,
            "usage: contactd serve [--listen HOST:PORT] [--db PATH] [--threads N]\n"
            "                      [--rate-limit N/SECONDS] [--export-ttl SECONDS]\n"
            "                      [--no-access-log] [--admin-token TOKEN] [--job-delay MS]\n"
            "                      [--seed FILE]\n"
            "       contactd key create --account NAME [--scopes full|read] [--db PATH]\n"
            "       contactd key list [--db PATH]\n"
            "       contactd key revoke KEY_ID [--db PATH]\n"
            "       contactd account create NAME [--parent NAME] | account list\n"
            "                      | account delete NAME | account reset NAME|--all [--db PATH]\n"
            "       contactd state get NAME | state put NAME FILE|- | state reset NAME [--db PATH]\n"
            "       contactd version\n"
            "environment: CONTACTD_LISTEN, CONTACTD_DB, CONTACTD_THREADS, CONTACTD_RATE_LIMIT,\n"
            "             CONTACTD_EXPORT_TTL, CONTACTD_API_KEY, CONTACTD_ADMIN_TOKEN,\n"
            "             CONTACTD_JOB_DELAY, CONTACTD_SEED\n");
    return f == stdout ? 0 : 2;
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

/* "http://HOST:PORT" for the listen address with the bound port. */
static void print_listening(const char *listen, unsigned port)
{
    const char *colon = strrchr(listen, ':');
    int hostlen = colon ? (int)(colon - listen) : (int)strlen(listen);
    if (hostlen == 0)
        printf("listening on http://0.0.0.0:%u\n", port);
    else
        printf("listening on http://%.*s:%u\n", hostlen, listen, port);
    fflush(stdout);
}

typedef struct serve_options {
    const char *listen, *db;
    unsigned threads;
    bool access_log;
    unsigned rate_limit, rate_window_s;
    long export_ttl_s;
    const char *admin_token;        /* NULL: no admin API */
    const char *seed;               /* a state file to load at start, or NULL */
    int64_t job_delay_ms;           /* -1: leave the stored setting as it is */
} serve_options;

static int serve(const serve_options *o)
{
    /* Signals are taken synchronously by this thread; every thread started below
     * inherits the mask. SIGPIPE is ignored: a client that hangs up is not fatal. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    char err[512];
    store *s = store_open(o->db, err, sizeof err);
    if (!s) {
        fprintf(stderr, "contactd: %s\n", err);
        return 1;
    }
    if (cli_bootstrap_key(s, getenv("CONTACTD_API_KEY")) != 0) {
        store_close(s);
        return 1;
    }
    if ((o->job_delay_ms >= 0 && cli_set_job_delay(s, o->job_delay_ms) != 0) ||
        (o->seed && cli_seed(s, o->seed) != 0)) {
        store_close(s);
        return 1;
    }
    api_ctx app = {.store = s, .jobs = jobs_start(s), .export_ttl_ms = o->export_ttl_s * 1000,
                   .faults = faults_new(), .journal = journal_new(JOURNAL_DEFAULT_SIZE)};
    if (!app.jobs) {
        fprintf(stderr, "contactd: cannot start the job writer\n");
        faults_free(app.faults);
        journal_free(app.journal);
        store_close(s);
        return 1;
    }
    http_config cfg = {
        .listen = o->listen,
        .threads = o->threads,
        .max_connections = 4096,
        .max_per_ip = 2048,
        .idle_timeout_s = 30,
        .header_limit = 32 * 1024,
        .routes = api_routes,
        .nroutes = api_route_count,
        .app = &app,
        .store = s,
        .access_log = o->access_log,
        .rate_limit = o->rate_limit,
        .rate_window_s = o->rate_window_s,
        .body_timeout_s = 120,
        .admin_token = o->admin_token,
        .faults = app.faults,
        .journal = app.journal,
    };
    http_server *srv = http_server_start(&cfg, err, sizeof err);
    if (!srv) {
        fprintf(stderr, "contactd: %s\n", err);
        jobs_stop(app.jobs);
        faults_free(app.faults);
        journal_free(app.journal);
        store_close(s);
        return 1;
    }
    print_database(o->db);
    if (o->admin_token)
        printf("admin API on /_contactd/ (token required)\n");
    if (o->rate_limit)
        printf("rate limit: %u requests per key per %u s\n", o->rate_limit, o->rate_window_s);
    print_listening(o->listen, http_server_port(srv));

    int sig = 0;
    sigwait(&set, &sig);
    fprintf(stderr, "contactd: %s received, stopping\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    http_server_stop(srv, SHUTDOWN_GRACE_MS);
    jobs_stop(app.jobs);
    faults_free(app.faults);
    journal_free(app.journal);
    store_close(s);
    fprintf(stderr, "contactd: stopped\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage(stderr);
    const char *cmd = argv[1];
    const char *db = env_or("CONTACTD_DB", DEFAULT_DB);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("contactd 0.1.0\n");
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0)
        return usage(stdout);

    /* --db is accepted by every command; the rest is the command's own. */
    char **rest = calloc((size_t)argc, sizeof *rest);
    if (!rest)
        return 1;
    int nrest = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
            db = argv[++i];
        else
            rest[nrest++] = argv[i];
    }
    int code;
    if (strcmp(cmd, "serve") == 0) {
        serve_options o = {
            .listen = env_or("CONTACTD_LISTEN", DEFAULT_LISTEN),
            .db = db,
            .access_log = true,
            .job_delay_ms = -1,
        };
        const char *admin = getenv("CONTACTD_ADMIN_TOKEN");
        const char *delay = getenv("CONTACTD_JOB_DELAY");
        const char *seed = getenv("CONTACTD_SEED");
        long threads = atol(env_or("CONTACTD_THREADS", "0"));
        const char *ttl = getenv("CONTACTD_EXPORT_TTL");
        const char *rate = getenv("CONTACTD_RATE_LIMIT");
        code = -1;
        for (int i = 1; i < nrest; i++) {
            if (strcmp(rest[i], "--listen") == 0 && i + 1 < nrest) {
                o.listen = rest[++i];
            } else if (strcmp(rest[i], "--rate-limit") == 0 && i + 1 < nrest) {
                rate = rest[++i];
            } else if (strcmp(rest[i], "--threads") == 0 && i + 1 < nrest) {
                char *end;
                threads = strtol(rest[++i], &end, 10);
                if (*end || threads < 1 || threads > 256) {
                    fprintf(stderr, "contactd: --threads takes a number from 1 to 256\n");
                    code = 2;
                }
            } else if (strcmp(rest[i], "--export-ttl") == 0 && i + 1 < nrest) {
                ttl = rest[++i];
            } else if (strcmp(rest[i], "--admin-token") == 0 && i + 1 < nrest) {
                admin = rest[++i];
            } else if (strcmp(rest[i], "--seed") == 0 && i + 1 < nrest) {
                seed = rest[++i];
            } else if (strcmp(rest[i], "--job-delay") == 0 && i + 1 < nrest) {
                delay = rest[++i];
            } else if (strcmp(rest[i], "--no-access-log") == 0) {
                o.access_log = false;
            } else {
                code = usage(stderr);
            }
        }
        if (code == -1 && rate && *rate &&
            ratelimit_parse(rate, &o.rate_limit, &o.rate_window_s) != 0) {
            fprintf(stderr, "contactd: --rate-limit takes N/SECONDS, e.g. 600/60\n");
            code = 2;
        }
        o.export_ttl_s = DEFAULT_EXPORT_TTL_S;
        if (code == -1 && ttl && *ttl) {
            char *end;
            o.export_ttl_s = strtol(ttl, &end, 10);
            if (*end || o.export_ttl_s < 1 || o.export_ttl_s > 365L * 24 * 3600) {
                fprintf(stderr, "contactd: --export-ttl takes seconds, from 1 to a year\n");
                code = 2;
            }
        }
        o.admin_token = admin && *admin ? admin : NULL;
        o.seed = seed && *seed ? seed : NULL;
        if (code == -1 && delay && *delay) {
            char *end;
            o.job_delay_ms = strtoll(delay, &end, 10);
            if (*end || o.job_delay_ms < 0 || o.job_delay_ms > 24LL * 3600 * 1000) {
                fprintf(stderr, "contactd: --job-delay takes milliseconds, from 0 to a day\n");
                code = 2;
            }
        }
        o.threads = threads > 0 ? (unsigned)threads : 0;
        if (code == -1)
            code = serve(&o);
    } else if (strcmp(cmd, "key") == 0) {
        code = cli_key_main(nrest, rest, db);
    } else if (strcmp(cmd, "account") == 0) {
        code = cli_account_main(nrest, rest, db);
    } else if (strcmp(cmd, "state") == 0) {
        code = cli_state_main(nrest, rest, db);
    } else {
        code = usage(stderr);
    }
    free(rest);
    return code;
}
