/*
 * cli: the administrative commands of the contactd binary (keys and accounts), and the
 * first-start bootstrap that `serve` runs. Each command opens the store itself; they are
 * safe to run while a server uses the same SQLite file (WAL, busy timeout).
 */
#ifndef CONTACTD_CLI_H
#define CONTACTD_CLI_H

#include "store/store.h"

/* The database for a command; NULL with the reason printed. */
store *cli_store_open(const char *db_path);

/* `contactd key create|list|revoke ...`; argv[0] is "key". Returns the exit code. */
int cli_key_main(int argc, char **argv, const char *db_path);

/* `contactd account create|list|delete|reset ...`; argv[0] is "account". The same store
 * functions as the admin API's /_contactd/accounts. Returns the exit code. */
int cli_account_main(int argc, char **argv, const char *db_path);

/* `contactd state get NAME | put NAME FILE|- | reset NAME`: the account state of the admin
 * API (api/state.h) on the database. Returns the exit code. */
int cli_state_main(int argc, char **argv, const char *db_path);

/* `serve --seed FILE`: {"accounts": {"<name>": <state>}} (api/state.h), each account
 * created if need be and its data replaced, all in one transaction. 0, or -1 with the
 * reasons printed. */
int cli_seed(store *s, const char *path);

/* Store the global job delay (`serve --job-delay MS`). 0, or -1 with a message. */
int cli_set_job_delay(store *s, int64_t ms);

/*
 * Before serving: with CONTACTD_API_KEY set (env_key non-NULL), make sure that key exists
 * in the "default" account; otherwise, on a database with no account, create the
 * "default" account and a new key. Prints the key it creates. 0, or -1 with a message.
 */
int cli_bootstrap_key(store *s, const char *env_key);

#endif
