/*
 * contactd: a self-hosted server of SendGrid's Marketing Campaigns Contacts API v3.
 *
 *   contactd serve [OPTIONS]          serve the API (cli_serve.c)
 *   contactd key create|list|revoke   manage API keys (cli_keys.c)
 *   contactd account ... | state ...  accounts and their data (cli_accounts.c)
 *   contactd healthcheck [--url URL]  ask a running server whether it is ready (cli_health.c)
 *   contactd help [COMMAND] | version
 *
 * This file only dispatches; every command's help text is in cli_help.c.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#ifndef CONTACTD_VERSION
#define CONTACTD_VERSION "0.0.0"
#endif
#ifndef CONTACTD_COMMIT
#define CONTACTD_COMMIT "unknown"
#endif

static bool is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

static int version(int argc, char **argv)
{
    if (argc > 1 && is_help(argv[1])) {
        fputs(cli_help_text("version"), stdout);
        return 0;
    }
    if (argc > 1)
        return cli_usage_error("version", "unexpected argument '%s'", argv[1]);
    printf("contactd %s (commit %s)\n", CONTACTD_VERSION, CONTACTD_COMMIT);
    return 0;
}

static int help(int argc, char **argv)
{
    if (argc > 2)
        return cli_usage_error("help", "unexpected argument '%s'", argv[2]);
    const char *cmd = argc > 1 && !is_help(argv[1]) ? argv[1] : NULL;
    const char *text = cli_help_text(argc > 1 && is_help(argv[1]) ? "help" : cmd);
    if (!text)
        return cli_usage_error("help", "unknown command '%s'", cmd);
    fputs(text, stdout);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(cli_help_text(NULL), stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "serve") == 0)
        return cli_serve_main(argc - 1, argv + 1);
    if (strcmp(cmd, "key") == 0)
        return cli_key_main(argc - 1, argv + 1);
    if (strcmp(cmd, "account") == 0)
        return cli_account_main(argc - 1, argv + 1);
    if (strcmp(cmd, "state") == 0)
        return cli_state_main(argc - 1, argv + 1);
    if (strcmp(cmd, "healthcheck") == 0)
        return cli_healthcheck_main(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0)
        return version(argc - 1, argv + 1);
    if (strcmp(cmd, "help") == 0 || is_help(cmd))
        return help(argc - 1, argv + 1);
    fprintf(stderr, "contactd: unknown command '%s'\nTry 'contactd help'.\n", cmd);
    return 2;
}
