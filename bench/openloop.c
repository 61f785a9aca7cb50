/*
 * openloop: request -> job-completed latency of contactd at a fixed offered load.
 *
 *   BENCH_API_KEY=SG.x.y openloop --port P [--host 127.0.0.1] [--rate 1000] [--seconds 8]
 *       [--poll-ms 5] [--timeout-ms 10000] [--max-conns 512] [--tag T] --out FILE
 *
 * Open loop: job i is due at t0 + i/rate and is sent then whatever happened to the jobs
 * before it (no coordinated omission; latencies are taken from the due time, and the send
 * lag is reported). Each job is a PUT /v3/marketing/contacts of one new contact; after its
 * 202 the job is polled with GET /v3/marketing/contacts/imports/{id}, the first poll at
 * once and then every --poll-ms from the previous poll's start, until it is `completed`
 * with created_count 1. Requests go over keep-alive HTTP/1.1 connections from a pool that
 * grows (up to --max-conns) whenever a request is due and every connection is busy.
 * Written in C with epoll so that the client's own CPU stays small next to the server's
 * on a 2-core machine (a Node client needed about twice the server's CPU at 1,000 jobs/s).
 *
 * Writes a JSON object to --out; exit 0 when every job completed, 1 otherwise, 2 on a
 * usage or set-up error. Every job has a deadline (--timeout-ms from its due time) and the
 * whole run one of --seconds + --timeout-ms + 5 s.
 * Built by CMake with -DCONTACTD_BENCH=ON (target bench_helpers; bench/run does it).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { J_DUE, J_PUT, J_WAIT, J_POLL, J_DONE, J_FAILED };

typedef struct job {
    int state;
    int polls;
    double t_due, t_send, t_202, t_done, t_poll_start, next_poll;
    char id[40];
} job;

typedef struct conn {
    int fd;
    int connected;
    job *job; /* in flight, or NULL when idle */
    int is_put;
    char wbuf[1024];
    size_t wlen, woff;
    char rbuf[16384];
    size_t rlen;
    struct conn *next_idle;
} conn;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- queues of job pointers (ring buffers) ---------------------------------------------- */

typedef struct queue {
    job **v;
    size_t cap, head, len;
} queue;

static void q_push(queue *q, job *j)
{
    if (q->len == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 1024;
        job **v = malloc(cap * sizeof *v);
        if (!v)
            abort();
        for (size_t i = 0; i < q->len; i++)
            v[i] = q->v[(q->head + i) % q->cap];
        free(q->v);
        q->v = v;
        q->cap = cap;
        q->head = 0;
    }
    q->v[(q->head + q->len) % q->cap] = j;
    q->len++;
}

static job *q_peek(queue *q)
{
    return q->len ? q->v[q->head] : NULL;
}

static job *q_pop(queue *q)
{
    if (!q->len)
        return NULL;
    job *j = q->v[q->head];
    q->head = (q->head + 1) % q->cap;
    q->len--;
    return j;
}

/* ---- state ------------------------------------------------------------------------------- */

static struct sockaddr_in addr;
static const char *key, *tag;
static char hosthdr[64];
static double poll_ms = 5, timeout_ms = 10000;
static int epfd;
static conn *idle;
static int nconns, max_conns = 512, conns_opened, conn_errors;
static queue ready;   /* jobs with a request to send now */
static queue waiting; /* jobs waiting for their next poll, in next_poll order (nearly) */
static job *jobs;
static long njobs, finished;
static char first_error[300];

/* The first failure is kept as "what: detail" (or just "what" when detail is empty). */
static void fail(job *j, const char *what, const char *detail)
{
    if (j->state == J_DONE || j->state == J_FAILED)
        return;
    j->state = J_FAILED;
    finished++;
    if (!first_error[0])
        snprintf(first_error, sizeof first_error, "%s%s%s", what, *detail ? ": " : "", detail);
}

static conn *conn_open(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return NULL;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0 && errno != EINPROGRESS) {
        close(fd);
        conn_errors++;
        return NULL;
    }
    conn *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    c->fd = fd;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP, .data.ptr = c};
    epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
    nconns++;
    conns_opened++;
    return c;
}

static void conn_drop(conn *c, const char *why)
{
    if (c->job)
        fail(c->job, "connection lost with a request in flight", why);
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    /* remove from the idle list if it is there */
    for (conn **p = &idle; *p; p = &(*p)->next_idle) {
        if (*p == c) {
            *p = c->next_idle;
            break;
        }
    }
    free(c);
    nconns--;
    conn_errors++;
}

static void conn_flush(conn *c)
{
    while (c->woff < c->wlen) {
        ssize_t n = write(c->fd, c->wbuf + c->woff, c->wlen - c->woff);
        if (n > 0) {
            c->woff += (size_t)n;
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            return;
        } else {
            conn_drop(c, "write failed");
            return;
        }
    }
}

