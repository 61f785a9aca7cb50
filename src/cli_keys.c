/* cli_keys: `contactd key ...` and the first-start key (see cli.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/apikey.h"
#include "core/timeutil.h"
#include "http/auth.h"

#define DEFAULT_ACCOUNT "default"
#define DEFAULT_SCOPES SCOPE_FULL

/* Store key k under the account name; STORE_CONFLICT when its id is taken. */
static int add_key(store *s, const char *account, const apikey *k, const char *scopes)
{
    uint8_t hash[APIKEY_HASH_LEN];
    apikey_hash(k->secret, hash);
    store_tx *tx;
    if (store_tx_begin(s, &tx) != STORE_OK)
        return STORE_ERROR;
    int64_t account_id;
    int rc = store_tx_account_ensure(tx, account, &account_id);
    if (rc == STORE_OK)
        rc = store_tx_key_add(tx, account_id, k->id, hash, scopes);
    if (rc != STORE_OK) {
        store_tx_rollback(tx);
        return rc;
    }
    return store_tx_commit(tx);
}

store *cli_store_open(const char *db_path)
{
    char err[512];
    store *s = store_open(db_path, err, sizeof err);
    if (!s)
        fprintf(stderr, "contactd: %s\n", err);
    return s;
}

static int bootstrap(store *s, const char *env_key, int attempts_left)
{
    if (env_key && *env_key) {
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
                fprintf(stderr, "contactd: CONTACTD_API_KEY names key %s, which exists with "
                                "another secret\n", k.id);
                return -1;
            }
            if (row.revoked)
                fprintf(stderr, "contactd: warning: CONTACTD_API_KEY (key %s) is revoked\n", k.id);
            return 0;
        }
        if (rc == STORE_NOT_FOUND)
            rc = add_key(s, DEFAULT_ACCOUNT, &k, DEFAULT_SCOPES);
        if (rc == STORE_CONFLICT && attempts_left > 0) {
            /* Another node sharing the database stored it first: fine if it is this key. */
            return bootstrap(s, env_key, attempts_left - 1);
        }
        if (rc != STORE_OK) {
            fprintf(stderr, "contactd: cannot store CONTACTD_API_KEY\n");
            return -1;
        }
        printf("API key (from CONTACTD_API_KEY) for account '%s': key id %s\n", DEFAULT_ACCOUNT, k.id);
        return 0;
    }
    int64_t accounts;
    if (store_account_count(s, &accounts) != STORE_OK) {
        fprintf(stderr, "contactd: cannot read accounts\n");
        return -1;
    }
    if (accounts > 0)
        return 0;
    apikey k;
    int rc = apikey_generate(&k) == 0 ? add_key(s, DEFAULT_ACCOUNT, &k, DEFAULT_SCOPES) : STORE_ERROR;
    if (rc == STORE_CONFLICT) {
        /* Another node created the default account at the same moment; it printed the
         * first key. */
        return 0;
    }
    if (rc != STORE_OK) {
        fprintf(stderr, "contactd: cannot create the first API key\n");
        return -1;
    }
    char text[APIKEY_TEXT_MAX + 1];
    apikey_format(&k, text);
    printf("API key for account '%s' (shown once; keep it): %s\n", DEFAULT_ACCOUNT, text);
    return 0;
}

int cli_bootstrap_key(store *s, const char *env_key)
{
    return bootstrap(s, env_key, 2);
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

static int usage(void)
{
    fprintf(stderr, "usage: contactd key create --account NAME [--scopes full|read] [--db PATH]\n"
                    "       contactd key list [--db PATH]\n"
                    "       contactd key revoke KEY_ID [--db PATH]\n");
    return 2;
}

int cli_key_main(int argc, char **argv, const char *db_path)
{
    if (argc < 2)
        return usage();
    const char *cmd = argv[1];
    const char *account = NULL, *positional = NULL, *scopes = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--account") == 0 && i + 1 < argc)
            account = argv[++i];
        else if (strcmp(argv[i], "--scopes") == 0 && i + 1 < argc)
            scopes = argv[++i];
        else if (argv[i][0] != '-' && !positional)
            positional = argv[i];
        else
            return usage();
    }
    if (scopes && (strcmp(cmd, "create") != 0 || !auth_scopes_valid(scopes))) {
        fprintf(stderr, "contactd: --scopes is \"full\" (read and write) or \"read\" (read-only), "
                        "with key create\n");
        return 2;
    }
    store *s = cli_store_open(db_path);
    if (!s)
        return 1;
    int code = 0;
    if (strcmp(cmd, "create") == 0) {
        apikey k;
        int rc;
        if (!account || !*account || positional) {
            code = usage();
        } else if (apikey_generate(&k) != 0 ||
                   (rc = add_key(s, account, &k, scopes ? scopes : DEFAULT_SCOPES)) != STORE_OK) {
            fprintf(stderr, "contactd: cannot create the key\n");
            code = 1;
        } else {
            char text[APIKEY_TEXT_MAX + 1];
            apikey_format(&k, text);
            printf("%s\n", text);
        }
    } else if (strcmp(cmd, "list") == 0 && !positional && !account) {
        printf("%-24s %-20s %-8s %-20s %s\n", "KEY ID", "ACCOUNT", "SCOPES", "CREATED", "REVOKED");
        if (store_key_list(s, print_key_row, NULL) != STORE_OK)
            code = 1;
    } else if (strcmp(cmd, "revoke") == 0 && positional && !account) {
        store_tx *tx;
        int rc = store_tx_begin(s, &tx);
        if (rc == STORE_OK) {
            rc = store_tx_key_revoke(tx, positional);
            if (rc == STORE_OK)
                rc = store_tx_commit(tx);
            else
                store_tx_rollback(tx);
        }
        if (rc == STORE_NOT_FOUND) {
            fprintf(stderr, "contactd: no active key with id %s\n", positional);
            code = 1;
        } else if (rc != STORE_OK) {
            fprintf(stderr, "contactd: cannot revoke the key\n");
            code = 1;
        } else {
            printf("revoked %s\n", positional);
        }
    } else {
        code = usage();
    }
    store_close(s);
    return code;
}
