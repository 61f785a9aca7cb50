/* Unit tests of core/membudget: all-or-nothing admission, charges past the limit that
 * block admission until given back, no limit, and no lost update under two threads. */
#include <pthread.h>
#include <stdint.h>

#include "check.h"
#include "core/membudget.h"

static void test_take_charge_give(void)
{
    membudget b;
    membudget_init(&b, 100);
    CHECK(membudget_take(&b, 60));
    CHECK(!membudget_take(&b, 41)); /* all or nothing */
    CHECK_INT(membudget_used(&b), 60);
    CHECK(membudget_take(&b, 40));
    CHECK(!membudget_take(&b, 1));
    membudget_charge(&b, 50); /* admitted work needs more: past the limit */
    CHECK_INT(membudget_used(&b), 150);
    CHECK(!membudget_take(&b, 1)); /* over the limit: nothing is admitted */
    membudget_give(&b, 60);
    CHECK(!membudget_take(&b, 11)); /* 90 used: 101 would not fit */
    CHECK(membudget_take(&b, 10));
    CHECK_INT(membudget_used(&b), 100);
    membudget_give(&b, 100);
    CHECK_INT(membudget_used(&b), 0);

    membudget none;
    membudget_init(&none, 0);
    CHECK(membudget_take(&none, INT64_MAX / 2));
}

static void *churn(void *arg)
{
    membudget *b = arg;
    for (int i = 0; i < 100000; i++) {
        if (membudget_take(b, 3))
            membudget_give(b, 3);
        membudget_charge(b, 1);
        membudget_give(b, 1);
    }
    return NULL;
}

static void test_threads(void)
{
    membudget b;
    membudget_init(&b, 10);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        REQUIRE(pthread_create(&t[i], NULL, churn, &b) == 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    CHECK_INT(membudget_used(&b), 0);
}

int main(void)
{
    RUN(test_take_charge_give);
    RUN(test_threads);
    return check_summary("test_membudget");
}
