/*
 * cli_health: `contactd healthcheck`, a container HEALTHCHECK without curl. One GET over
 * a plain socket (HTTP/1.0, so the server closes after the answer), bounded by a
 * timeout on connect, send and receive; the status line decides the exit code.
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "cli.h"

#define CMD "healthcheck"

typedef struct target {
    char host[256], port[8], path[1024];
} target;

/* http://HOST[:PORT][/PATH] into t; 0, or 2 after printing why. */
static int parse_url(const char *url, target *t)
{
    if (strncmp(url, "https://", 8) == 0)
        return cli_usage_error(CMD, "--url: '%s': healthcheck speaks plain HTTP only", url);
    if (strncmp(url, "http://", 7) != 0)
        return cli_usage_error(CMD, "--url: '%s' is not an http:// URL", url);
    const char *h = url + 7, *end = h + strcspn(h, "/");
    const char *port = NULL, *hend = end;
    if (*h == '[') {
        const char *close = memchr(h, ']', (size_t)(end - h));
        if (!close)
            return cli_usage_error(CMD, "--url: '%s' has no closing ']'", url);
        if (close + 1 < end && close[1] == ':')
            port = close + 2;
        h++;
        hend = close;
    } else {
        const char *colon = memchr(h, ':', (size_t)(end - h));
        if (colon) {
            port = colon + 1;
            hend = colon;
        }
    }
    size_t hl = (size_t)(hend - h), pl = port ? (size_t)(end - port) : 0;
    if (hl == 0 || hl >= sizeof t->host || pl >= sizeof t->port || strlen(end) >= sizeof t->path)
        return cli_usage_error(CMD, "--url: '%s' is not http://HOST[:PORT][/PATH]", url);
    memcpy(t->host, h, hl);
    t->host[hl] = '\0';
    snprintf(t->port, sizeof t->port, "%.*s", (int)(pl ? pl : 2), pl ? port : "80");
    snprintf(t->path, sizeof t->path, "%s", *end ? end : "/");
    return 0;
}

/* The default: /readyz at the listen address, wildcard addresses asked on the loopback.
 * 0, or 2 when CONTACTD_LISTEN is not a listen address. */
static int default_url(char *out, size_t size)
{
    const char *listen =
        cli_env("CONTACTD_LISTEN") ? cli_env("CONTACTD_LISTEN") : CLI_DEFAULT_LISTEN;
    if (cli_check_listen(CMD, "CONTACTD_LISTEN", listen) != 0)
        return 2;
    const char *colon = strrchr(listen, ':');
    int hl = colon ? (int)(colon - listen) : 0;
    const char *port = colon ? colon + 1 : "3000";
    if (hl == 0 || strncmp(listen, "0.0.0.0:", 8) == 0)
        snprintf(out, size, "http://127.0.0.1:%s/readyz", port);
    else if (strncmp(listen, "[::]:", 5) == 0)
        snprintf(out, size, "http://[::1]:%s/readyz", port);
    else
        snprintf(out, size, "http://%.*s:%s/readyz", hl, listen, port);
    return 0;
}

static int connect_to(const target *t, int timeout_s)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(t->host, t->port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "contactd: healthcheck: %s: %s\n", t->host, gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0)
            continue;
        struct timeval tv = {.tv_sec = timeout_s};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv); /* bounds connect too */
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0)
        fprintf(stderr, "contactd: healthcheck: cannot connect to %s:%s: %s\n", t->host, t->port,
                strerror(errno));
    return fd;
}

/* 0 when the answer is 2xx, 1 otherwise. */
static int check(const target *t, int timeout_s)
{
    int fd = connect_to(t, timeout_s);
    if (fd < 0)
        return 1;
    char req[1400];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.0\r\nHost: %s:%s\r\nUser-Agent: contactd-healthcheck\r\n\r\n",
                     t->path, t->host, t->port);
    char buf[4096];
    size_t got = 0;
    ssize_t r = send(fd, req, (size_t)n, MSG_NOSIGNAL);
    while (r >= 0 && got < sizeof buf - 1 && (r = recv(fd, buf + got, sizeof buf - 1 - got, 0)) > 0)
        got += (size_t)r;
    close(fd);
    buf[got] = '\0';
    unsigned status = 0;
    if (sscanf(buf, "HTTP/%*d.%*d %u", &status) != 1) {
        fprintf(stderr, "contactd: healthcheck: no HTTP answer from %s:%s%s\n", t->host, t->port,
                t->path);
        return 1;
    }
    const char *body = strstr(buf, "\r\n\r\n");
    printf("%u %s\n", status, body ? body + 4 : "");
    return status >= 200 && status < 300 ? 0 : 1;
}

enum { OPT_URL = 256, OPT_TIMEOUT };

static const struct option LONG_OPTS[] = {
    {"url", required_argument, NULL, OPT_URL},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct health_args {
    char url[1400];
    unsigned long timeout_s;
    bool url_given, help;
} health_args;

static int on_option(void *ctx, int opt, const char *flag, const char *value)
{
    health_args *a = ctx;
    if (opt == OPT_TIMEOUT)
        return cli_parse_uint(CMD, flag, value, 1, 300, &a->timeout_s);
    snprintf(a->url, sizeof a->url, "%s", value);
    a->url_given = true;
    return 0;
}

int cli_healthcheck_main(int argc, char **argv)
{
    health_args a = {.timeout_s = 5};
    int first, rc = cli_getopt(CMD, argc, argv, LONG_OPTS, on_option, &a, &a.help, &first);
    if (rc != 0)
        return rc;
    if (a.help) {
        fputs(cli_help_text(CMD), stdout);
        return 0;
    }
    if (first < argc)
        return cli_usage_error(CMD, "unexpected argument '%s'", argv[first]);
    if (!a.url_given && default_url(a.url, sizeof a.url) != 0)
        return 2;
    target t;
    if (parse_url(a.url, &t) != 0)
        return 2;
    return check(&t, (int)a.timeout_s);
}
