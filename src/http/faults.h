/*
 * faults: injected failures for tests (the admin API's /_contactd/faults), per node and
 * in memory only.
 *
 * A fault matches /v3/ requests by method and path (exact, or a prefix when the pattern
 * ends in '*'), optionally of one account. A matching request waits delay_ms, then either
 * is answered `status` with SendGrid's error body for it, before its handler runs (so it
 * has no effect), or, with status 0, goes on normally (a slow request). A fault fires
 * `times` times (0: without end), each time with the given probability.
 *
 * Thread-safe; the table owns copies of every string it is given.
 */
#ifndef CONTACTD_HTTP_FAULTS_H
#define CONTACTD_HTTP_FAULTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define FAULT_ID_LEN 16
#define FAULTS_MAX 256
#define FAULT_PATH_MAX 1024

typedef struct fault_spec {
    char method[16];           /* "GET", ..., or "*" for every method */
    char path[FAULT_PATH_MAX]; /* exact, or a prefix when it ends in an asterisk */
    unsigned status;           /* 0: delay only */
    int64_t times;             /* 0: every time */
    double probability;        /* in (0, 1] */
    unsigned delay_ms;
    int64_t account;          /* 0: any */
    const char *account_name; /* shown back; NULL for any */
} fault_spec;

typedef struct fault_hit {
    unsigned status; /* 0: no reply of the fault's own */
    unsigned delay_ms;
} fault_hit;

typedef struct http_faults http_faults;

http_faults *faults_new(void);
void faults_free(http_faults *f);
/* 0 with the new id, or -1 when the table is full. */
int faults_add(http_faults *f, const fault_spec *spec, char id[FAULT_ID_LEN + 1]);
/* 0, or -1 when no fault has that id. */
int faults_remove(http_faults *f, const char *id);
void faults_clear(http_faults *f);
/* [{"id","method","path","status","times","probability","delay_ms","account","fired"}] */
json_t *faults_list(http_faults *f);
/* Whether a fault fires for this request (counted as fired when it does). */
bool faults_match(http_faults *f, const char *method, const char *path, int64_t account,
                  fault_hit *out);
/* The message SendGrid's error body carries for status. */
const char *faults_message(unsigned status);

#endif
