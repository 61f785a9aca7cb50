/* cli_common: option and environment checking, and store opening, for every command. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli.h"

int cli_usage_error(const char *command, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "contactd: %s: ", command);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'contactd %s --help'.\n", command);
    return 2;
}

const char *cli_env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

int cli_parse_uint(const char *command, const char *what, const char *value, unsigned long min,
                   unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = value[0] >= '0' && value[0] <= '9' ? strtoul(value, &end, 10) : 0;
    if (!(value[0] >= '0' && value[0] <= '9') || errno || *end || v < min || v > max)
        return cli_usage_error(command, "%s: '%s' is not a number from %lu to %lu", what, value,
                               min, max);
    *out = v;
    return 0;
}

int cli_parse_bool(const char *command, const char *what, const char *value, bool *out)
{
    static const char *yes[] = {"1", "true", "yes", "on"}, *no[] = {"0", "false", "no", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(value, yes[i]) == 0 || strcasecmp(value, no[i]) == 0) {
            *out = strcasecmp(value, yes[i]) == 0;
            return 0;
        }
    }
    return cli_usage_error(command, "%s: '%s' is not 1/true/yes/on or 0/false/no/off", what, value);
}

int cli_check_listen(const char *command, const char *what, const char *value)
{
    const char *port;
    if (value[0] == '[') {
        const char *close = strchr(value, ']');
        if (!close || close == value + 1 || close[1] != ':')
            return cli_usage_error(command, "%s: '%s' is not [IPV6]:PORT", what, value);
        port = close + 2;
    } else {
        const char *colon = strrchr(value, ':');
        if (!colon || memchr(value, ':', (size_t)(colon - value)))
            return cli_usage_error(command, "%s: '%s' is not HOST:PORT (e.g. 127.0.0.1:3000)", what,
                                   value);
        port = colon + 1;
    }
    char *end;
    errno = 0;
    unsigned long p = port[0] >= '0' && port[0] <= '9' ? strtoul(port, &end, 10) : 70000;
    if (p > 65535 || errno || *end)
        return cli_usage_error(command,
                               "%s: port '%s' is not a number from 1 to 65535 (or 0 for "
                               "any free port)",
                               what, port);
    return 0;
}

const char *cli_db(void)
{
    return cli_env("CONTACTD_DB") ? cli_env("CONTACTD_DB") : CLI_DEFAULT_DB;
}

int cli_in_tx(store *s, cli_tx_fn fn, void *ctx)
{
    store_tx *tx;
    if (store_tx_begin(s, &tx) != STORE_OK)
        return STORE_ERROR;
    int rc = fn(tx, ctx);
    if (rc != STORE_OK) {
        store_tx_rollback(tx);
        return rc;
    }
    return store_tx_commit(tx);
}

int cli_tx_key_add(store_tx *tx, int64_t account, const apikey *k, const char *scopes)
{
    uint8_t hash[APIKEY_HASH_LEN];
    apikey_hash(k->secret, hash);
    return store_tx_key_add(tx, account, k->id, hash, scopes);
}

store *cli_store_open(const char *command, const char *db, bool may_create)
{
    struct stat st;
    if (!may_create && !store_path_is_postgres(db) && stat(db, &st) != 0) {
        fprintf(stderr,
                "contactd: %s: no database at %s (set --db or CONTACTD_DB; "
                "`contactd serve` creates one)\n",
                command, db);
        return NULL;
    }
    char err[512];
    store *s = store_open(db, err, sizeof err);
    if (!s)
        fprintf(stderr, "contactd: %s: %s\n", command, err);
    return s;
}

/* "<before> '<the flag as written, without =value>'<after>" */
static int flag_error(const char *command, char **argv, const char *before, const char *after)
{
    const char *arg = argv[optind - 1];
    return cli_usage_error(command, "%s '%.*s'%s", before, (int)strcspn(arg, "="), arg, after);
}

int cli_getopt(const char *command, int argc, char **argv, const struct option *opts,
               cli_option_fn on_option, void *ctx, bool *help, int *first_arg)
{
    optind = 0;
    opterr = 0;
    int opt, index = 0, rc;
    char flag[64];
    while ((opt = getopt_long(argc, argv, ":h", opts, &index)) != -1) {
        if (opt == 'h') {
            *help = true;
            return 0;
        }
        if (opt == ':')
            return flag_error(command, argv, "option", " needs a value");
        if (opt == '?') {
            /* optopt: the letter of an unknown short option; the val of a long option given
             * a value it does not take ('h' for --help=x); 0 for an unknown long option. */
            if (optopt && optopt < 256 && optopt != 'h')
                return cli_usage_error(command, "unknown option '-%c'", optopt);
            return optopt ? flag_error(command, argv, "option", " takes no value")
                          : flag_error(command, argv, "unknown option", "");
        }
        snprintf(flag, sizeof flag, "--%s", opts[index].name);
        if ((rc = on_option(ctx, opt, flag, optarg)) != 0)
            return rc;
    }
    *first_arg = optind;
    return 0;
}
