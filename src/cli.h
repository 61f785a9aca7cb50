/*
 * cli: the commands of the contactd binary (serve, key, account, state, healthcheck, help,
 * version), the first-start bootstrap that `serve` runs, and what they share: option and
 * environment checking with messages that name the bad flag or variable, one transaction
 * runner, and every command's help text (one place: `--help`, `contactd help CMD` and the
 * man page's test read it).
 *
 * Exit codes: 0 done, 1 failed (database, network), 2 bad usage (a flag, a value, an
 * environment variable). Only `serve` and `key create` may create a database.
 */
#ifndef CONTACTD_CLI_H
#define CONTACTD_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "store/store.h"

#define CLI_DEFAULT_LISTEN "127.0.0.1:3000"
#define CLI_DEFAULT_DB "./contactd.db"

/* Each takes argv with argv[0] the command's name ("serve", "key", ...). */
int cli_serve_main(int argc, char **argv);
int cli_key_main(int argc, char **argv);
int cli_healthcheck_main(int argc, char **argv);

/* The help of a command ("serve", "key", "healthcheck", ...; NULL: the overview), or
 * NULL for an unknown command. */
const char *cli_help_text(const char *command);

/* "contactd: CMD: <message>" and a pointer to --help on stderr; returns 2. */
int cli_usage_error(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Option values, checked the same way whether they come from a flag or from the
 * environment: `what` names the source in messages ("--threads", "CONTACTD_THREADS").
 * Each returns 0, or prints the error (cli_usage_error) and returns 2.
 */
int cli_parse_uint(const char *command, const char *what, const char *value, unsigned long min,
                   unsigned long max, unsigned long *out);
/* HOST:PORT, [IPv6]:PORT or :PORT with a port from 1 to 65535, or 0 for any free port. */
int cli_check_listen(const char *command, const char *what, const char *value);
/* 1/true/yes/on or 0/false/no/off. */
int cli_parse_bool(const char *command, const char *what, const char *value, bool *out);

/*
 * A subcommand's flags: getopt_long over argv (argv[0] the command) with opts and -h/--help,
 * flags anywhere (getopt permutes), calling on_option(ctx, opt, "--name", value) for each.
 * Sets *help on -h; the first positional argument is argv[*first_arg]. 0, or 2 after
 * naming the bad flag (cli_usage_error).
 */
struct option;
typedef int (*cli_option_fn)(void *ctx, int opt, const char *flag, const char *value);
int cli_getopt(const char *command, int argc, char **argv, const struct option *opts,
               cli_option_fn on_option, void *ctx, bool *help, int *first_arg);

/* getenv, with "" read as unset. */
const char *cli_env(const char *name);

/* The database unless --db names one: CONTACTD_DB, or ./contactd.db. */
const char *cli_db(void);

/* Open the store at db; unless may_create, a SQLite file that does not exist is an error
 * (a typo in --db must not leave an empty database behind). NULL after printing why. */
store *cli_store_open(const char *command, const char *db, bool may_create);

/* Run fn(tx, ctx) in one transaction, committed only when it returns STORE_OK: fn's code,
 * or the commit's. */
typedef int (*cli_tx_fn)(store_tx *tx, void *ctx);
int cli_in_tx(store *s, cli_tx_fn fn, void *ctx);
/* Inside tx: store key k (the hash of its secret) in the account, with these scopes. */
int cli_tx_key_add(store_tx *tx, int64_t account, const apikey *k, const char *scopes);

/* `contactd account create|list|delete|reset ...`: the same store functions as the admin
 * API's /_contactd/accounts (cli_accounts.c). */
int cli_account_main(int argc, char **argv);

/* `contactd state get NAME | put NAME FILE|- | reset NAME`: the account state of the admin
 * API (api/state.h) on the database (cli_accounts.c). */
int cli_state_main(int argc, char **argv);

/* `serve --seed FILE`: {"accounts": {"<name>": <state>}} (api/state.h), each account
 * created if need be and its data replaced, all in one transaction. 0, or -1 with the
 * reasons printed. */
int cli_seed(store *s, const char *path);

/* Store the global job delay (`serve --job-delay MS`). 0, or -1 with a message. */
int cli_set_job_delay(store *s, int64_t ms);

/*
 * Before serving: with CONTACTD_API_KEY set (env_key non-NULL), make sure that key exists
 * in the "default" account. 0, or -1 with a message.
 */
int cli_bootstrap_env_key(store *s, const char *env_key);
/* Once listening, on a database with no account: create the "default" account and a
 * key, and print it. 0, or -1 with a message. */
int cli_bootstrap_first_key(store *s);

#endif