/* Put job j's next request (PUT for a due job, GET for a poll) on connection c. */
static void conn_start(conn *c, job *j, double now)
{
    c->job = j;
    c->rlen = 0;
    c->woff = 0;
    int n;
    if (j->state == J_DUE) {
        char body[400];
        long i = j - jobs;
        int blen = snprintf(
            body, sizeof body,
            "{\"contacts\":[{\"email\":\"o%ld.%s@bench.example.com\",\"external_id\":\"o-%s-%ld\","
            "\"first_name\":\"Open%ld\"}]}",
            i, tag, tag, i, i);
        n = snprintf(
            c->wbuf, sizeof c->wbuf,
            "PUT /v3/marketing/contacts HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"
            "Accept: application/json\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
            hosthdr, key, blen, body);
        j->state = J_PUT;
        j->t_send = now;
        c->is_put = 1;
    } else {
        n = snprintf(c->wbuf, sizeof c->wbuf,
                     "GET /v3/marketing/contacts/imports/%s HTTP/1.1\r\nHost: %s\r\n"
                     "Authorization: Bearer %s\r\nAccept: application/json\r\n\r\n",
                     j->id, hosthdr, key);
        j->state = J_POLL;
        j->t_poll_start = now;
        j->polls++;
        c->is_put = 0;
    }
    c->wlen = (size_t)n;
    if (c->connected)
        conn_flush(c);
}

/* A complete response on c: status code and body. */
static void on_response(conn *c, int status, const char *body, size_t blen, double now)
{
    job *j = c->job;
    c->job = NULL;
    c->next_idle = idle;
    idle = c;
    if (!j || j->state == J_FAILED)
        return;
    char tmp[200];
    if (c->is_put) {
        const char *p = memmem(body, blen, "\"job_id\":\"", 10);
        if (status != 202 || !p || (size_t)(body + blen - p) < 10 + 36) {
            snprintf(tmp, sizeof tmp, "%d %.*s", status, (int)(blen < 120 ? blen : 120), body);
            fail(j, "PUT answered", tmp);
            return;
        }
        memcpy(j->id, p + 10, 36);
        j->id[36] = '\0';
        j->t_202 = now;
        j->state = J_WAIT;
        j->next_poll = now;
        q_push(&ready, j); /* first poll at once */
        return;
    }
    if (status != 200) {
        snprintf(tmp, sizeof tmp, "%d", status);
        fail(j, "poll answered", tmp);
        return;
    }
    if (memmem(body, blen, "\"status\":\"pending\"", 18)) {
        if (now - j->t_due > timeout_ms) {
            fail(j, "job still pending after the deadline", "");
            return;
        }
        j->state = J_WAIT;
        j->next_poll = j->t_poll_start + poll_ms;
        q_push(&waiting, j);
        return;
    }
    if (memmem(body, blen, "\"status\":\"completed\"", 20) &&
        memmem(body, blen, "\"created_count\":1", 17)) {
        j->state = J_DONE;
        j->t_done = now;
        finished++;
        return;
    }
    snprintf(tmp, sizeof tmp, "%.*s", (int)(blen < 150 ? blen : 150), body);
    fail(j, "job did not complete as expected", tmp);
}

/* Parse as much of c's read buffer as forms a response. */
static void conn_parse(conn *c, double now)
{
    char *hdr_end = memmem(c->rbuf, c->rlen, "\r\n\r\n", 4);
    if (!hdr_end)
        return;
    int status = 0;
    if (sscanf(c->rbuf, "HTTP/1.%*d %d", &status) != 1) {
        conn_drop(c, "bad status line");
        return;
    }
    long clen = -1;
    for (char *p = c->rbuf; p < hdr_end; p++) {
        if ((p == c->rbuf || p[-1] == '\n') && strncasecmp(p, "content-length:", 15) == 0) {
            clen = strtol(p + 15, NULL, 10);
            break;
        }
    }
    if (clen < 0) {
        conn_drop(c, "no Content-Length in the response");
        return;
    }
    size_t hlen = (size_t)(hdr_end - c->rbuf) + 4;
    if (hlen + (size_t)clen > sizeof c->rbuf) {
        conn_drop(c, "response too large");
        return;
    }
    if (c->rlen < hlen + (size_t)clen)
        return;
    on_response(c, status, c->rbuf + hlen, (size_t)clen, now);
    c->rlen = 0;
}

