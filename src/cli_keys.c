/* cli_keys: `contactd key create|list|revoke` and the first-start key (see cli.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/apikey.h"
#include "core/timeutil.h"
#include "http/auth.h"

#define DEFAULT_ACCOUNT "default"
#define DEFAULT_SCOPES SCOPE_FULL

typedef struct key_add {
    const char *account, *scopes;
    const apikey *key;
} key_add;

static int add_key_tx(store_tx *tx, void *ctx)
{
    const key_add *c = ctx;
    int64_t account_id;
    int rc = store_tx_account_ensure(tx, c->account, &account_id);
    return rc == STORE_OK ? cli_tx_key_add(tx, account_id, c->key, c->scopes) : rc;
}

/* Store key k under the account name; STORE_CONFLICT when its id is taken. */
static int add_key(store *s, const char *account, const apikey *k, const char *scopes)
{
    key_add c = {.account = account, .scopes = scopes, .key = k};
    return cli_in_tx(s, add_key_tx, &c);
}

/* The key of CONTACTD_API_KEY in the default account; retried when another node
 * sharing the database stores it at the same moment. */
static int bootstrap_env(store *s, const char *env_key, int attempts_left)
{
    apikey k;
    if (apikey_parse(env_key, strlen(env_key), &k) != 0) {
        fprintf(stderr, "contactd: CONTACTD_API_KEY must look like SG.<id>.<secret> "
                        "(letters, digits, '-' and '_')\n");
        return -1;
    }
    store_key row;
    int rc = store_key_find(s, k.id, &row);
    if (rc == STORE_OK) {
        uint8_t hash[APIKEY_HASH_LEN];
        apikey_hash(k.secret, hash);
        if (!apikey_hash_equal(hash, row.secret_hash)) {
            fprintf(stderr,
                    "contactd: CONTACTD_API_KEY names key %s, which exists with "
                    "another secret\n",
                    k.id);
            return -1;
        }
        if (row.revoked)
            fprintf(stderr, "contactd: warning: CONTACTD_API_KEY (key %s) is revoked\n", k.id);
        return 0;
    }
    if (rc == STORE_NOT_FOUND)
        rc = add_key(s, DEFAULT_ACCOUNT, &k, DEFAULT_SCOPES);
    if (rc == STORE_CONFLICT && attempts_left > 0)
        return bootstrap_env(s, env_key, attempts_left - 1);
    if (rc != STORE_OK) {
        fprintf(stderr, "contactd: cannot store CONTACTD_API_KEY\n");
        return -1;
    }
    printf("API key (from CONTACTD_API_KEY) for account '%s': key id %s\n", DEFAULT_ACCOUNT, k.id);
    return 0;
}

int cli_bootstrap_env_key(store *s, const char *env_key)
{
    return env_key && *env_key ? bootstrap_env(s, env_key, 2) : 0;
}

int cli_bootstrap_first_key(store *s)
{
    int64_t accounts;
    if (store_account_count(s, &accounts) != STORE_OK) {
        fprintf(stderr, "contactd: cannot read accounts\n");
        return -1;
    }
    if (accounts > 0)
        return 0;
    apikey k;
    int rc =
        apikey_generate(&k) == 0 ? add_key(s, DEFAULT_ACCOUNT, &k, DEFAULT_SCOPES) : STORE_ERROR;
    if (rc == STORE_CONFLICT) {
        /* Another node created the default account at the same moment; it printed the
         * first key. */
        return 0;
    }
    if (rc != STORE_OK) {
        fprintf(stderr, "contactd: cannot create the first API key; create one with "
                        "`contactd key create --account default`\n");
        return -1;
    }
    char text[APIKEY_TEXT_MAX + 1];
    apikey_format(&k, text);
    printf("API key for account '%s' (shown once; keep it): %s\n", DEFAULT_ACCOUNT, text);
    fflush(stdout);
    return 0;
}

static void print_key_row(void *ctx, const store_key_row *row)
{
    (void)ctx;
    char created[ISO8601_LEN + 1], revoked[ISO8601_LEN + 1];
    time_iso8601(row->created_at, created);
    if (row->revoked_at)
        time_iso8601(row->revoked_at, revoked);
    printf("%-24s %-20s %-8s %s %s\n", row->key_id, row->account, row->scopes, created,
           row->revoked_at ? revoked : "active");
}

#define CMD "key"

