/* cli_accounts: `contactd account ...` and `serve --job-delay` (see cli.h). Each command is
 * one transaction on the database, as the admin API's writes are. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/state.h"
#include "cli.h"
#include "core/contact_decode.h"
#include "core/apikey.h"
#include "core/timeutil.h"
#include "http/auth.h"

typedef struct account_args {
    const char *name;
    int64_t id, parent;
    apikey key;
    int64_t delay_ms;
} account_args;

static int create_tx(store_tx *tx, void *ctx)
{
    account_args *a = ctx;
    int rc = store_tx_account_create(tx, a->name, a->parent, &a->id);
    return rc == STORE_OK ? cli_tx_key_add(tx, a->id, &a->key, SCOPE_FULL) : rc;
}

static int delete_tx(store_tx *tx, void *ctx)
{
    return store_tx_account_purge(tx, ((account_args *)ctx)->id, true);
}

static int reset_tx(store_tx *tx, void *ctx)
{
    return store_tx_account_purge(tx, ((account_args *)ctx)->id, false);
}

static int reset_all_tx(store_tx *tx, void *ctx)
{
    (void)ctx;
    return store_tx_account_purge_all(tx);
}

static int delay_tx(store_tx *tx, void *ctx)
{
    return store_tx_setting_job_delay(tx, 0, ((account_args *)ctx)->delay_ms);
}

int cli_set_job_delay(store *s, int64_t ms)
{
    account_args a = {.delay_ms = ms};
    if (cli_in_tx(s, delay_tx, &a) != STORE_OK) {
        fprintf(stderr, "contactd: cannot store the job delay\n");
        return -1;
    }
    return 0;
}

/* The id of the account called name into *id: 0, or 1 with a message. */
static int find(store *s, const char *name, arena *ar, int64_t *id)
{
    store_account acc;
    int rc = store_account_find(s, name, ar, &acc);
    if (rc == STORE_OK) {
        *id = acc.id;
        return 0;
    }
    fprintf(stderr, "contactd: %s\n",
            rc == STORE_NOT_FOUND ? "no such account" : "cannot read accounts");
    return 1;
}

static int list(store *s, arena *ar)
{
    store_account *rows;
    size_t n;
    if (store_account_list(s, 0, ar, &rows, &n) != STORE_OK) {
        fprintf(stderr, "contactd: cannot read accounts\n");
        return 1;
    }
    printf("%-32s %-32s %s\n", "NAME", "PARENT", "CREATED");
    for (size_t i = 0; i < n; i++) {
        char ts[ISO8601_LEN + 1];
        time_iso8601(rows[i].created_at, ts);
        printf("%-32s %-32s %s\n", rows[i].name, rows[i].parent ? rows[i].parent : "-", ts);
    }
    return 0;
}

static int create(store *s, arena *ar, const char *name, const char *parent)
{
    account_args a = {.name = name};
    if (parent && find(s, parent, ar, &a.parent) != 0)
        return 1;
    if (apikey_generate(&a.key) != 0)
        return 1;
    int rc = cli_in_tx(s, create_tx, &a);
    if (rc != STORE_OK) {
        fprintf(stderr, "contactd: %s\n",
                rc == STORE_CONFLICT ? "an account of that name exists already"
                                     : "cannot create the account");
        return 1;
    }
    char text[APIKEY_TEXT_MAX + 1];
    apikey_format(&a.key, text);
    printf("%s\n", text);
    return 0;
}

/* fn (delete_tx, reset_tx) on the account id: 0, or 1 with a message. */
static int change(store *s, int64_t id, cli_tx_fn fn)
{
    account_args a = {.id = id};
    if (cli_in_tx(s, fn, &a) != STORE_OK) {
        fprintf(stderr, "contactd: the database refused the change\n");
        return 1;
    }
    return 0;
}

static int by_name(store *s, arena *ar, const char *name, cli_tx_fn fn)
{
    int64_t id;
    return find(s, name, ar, &id) != 0 ? 1 : change(s, id, fn);
}

/* ---- the command lines ------------------------------------------------------------- */

enum { OPT_DB = 256, OPT_PARENT, OPT_ALL };

