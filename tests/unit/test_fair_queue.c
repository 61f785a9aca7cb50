/* Unit tests of http/fair_queue: one running item per account, round-robin between
 * accounts with waiting work, and the per-account depth. Items are plain ints. */
#include <stdint.h>

#include "check.h"
#include "http/fair_queue.h"

static int items[16];

/* The next item's index in items[] and its account; -1 when none may run. */
static int pop(fair_queue *q, int64_t *account)
{
    int *it = fair_queue_pop(q, account);
    return it ? (int)(it - items) : -1;
}

static void test_one_running_per_account(void)
{
    fair_queue *q = fair_queue_new(8);
    for (int i = 0; i < 4; i++)
        CHECK(fair_queue_push(q, 1, &items[i]));
    int64_t acc = 0;
    CHECK_INT(pop(q, &acc), 0);
    CHECK_INT(acc, 1);
    /* Account 1 runs item 0: its others wait, whatever the free workers. */
    CHECK_INT(pop(q, &acc), -1);
    CHECK_INT(fair_queue_waiting(q), 3);
    fair_queue_done(q, 1);
    CHECK_INT(pop(q, &acc), 1);
    fair_queue_done(q, 1);
    CHECK_INT(pop(q, &acc), 2);
    fair_queue_done(q, 1);
    CHECK_INT(pop(q, &acc), 3);
    fair_queue_done(q, 1);
    CHECK_INT(pop(q, &acc), -1);
    CHECK_INT(fair_queue_waiting(q), 0);
    fair_queue_free(q);
}

static void test_round_robin(void)
{
    fair_queue *q = fair_queue_new(8);
    /* A's burst arrives first, then one request of B and one of C. */
    for (int i = 0; i < 4; i++)
        fair_queue_push(q, 10, &items[i]);
    fair_queue_push(q, 20, &items[4]);
    fair_queue_push(q, 30, &items[5]);
    int64_t acc;
    CHECK_INT(pop(q, &acc), 0); /* A */
    CHECK_INT(pop(q, &acc), 4); /* B, before A's second */
    CHECK_INT(pop(q, &acc), 5); /* C */
    CHECK_INT(pop(q, &acc), -1);
    /* B arrives again while A finishes: A's next and B's next alternate. */
    fair_queue_push(q, 20, &items[6]);
    fair_queue_done(q, 10);
    fair_queue_done(q, 20);
    CHECK_INT(pop(q, &acc), 1);
    CHECK_INT(acc, 10);
    CHECK_INT(pop(q, &acc), 6);
    CHECK_INT(acc, 20);
    fair_queue_done(q, 30);
    fair_queue_done(q, 20);
    fair_queue_done(q, 10);
    CHECK_INT(pop(q, &acc), 2);
    fair_queue_free(q); /* with items still waiting: nothing leaks */
}

static void test_depth(void)
{
    fair_queue *q = fair_queue_new(2);
    int64_t acc;
    /* depth 2: three in all, whether or not a worker took the first one yet. */
    CHECK(fair_queue_push(q, 5, &items[0]));
    CHECK(fair_queue_push(q, 5, &items[1]));
    CHECK(!fair_queue_full(q, 5));
    CHECK(fair_queue_push(q, 5, &items[2]));
    CHECK(fair_queue_full(q, 5)); /* what the push below will say, asked beforehand */
    CHECK(!fair_queue_full(q, 6));
    CHECK(!fair_queue_push(q, 5, &items[3]));
    CHECK_INT(pop(q, &acc), 0);
    CHECK(!fair_queue_push(q, 5, &items[3])); /* running counts */
    CHECK(fair_queue_push(q, 6, &items[3]));  /* another account has its own depth */
    fair_queue_done(q, 5);
    CHECK(fair_queue_push(q, 5, &items[4])); /* room again once one finished */
    CHECK(!fair_queue_push(q, 5, &items[5]));
    CHECK_INT(pop(q, &acc), 3); /* account 6 was in line before 5 came back */
    CHECK_INT(pop(q, &acc), 1);
    fair_queue_free(q);
    /* depth 0: one at a time, no waiting; a refused idle account leaves nothing behind. */
    fair_queue *z = fair_queue_new(0);
    CHECK(fair_queue_push(z, 7, &items[0]));
    CHECK(!fair_queue_push(z, 7, &items[1]));
    CHECK_INT(pop(z, &acc), 0);
    CHECK(!fair_queue_push(z, 7, &items[1]));
    fair_queue_done(z, 7);
    CHECK(fair_queue_push(z, 7, &items[1]));
    fair_queue_free(z);
}

/* Accounts that share a hash bucket stay apart. */
static void test_collisions(void)
{
    fair_queue *q = fair_queue_new(1);
    CHECK(fair_queue_push(q, 3, &items[0]));
    CHECK(fair_queue_push(q, 3 + 256, &items[1]));
    CHECK(fair_queue_push(q, 3 + 512, &items[2]));
    int64_t acc;
    CHECK_INT(pop(q, &acc), 0);
    CHECK_INT(pop(q, &acc), 1);
    CHECK_INT(acc, 3 + 256);
    fair_queue_done(q, 3);
    CHECK_INT(pop(q, &acc), 2);
    CHECK_INT(acc, 3 + 512);
    fair_queue_done(q, 3 + 256);
    fair_queue_done(q, 3 + 512);
    CHECK_INT(pop(q, &acc), -1);
    fair_queue_free(q);
}

int main(void)
{
    RUN(test_one_running_per_account);
    RUN(test_round_robin);
    RUN(test_depth);
    RUN(test_collisions);
    return check_summary("test_fair_queue");
}
