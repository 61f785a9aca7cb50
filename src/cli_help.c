/*
 * cli_help: the help text of every command, in one place. `contactd help [CMD]`,
 * `contactd CMD --help` and the man page (dist/contactd.1, checked against these texts
 * by tests/api/cli.test.js) all say the same.
 */
#include <string.h>

#include "cli.h"

/* The last options of key, account and state. */
#define DB_AND_HELP_OPTIONS                                                    \
    "  --db PATH|URL           SQLite file or postgres:// URL [CONTACTD_DB]\n" \
    "                          (default " CLI_DEFAULT_DB ")\n"                 \
    "  -h, --help              this help\n"

static const char OVERVIEW[] =
    "usage: contactd COMMAND [OPTIONS]\n"
    "\n"
    "A self-hosted server of SendGrid's Marketing Campaigns Contacts API v3.\n"
    "\n"
    "commands:\n"
    "  serve         serve the API (creates the database if needed)\n"
    "  key           create, list and revoke API keys\n"
    "  account       create, list, delete and reset accounts (and subusers)\n"
    "  state         get, put or reset an account's data as one JSON document\n"
    "  healthcheck   exit 0 when a running contactd is ready, 1 when not\n"
    "  help [CMD]    this overview, or a command's help\n"
    "  version       print the version and the commit (also --version)\n"
    "\n"
    "Every command takes -h/--help. Options take --flag=value or --flag value.\n"
    "Exit codes: 0 done, 1 failed, 2 bad usage.\n";

static const char SERVE[] =
    "usage: contactd serve [OPTIONS]\n"
    "\n"
    "Serve the API until SIGTERM or SIGINT. Creates the database if it does not exist.\n"
    "On a database without accounts, creates the account 'default' and prints its first\n"
    "API key once the server listens (set CONTACTD_API_KEY to choose the key instead).\n"
    "\n"
    "options (environment variable in brackets):\n"
    "  --listen HOST:PORT      address to listen on, port 1-65535 or 0 for any free port\n"
    "                          [CONTACTD_LISTEN] (default " CLI_DEFAULT_LISTEN ")\n"
    "  --db PATH|URL           SQLite file, or a postgres:// URL shared by several nodes\n"
    "                          [CONTACTD_DB] (default " CLI_DEFAULT_DB ")\n"
    "  --threads N             request threads, 1-256 [CONTACTD_THREADS] (default: one per core)\n"
    "  --rate-limit N/SECONDS  requests per API key per window, e.g. 600/60\n"
    "                          [CONTACTD_RATE_LIMIT] (default: none)\n"
    "  --export-ttl SECONDS    how long export files stay downloadable, 1 s to a year\n"
    "                          [CONTACTD_EXPORT_TTL] (default 259200, 72 hours)\n"
    "  --max-exports N         exports per account that have not expired, 0-100, 0 for no\n"
    "                          limit; past it a new export gets 429 [CONTACTD_MAX_EXPORTS]\n"
    "                          (default 20)\n"
    "  --max-export-mb MB      no new export while an account's exports keep this many MB,\n"
    "                          0 for no limit [CONTACTD_MAX_EXPORT_MB] (default 1024)\n"
    "  --download-memory-mb MB memory export downloads in progress may hold together\n"
    "                          (about 1.4 MB each); past it a new download gets 503 with\n"
    "                          Retry-After, 0 for no limit [CONTACTD_DOWNLOAD_MEMORY_MB]\n"
    "                          (default 256)\n"
    "  --public-url URL        base of every URL handed out (upload, export, errors,\n"
    "                          _metadata), e.g. https://contacts.example.com\n"
    "                          [CONTACTD_PUBLIC_URL] (default: from the request's Host)\n"
    "  --trust-proxy           honour X-Forwarded-Proto and X-Forwarded-Host\n"
    "                          [CONTACTD_TRUST_PROXY=1] (default: off)\n"
    "  --tls-cert FILE         serve HTTPS with this PEM certificate (chain)\n"
    "                          [CONTACTD_TLS_CERT] (default: plain HTTP)\n"
    "  --tls-key FILE          the certificate's PEM private key [CONTACTD_TLS_KEY]\n"
    "  --metrics-token TOKEN   GET /metrics requires 'Authorization: Bearer TOKEN'\n"
    "                          [CONTACTD_METRICS_TOKEN] (default: /metrics is open)\n"
    "  --log-format FORMAT     text or json, one line per request and job event\n"
    "                          [CONTACTD_LOG_FORMAT] (default text)\n"
    "  --no-access-log         no line per request [CONTACTD_ACCESS_LOG=0]\n"
    "  --admin-token TOKEN     turn on the admin API under /_contactd/, which then needs\n"
    "                          'Authorization: Bearer TOKEN' [CONTACTD_ADMIN_TOKEN]\n"
    "                          (default: off, /_contactd/ answers 404)\n"
    "  --job-delay MS          every job stays pending at least MS ms after its 202, as\n"
    "                          on SendGrid; stored in the database for every node\n"
    "                          [CONTACTD_JOB_DELAY] (default: the stored setting, 0)\n"
    "  --seed FILE             load {\"accounts\": {NAME: STATE}} at start, creating the\n"
    "                          accounts and replacing their data [CONTACTD_SEED]\n"
    "  --search-timeout SECONDS  an SGQL search not answered this long after it arrived\n"
    "                          answers 408, 1-3600 [CONTACTD_SEARCH_TIMEOUT] (default 20)\n"
    "  --slow-queue N          slow requests (SGQL searches, import uploads) one account\n"
    "                          may have waiting besides one running; past it 429,\n"
    "                          0-10000 [CONTACTD_SLOW_QUEUE] (default 8)\n"
    "  --max-backlog RECORDS   write endpoints answer 429 while the jobs pending hold this\n"
    "                          many records still to apply; 0: no limit\n"
    "                          [CONTACTD_MAX_BACKLOG] (default 1000000)\n"
    "  --no-db-check           skip checking every page of a SQLite file before serving\n"
    "                          [CONTACTD_DB_CHECK=0] (default: check; a corrupt file is\n"
    "                          refused with exit 1)\n"
    "  -h, --help              this help\n"
    "\n"
    "environment only:\n"
    "  CONTACTD_API_KEY        SG.<id>.<secret>: make sure this key exists (account 'default')\n"
    "\n"
    "endpoints besides /v3/marketing/...: GET|HEAD /healthz (liveness), GET|HEAD /readyz\n"
    "(database and job writer), GET /metrics (Prometheus text format 0.0.4).\n";