static const struct option LONG_OPTS[] = {
    {"db", required_argument, NULL, OPT_DB},
    {"parent", required_argument, NULL, OPT_PARENT},
    {"all", no_argument, NULL, OPT_ALL},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct cmd_args {
    const char *db, *parent;
    bool all, help;
    const char *action, *name, *file;
} cmd_args;

static int on_option(void *ctx, int opt, const char *flag, const char *value)
{
    cmd_args *a = ctx;
    (void)flag;
    switch (opt) {
    case OPT_DB: a->db = value; break;
    case OPT_PARENT: a->parent = value; break;
    case OPT_ALL: a->all = true; break;
    }
    return 0;
}

/* The flags and the positional ACTION NAME [FILE] of `cmd`; 0 or 2. `arity` gives the
 * number of positional arguments after ACTION that each action in `actions` takes. */
static int parse_cmd(const char *cmd, int argc, char **argv, const char *const *actions,
                     const int *arity, cmd_args *a)
{
    a->db = cli_db();
    int first, rc = cli_getopt(cmd, argc, argv, LONG_OPTS, on_option, a, &a->help, &first);
    if (rc != 0 || a->help)
        return rc;
    int npos = argc - first;
    if (npos == 0)
        return cli_usage_error(cmd, "which action? (see contactd %s --help)", cmd);
    a->action = argv[first];
    size_t i = 0;
    while (actions[i] && strcmp(actions[i], a->action) != 0)
        i++;
    if (!actions[i])
        return cli_usage_error(cmd, "unknown action '%s'", a->action);
    int want = arity[i] - (a->all ? 1 : 0);
    if (npos - 1 < want)
        return cli_usage_error(cmd, "%s: missing argument (see contactd %s --help)", a->action, cmd);
    if (npos - 1 > want)
        return cli_usage_error(cmd, "%s: unexpected argument '%s'", a->action,
                               argv[first + 1 + want]);
    a->name = npos > 1 ? argv[first + 1] : NULL;
    a->file = npos > 2 ? argv[first + 2] : NULL;
    if (a->parent && strcmp(a->action, "create") != 0)
        return cli_usage_error(cmd, "--parent goes with account create");
    if (a->all && (strcmp(cmd, "account") != 0 || strcmp(a->action, "reset") != 0))
        return cli_usage_error(cmd, "--all goes with account reset");
    return 0;
}

int cli_account_main(int argc, char **argv)
{
    static const char *const actions[] = {"create", "list", "delete", "reset", NULL};
    static const int arity[] = {1, 0, 1, 1};
    cmd_args a = {0};
    int code = parse_cmd("account", argc, argv, actions, arity, &a);
    if (code != 0 || a.help) {
        if (a.help)
            fputs(cli_help_text("account"), stdout);
        return code;
    }
    store *s = cli_store_open("account", a.db, false);
    if (!s)
        return 1;
    arena ar = ARENA_INIT;
    if (strcmp(a.action, "list") == 0)
        code = list(s, &ar);
    else if (strcmp(a.action, "create") == 0)
        code = create(s, &ar, a.name, a.parent);
    else if (strcmp(a.action, "delete") == 0)
        code = by_name(s, &ar, a.name, delete_tx);
    else if (a.all)
        code = cli_in_tx(s, reset_all_tx, NULL) == STORE_OK ? 0 : 1;
    else
        code = by_name(s, &ar, a.name, reset_tx);
    arena_release(&ar);
    store_close(s);
    return code;
}

/* ---- serve --seed FILE -------------------------------------------------------------- */

static void print_errors(const errlist *errs)
{
    for (size_t i = 0; i < errs->count && i < 20; i++)
        fprintf(stderr, "contactd: seed: %s: %s\n",
                errs->items[i].field ? errs->items[i].field : "(file)", errs->items[i].message);
}

typedef struct seed_ctx {
    const char **names;
    state_doc **docs;
    size_t count;
    size_t failed, bad;
} seed_ctx;

static int seed_tx(store_tx *tx, void *arg)
{
    seed_ctx *c = arg;
    for (size_t i = 0; i < c->count; i++) {
        int64_t id;
        c->failed = i;
        int rc = store_tx_account_ensure(tx, c->names[i], &id);
        if (rc == STORE_OK)
            rc = state_apply(tx, id, c->docs[i], &c->bad);
        if (rc != STORE_OK)
            return rc;
    }
    return STORE_OK;
}

int cli_seed(store *s, const char *path)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, CONTACTD_JSON_FLAGS, &jerr);
    if (!root) {
        fprintf(stderr, "contactd: seed %s: line %d: %s\n", path, jerr.line, jerr.text);
        return -1;
    }
    arena a = ARENA_INIT;
    errlist errs;
    errlist_init(&errs, &a);
    const json_t *accounts = json_object_get(root, "accounts");
    size_t n = json_object_size(accounts);
    seed_ctx c = {.names = arena_calloc(&a, n + 1, sizeof(char *)),
                  .docs = arena_calloc(&a, n + 1, sizeof(state_doc *))};
    if (!json_is_object(accounts) || json_object_size(root) != 1)
        errlist_add(&errs, NULL, "a seed file is {\"accounts\": {\"<name>\": <state>, ...}}");
    const char *name;
    json_t *state;
    json_object_foreach ((json_t *)accounts, name, state) {
        state_doc *d = state_parse(state, arena_printf(&a, "accounts.%s.", name), &a, &errs);
        if (d) {
            c.names[c.count] = name;
            c.docs[c.count++] = d;
        }
    }
    int rc = errs.count ? STORE_ERROR : cli_in_tx(s, seed_tx, &c);
    if (errs.count)
        print_errors(&errs);
    else if (rc == STORE_CONFLICT)
        fprintf(stderr,
                "contactd: seed: accounts.%s.contacts[%zu]: an identifier of this contact"
                " belongs to an earlier contact\n",
                c.names[c.failed], c.bad);
    else if (rc != STORE_OK)
        fprintf(stderr, "contactd: seed: the database refused the state\n");
    else
        printf("seeded %zu account(s) from %s\n", c.count, path);
    for (size_t i = 0; i < c.count; i++)
        state_free(c.docs[i]);
    arena_release(&a);
    json_decref(root);
    return rc == STORE_OK ? 0 : -1;
}