static void conn_event(conn *c, uint32_t events, double now)
{
    if (!c->connected && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) {
            conn_drop(c, strerror(err));
            return;
        }
        c->connected = 1;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
        epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
        if (c->job)
            conn_flush(c);
        else {
            c->next_idle = idle;
            idle = c;
        }
        return;
    }
    if (events & EPOLLIN) {
        for (;;) {
            ssize_t n = read(c->fd, c->rbuf + c->rlen, sizeof c->rbuf - c->rlen);
            if (n > 0) {
                c->rlen += (size_t)n;
                if (c->rlen == sizeof c->rbuf)
                    break;
            } else if (n == 0) {
                conn_drop(c, "closed by the server");
                return;
            } else if (errno == EAGAIN || errno == EINTR) {
                break;
            } else {
                conn_drop(c, "read failed");
                return;
            }
        }
        if (c->job)
            conn_parse(c, now);
        else if (c->rlen) {
            conn_drop(c, "unexpected data");
            return;
        }
    }
    if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        conn_drop(c, "closed by the server");
}

/* ---- statistics ------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* {"n":..,"min":..,"p50":..,"p90":..,"p99":..,"max":..,"mean":..}, nearest rank */
static void stats(FILE *f, const char *name, double *v, long n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    double sum = 0;
    for (long i = 0; i < n; i++)
        sum += v[i];
#define RANK(p)                                                                                     \
    (n ? v[(long)((p) / 100.0 * n + 0.999999) - 1 < 0 ? 0 : (long)((p) / 100.0 * n + 0.999999) - 1] \
       : 0)
    fprintf(
        f,
        "\"%s\":{\"n\":%ld,\"min\":%.3f,\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f,\"mean\":%.3f}",
        name, n, n ? v[0] : 0, RANK(50), RANK(90), RANK(99), n ? v[n - 1] : 0, n ? sum / n : 0);
#undef RANK
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1", *out = NULL;
    int port = 0;
    double rate = 1000, seconds = 8;
    tag = "t";
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *o = argv[i], *v = argv[i + 1];
        if (!strcmp(o, "--host"))
            host = v;
        else if (!strcmp(o, "--port"))
            port = atoi(v);
        else if (!strcmp(o, "--rate"))
            rate = atof(v);
        else if (!strcmp(o, "--seconds"))
            seconds = atof(v);
        else if (!strcmp(o, "--poll-ms"))
            poll_ms = atof(v);
        else if (!strcmp(o, "--timeout-ms"))
            timeout_ms = atof(v);
        else if (!strcmp(o, "--max-conns"))
            max_conns = atoi(v);
        else if (!strcmp(o, "--tag"))
            tag = v;
        else if (!strcmp(o, "--out"))
            out = v;
        else {
            fprintf(stderr, "openloop: unknown option %s\n", o);
            return 2;
        }
    }
    key = getenv("BENCH_API_KEY");
    if (!port || !out || !key || rate <= 0 || seconds <= 0 || max_conns < 1) {
        fprintf(
            stderr,
            "usage: BENCH_API_KEY=... openloop --port P --out FILE [--rate R] [--seconds S] ...\n");
        return 2;
    }
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
        fprintf(stderr, "openloop: --host must be an IPv4 address\n");
        return 2;
    }
    snprintf(hosthdr, sizeof hosthdr, "%s:%d", host, port);
    if (strlen(key) > 300) {
        fprintf(stderr, "openloop: BENCH_API_KEY is too long\n");
        return 2;
    }
    epfd = epoll_create1(EPOLL_CLOEXEC);
    njobs = (long)(rate * seconds + 0.5);
    jobs = calloc((size_t)njobs, sizeof *jobs);
    if (!jobs)
        abort();
    double interval = 1000.0 / rate;

    /* A few connections up front, so that the first jobs do not all pay a connect. */
    for (int i = 0; i < 16 && i < max_conns; i++)
        conn_open();
    double warm_end = now_ms() + 200;
    while (now_ms() < warm_end) {
        struct epoll_event evs[64];
        int n = epoll_wait(epfd, evs, 64, 10);
        for (int i = 0; i < n; i++)
            conn_event(evs[i].data.ptr, evs[i].events, now_ms());
    }

    double t0 = now_ms();
    double deadline = t0 + seconds * 1000 + timeout_ms + 5000;
    long next = 0;
    double last_send = t0;
    int timed_out = 0;
    double last_scan = t0;
    while (finished < njobs) {
        double now = now_ms();
        if (now > deadline) {
            timed_out = 1;
            break;
        }
        while (next < njobs && t0 + (double)next * interval <= now) {
            jobs[next].t_due = t0 + (double)next * interval;
            jobs[next].state = J_DUE;
            q_push(&ready, &jobs[next]);
            next++;
        }
        while (q_peek(&waiting) && q_peek(&waiting)->next_poll <= now)
            q_push(&ready, q_pop(&waiting));
        while (q_peek(&ready)) {
            job *j = q_peek(&ready);
            if (j->state == J_FAILED) {
                q_pop(&ready);
                continue;
            }
            conn *c = idle;
            if (c) {
                idle = c->next_idle;
            } else if (nconns < max_conns) {
                c = conn_open();
                if (!c)
                    break;
            } else {
                break;
            }
            q_pop(&ready);
            if (j->state == J_DUE)
                last_send = now;
            conn_start(c, j, now);
        }
        /* Sleep until the next due job or poll, at most 1 ms (epoll's resolution). */
        double wake = deadline;
        if (next < njobs)
            wake = t0 + (double)next * interval;
        if (q_peek(&waiting) && q_peek(&waiting)->next_poll < wake)
            wake = q_peek(&waiting)->next_poll;
        int timeout = wake - now <= 0 ? 0 : wake - now < 1 ? 1 : (int)(wake - now);
        if (timeout > 100)
            timeout = 100;
        if (q_peek(&ready) && idle)
            timeout = 0;
        struct epoll_event evs[256];
        int n = epoll_wait(epfd, evs, 256, timeout);
        now = now_ms();
        for (int i = 0; i < n; i++)
            conn_event(evs[i].data.ptr, evs[i].events, now);
        /* Every 100 ms, jobs past their deadline: failed (a request in flight keeps its
         * connection busy until it answers or the run ends). */
        if (now - last_scan < 100)
            continue;
        last_scan = now;
        for (long i = 0; i < next; i++) {
            job *j = &jobs[i];
            if ((j->state == J_WAIT || j->state == J_DUE) && now - j->t_due > timeout_ms)
                fail(j, "job not completed within the deadline", "");
        }
    }

    long nacc = 0, ndone = 0, nfirst = 0;
    double *lag = calloc((size_t)njobs + 1, sizeof(double)),
           *to202 = calloc((size_t)njobs + 1, sizeof(double));
    double *todone = calloc((size_t)njobs + 1, sizeof(double)),
           *fromsend = calloc((size_t)njobs + 1, sizeof(double));
    double *polls = calloc((size_t)njobs + 1, sizeof(double));
    double last202 = t0, lastdone = t0;
    long nsent = 0, nlag = 0;
    for (long i = 0; i < next; i++) {
        job *j = &jobs[i];
        if (j->t_send > 0) {
            lag[nlag++] = j->t_send - j->t_due;
            nsent++;
        }
        if (j->t_202 > 0) {
            to202[nacc++] = j->t_202 - j->t_due;
            if (j->t_202 > last202)
                last202 = j->t_202;
        }
        if (j->state == J_DONE) {
            todone[ndone] = j->t_done - j->t_due;
            fromsend[ndone] = j->t_done - j->t_send;
            polls[ndone] = j->polls;
            ndone++;
            if (j->polls == 1)
                nfirst++;
            if (j->t_done > lastdone)
                lastdone = j->t_done;
        }
    }
    FILE *f = fopen(out, "w");
    if (!f) {
        perror(out);
        return 2;
    }
    double send_window = (last_send - t0) / 1000;
    fprintf(f,
            "{\"rate\":%.1f,\"seconds\":%.1f,\"jobs\":%ld,\"pollMs\":%.1f,\"sent\":%ld,"
            "\"sendRate\":%.1f,\"acceptedRate\":%.1f,\"completedRate\":%.1f,\"accepted\":%ld,"
            "\"completed\":%ld,\"failures\":%ld,\"firstPollCompleted\":%ld,\"connections\":%d,"
            "\"connectionErrors\":%d,\"timedOut\":%s,\"firstError\":\"",
            rate, seconds, njobs, poll_ms, nsent,
            nsent > 1 && send_window > 0 ? (nsent - 1) / send_window : 0,
            last202 > t0 ? nacc / ((last202 - t0) / 1000) : 0,
            lastdone > t0 ? ndone / ((lastdone - t0) / 1000) : 0, nacc, ndone, njobs - ndone,
            nfirst, conns_opened, conn_errors, timed_out ? "true" : "false");
    for (const char *p = first_error; *p; p++)
        fprintf(f, (*p == '"' || *p == '\\') ? "\\%c" : (unsigned char)*p < 0x20 ? " " : "%c", *p);
    fprintf(f, "\",");
    stats(f, "lag", lag, nlag);
    fputc(',', f);
    stats(f, "to202", to202, nacc);
    fputc(',', f);
    stats(f, "toCompleted", todone, ndone);
    fputc(',', f);
    stats(f, "sendToCompleted", fromsend, ndone);
    fputc(',', f);
    stats(f, "polls", polls, ndone);
    fprintf(f, "}\n");
    fclose(f);
    fprintf(stderr, "[bench] open loop: %ld jobs offered at %.0f/s, %ld completed, %ld failed%s%s\n",
            njobs, rate, ndone, njobs - ndone, first_error[0] ? "; first error: " : "", first_error);
    return ndone == njobs ? 0 : 1;
}
