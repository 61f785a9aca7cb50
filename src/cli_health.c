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
    snprintf(t->port, sizeof t->port, "%.*s", (int)pl, port ? port : "80");
    if (!port || pl == 0)
        snprintf(t->port, sizeof t->port, "80");
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

int cli_healthcheck_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"url", required_argument, NULL, 'u'},
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char url[1400] = "";
    bool url_given = false;
    unsigned long timeout_s = 5;
    optind = 0;
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
        const char *arg = argv[optind - 1];
        int len = (int)strcspn(arg, "=");
        if (opt == 'h') {
            fputs(cli_help_text(CMD), stdout);
            return 0;
        } else if (opt == 'u') {
            snprintf(url, sizeof url, "%s", optarg);
            url_given = true;
        } else if (opt == 't') {
            if (cli_parse_uint(CMD, "--timeout", optarg, 1, 300, &timeout_s) != 0)
                return 2;
        } else if (opt == ':') {
            return cli_usage_error(CMD, "option '%.*s' needs a value", len, arg);
        } else {
            return cli_usage_error(CMD, "unknown option '%.*s'", len, arg);
        }
    }
    if (optind < argc)
        return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!url_given && default_url(url, sizeof url) != 0)
        return 2;
    target t;
    if (parse_url(url, &t) != 0)
        return 2;
    return check(&t, (int)timeout_s);
}
