/*
 * check: the few assertion macros the unit tests share. No framework: each test file is
 * one executable whose main() runs its cases and returns check_summary(), which is
 * non-zero when any check failed. A failed check prints file:line, the expression and
 * the values it saw, then the test carries on (REQUIRE stops it instead, for checks
 * whose failure would make the following code crash).
 */
#ifndef CONTACTD_TESTS_CHECK_H
#define CONTACTD_TESTS_CHECK_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failed_count;
static int check_total_count;
static const char *check_case_name = "";

static inline bool check_record_(bool ok, const char *file, int line)
{
    check_total_count++;
    if (!ok) {
        check_failed_count++;
        fprintf(stderr, "%s:%d: FAILED (in %s)\n", file, line, check_case_name);
    }
    return ok;
}

static inline bool check_true_(bool ok, const char *expr, const char *file, int line)
{
    if (!check_record_(ok, file, line))
        fprintf(stderr, "    expected true: %s\n", expr);
    return ok;
}

static inline bool check_int_(long long a, long long b, const char *ea, const char *eb,
                              const char *file, int line)
{
    bool ok = a == b;
    if (!check_record_(ok, file, line))
        fprintf(stderr, "    %s == %s\n    actual:   %lld\n    expected: %lld\n", ea, eb, a, b);
    return ok;
}

static inline bool check_str_(const char *a, const char *b, const char *ea, const char *eb,
                              const char *file, int line)
{
    bool ok = (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
    if (!check_record_(ok, file, line))
        fprintf(stderr, "    %s == %s\n    actual:   %s%s%s\n    expected: %s%s%s\n", ea, eb,
                a ? "\"" : "", a ? a : "(null)", a ? "\"" : "", b ? "\"" : "", b ? b : "(null)",
                b ? "\"" : "");
    return ok;
}

static inline bool check_contains_(const char *hay, const char *needle, const char *eh,
                                   const char *file, int line)
{
    bool ok = hay && strstr(hay, needle) != NULL;
    if (!check_record_(ok, file, line))
        fprintf(stderr, "    %s should contain \"%s\"\n    actual: %s\n", eh, needle,
                hay ? hay : "(null)");
    return ok;
}

static inline int check_summary(const char *name)
{
    if (check_failed_count) {
        fprintf(stderr, "%s: %d of %d checks FAILED\n", name, check_failed_count, check_total_count);
        return 1;
    }
    printf("%s: all %d checks passed\n", name, check_total_count);
    return 0;
}

#define CHECK(cond) check_true_((cond) ? true : false, #cond, __FILE__, __LINE__)
#define CHECK_INT(a, b) check_int_((long long)(a), (long long)(b), #a, #b, __FILE__, __LINE__)
#define CHECK_STR(a, b) check_str_((a), (b), #a, #b, __FILE__, __LINE__)
#define CHECK_NULL(p) check_true_((p) == NULL, #p " is NULL", __FILE__, __LINE__)
#define CHECK_CONTAINS(hay, needle) check_contains_((hay), (needle), #hay, __FILE__, __LINE__)

/* A check the rest of the test cannot do without: stop the executable when it fails. */
#define REQUIRE(cond)                                      \
    do {                                                   \
        if (!CHECK(cond)) {                                \
            fprintf(stderr, "    (required; stopping)\n"); \
            exit(1);                                       \
        }                                                  \
    } while (0)

/* Run one case, naming it in failure reports. */
#define RUN(fn)                \
    do {                       \
        check_case_name = #fn; \
        fn();                  \
    } while (0)

#endif