static const char KEY[] =
    "usage: contactd key create --account NAME [--scopes full|read] [--db PATH|URL]\n"
    "       contactd key list [--db PATH|URL]\n"
    "       contactd key revoke KEY_ID [--db PATH|URL]\n"
    "\n"
    "Manage API keys; safe while a server uses the same database. A key is printed once,\n"
    "at creation; only a hash of its secret is stored. Only 'key create' may create the\n"
    "database.\n"
    "\n"
    "options (environment variable in brackets):\n"
    "  --account NAME          the key's account, created when new (key create)\n"
    "  --scopes full|read      full: read and write; read: read-only (default full)\n" DB_AND_HELP_OPTIONS;

static const char ACCOUNT[] =
    "usage: contactd account create NAME [--parent NAME] [--db PATH|URL]\n"
    "       contactd account list [--db PATH|URL]\n"
    "       contactd account delete NAME [--db PATH|URL]\n"
    "       contactd account reset NAME|--all [--db PATH|URL]\n"
    "\n"
    "Manage accounts on the database, as the admin API's /_contactd/accounts does; safe\n"
    "while a server uses the same database. create prints the new account's first key\n"
    "(full scope); --parent makes it a subuser of that account (On-Behalf-Of). delete\n"
    "removes the account, its keys and all its data; reset removes its data and keeps its\n"
    "keys. Never creates a database.\n"
    "\n"
    "options (environment variable in brackets):\n"
    "  --parent NAME           the parent account (account create)\n"
    "  --all                   every account (account reset)\n" DB_AND_HELP_OPTIONS;

static const char STATE[] =
    "usage: contactd state get NAME [--db PATH|URL]\n"
    "       contactd state put NAME FILE|- [--db PATH|URL]\n"
    "       contactd state reset NAME [--db PATH|URL]\n"
    "\n"
    "An account's data (lists, custom fields, contacts, with their ids) as one JSON\n"
    "document, as GET/PUT /_contactd/accounts/NAME/state: get prints it, put replaces the\n"
    "account's data with FILE (- for standard input) after validating all of it, reset\n"
    "removes the data and keeps the keys. Never creates a database.\n"
    "\n"
    "options (environment variable in brackets):\n" DB_AND_HELP_OPTIONS;

static const char HEALTHCHECK[] =
    "usage: contactd healthcheck [--url URL] [--timeout SECONDS]\n"
    "\n"
    "Ask a running contactd whether it is ready (GET /readyz over plain HTTP, no curl\n"
    "needed): exit 0 on a 2xx answer, 1 otherwise. Made for container HEALTHCHECKs.\n"
    "\n"
    "options (environment variable in brackets):\n"
    "  --url URL               what to ask (default: http://<listen address>/readyz, with\n"
    "                          0.0.0.0 and [::] asked on the loopback; the listen address\n"
    "                          is [CONTACTD_LISTEN], default " CLI_DEFAULT_LISTEN ")\n"
    "  --timeout SECONDS       give up after this long, 1-300 (default 5)\n"
    "  -h, --help              this help\n";

static const char HELP[] =
    "usage: contactd help [COMMAND]\n"
    "\n"
    "Print the overview, or the help of COMMAND (serve, key, account, state, healthcheck,\n"
    "version).\n";

static const char VERSION[] = "usage: contactd version  (or contactd --version)\n"
                              "\n"
                              "Print the version and the git commit contactd was built from.\n";

const char *cli_help_text(const char *command)
{
    if (!command)
        return OVERVIEW;
    static const struct {
        const char *name, *text;
    } texts[] = {
        {"serve", SERVE},
        {"key", KEY},
        {"account", ACCOUNT},
        {"state", STATE},
        {"healthcheck", HEALTHCHECK},
        {"help", HELP},
        {"version", VERSION},
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        if (strcmp(command, texts[i].name) == 0)
            return texts[i].text;
    return NULL;
}