enum { OPT_ACCOUNT = 256, OPT_SCOPES, OPT_DB };

static const struct option LONG_OPTS[] = {
    {"account", required_argument, NULL, OPT_ACCOUNT},
    {"scopes", required_argument, NULL, OPT_SCOPES},
    {"db", required_argument, NULL, OPT_DB},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct key_args {
    const char *action, *account, *scopes, *db, *key_id;
    bool help;
} key_args;

static int key_option(void *ctx, int opt, const char *flag, const char *value)
{
    key_args *a = ctx;
    (void)flag;
    switch (opt) {
    case OPT_ACCOUNT: a->account = value; break;
    case OPT_SCOPES: a->scopes = value; break;
    case OPT_DB: a->db = value; break;
    }
    return 0;
}

/* Flags may come before or after the action and its KEY_ID (getopt permutes). */
static int parse(int argc, char **argv, key_args *a)
{
    a->db = cli_db();
    int first, rc = cli_getopt(CMD, argc, argv, LONG_OPTS, key_option, a, &a->help, &first);
    if (rc != 0 || a->help)
        return rc;
    int npos = argc - first;
    a->action = npos > 0 ? argv[first] : NULL;
    a->key_id = npos > 1 ? argv[first + 1] : NULL;
    if (!a->action)
        return cli_usage_error(CMD, "which action: create, list or revoke?");
    bool create = strcmp(a->action, "create") == 0, revoke = strcmp(a->action, "revoke") == 0;
    if (!create && !revoke && strcmp(a->action, "list") != 0)
        return cli_usage_error(CMD, "unknown action '%s' (create, list or revoke)", a->action);
    if (npos > (revoke ? 2 : 1))
        return cli_usage_error(CMD, "%s: unexpected argument '%s'", a->action,
                               argv[first + (revoke ? 2 : 1)]);
    if (revoke && !a->key_id)
        return cli_usage_error(CMD, "revoke: which KEY_ID? (see contactd key list)");
    if (create && (!a->account || !*a->account))
        return cli_usage_error(CMD, "create: --account NAME is required");
    if (!create && (a->account || a->scopes))
        return cli_usage_error(CMD, "%s: --account and --scopes go with key create", a->action);
    if (a->scopes && !auth_scopes_valid(a->scopes))
        return cli_usage_error(CMD,
                               "--scopes: '%s' is not full (read and write) or read "
                               "(read-only)",
                               a->scopes);
    return 0;
}

static int key_create(store *s, const key_args *a)
{
    apikey k;
    if (apikey_generate(&k) != 0 ||
        add_key(s, a->account, &k, a->scopes ? a->scopes : DEFAULT_SCOPES) != STORE_OK) {
        fprintf(stderr, "contactd: key: cannot create the key\n");
        return 1;
    }
    char text[APIKEY_TEXT_MAX + 1];
    apikey_format(&k, text);
    printf("%s\n", text);
    return 0;
}

static int revoke_tx(store_tx *tx, void *ctx)
{
    return store_tx_key_revoke(tx, ((const key_args *)ctx)->key_id);
}

static int key_revoke(store *s, key_args *a)
{
    const char *key_id = a->key_id;
    int rc = cli_in_tx(s, revoke_tx, a);
    if (rc == STORE_NOT_FOUND) {
        fprintf(stderr, "contactd: key: no active key with id %s\n", key_id);
        return 1;
    }
    if (rc != STORE_OK) {
        fprintf(stderr, "contactd: key: cannot revoke the key\n");
        return 1;
    }
    printf("revoked %s\n", key_id);
    return 0;
}

int cli_key_main(int argc, char **argv)
{
    key_args a = {0};
    int code = parse(argc, argv, &a);
    if (code != 0)
        return code;
    if (a.help) {
        fputs(cli_help_text(CMD), stdout);
        return 0;
    }
    bool create = strcmp(a.action, "create") == 0;
    store *s = cli_store_open(CMD, a.db, create);
    if (!s)
        return 1;
    if (create) {
        code = key_create(s, &a);
    } else if (strcmp(a.action, "list") == 0) {
        printf("%-24s %-20s %-8s %-20s %s\n", "KEY ID", "ACCOUNT", "SCOPES", "CREATED", "REVOKED");
        if (store_key_list(s, print_key_row, NULL) != STORE_OK)
            code = 1;
    } else {
        code = key_revoke(s, &a);
    }
    store_close(s);
    return code;
}