/* ---- contactd state get|put|reset NAME ------------------------------------------------ */

typedef struct state_args {
    int64_t account;
    state_doc *doc;
    size_t bad;
} state_args;

static int state_put_tx(store_tx *tx, void *ctx)
{
    state_args *a = ctx;
    return state_apply(tx, a->account, a->doc, &a->bad);
}

/* Read the state in file (stdin for "-") and put it into the account. */
static int state_put(store *s, arena *ar, int64_t account, const char *file)
{
    json_error_t jerr;
    json_t *root = strcmp(file, "-") == 0 ? json_loadf(stdin, CONTACTD_JSON_FLAGS, &jerr)
                                          : json_load_file(file, CONTACTD_JSON_FLAGS, &jerr);
    if (!root) {
        fprintf(stderr, "contactd: %s: line %d: %s\n", file, jerr.line, jerr.text);
        return 1;
    }
    errlist errs;
    errlist_init(&errs, ar);
    state_args a = {.account = account, .doc = state_parse(root, "", ar, &errs)};
    json_decref(root);
    if (!a.doc) {
        print_errors(&errs);
        return 1;
    }
    int rc = cli_in_tx(s, state_put_tx, &a);
    state_free(a.doc);
    if (rc == STORE_CONFLICT)
        fprintf(stderr,
                "contactd: contacts[%zu]: an identifier of this contact belongs to an"
                " earlier contact\n",
                a.bad);
    else if (rc != STORE_OK)
        fprintf(stderr, "contactd: the database refused the state\n");
    return rc == STORE_OK ? 0 : 1;
}

int cli_state_main(int argc, char **argv)
{
    static const char *const actions[] = {"get", "put", "reset", NULL};
    static const int arity[] = {1, 2, 1};
    cmd_args a = {0};
    int code = parse_cmd("state", argc, argv, actions, arity, &a);
    if (code != 0 || a.help) {
        if (a.help)
            fputs(cli_help_text("state"), stdout);
        return code;
    }
    store *s = cli_store_open("state", a.db, false);
    if (!s)
        return 1;
    arena ar = ARENA_INIT;
    int64_t account = 0;
    code = find(s, a.name, &ar, &account);
    if (code == 0 && strcmp(a.action, "get") == 0) {
        json_t *state = state_export(s, account, &ar);
        code = state && json_dumpf(state, stdout, JSON_INDENT(2)) == 0 ? 0 : 1;
        printf("\n");
        json_decref(state);
    } else if (code == 0 && strcmp(a.action, "put") == 0) {
        code = state_put(s, &ar, account, a.file);
    } else if (code == 0) {
        code = change(s, account, reset_tx); /* reset: the account is found already */
    }
    arena_release(&ar);
    store_close(s);
    return code;
}
