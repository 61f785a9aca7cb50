/* fair_queue: see fair_queue.h. Accounts live in a small chained hash table while they
 * have an item waiting or running (so its size is bounded by the requests in flight);
 * those whose turn may come are in a FIFO line, `ready`. */
#include "http/fair_queue.h"

#include <stdlib.h>

#define BUCKETS 256

typedef struct node {
    void *item;
    struct node *next;
} node;

typedef struct account_line {
    int64_t account;
    node *head, *tail; /* waiting items, oldest first */
    unsigned waiting;
    bool running;
    struct account_line *next_ready; /* in q->ready while waiting > 0 and !running */
    struct account_line *next;       /* hash chain */
} account_line;

struct fair_queue {
    unsigned depth;
    size_t waiting;
    account_line *bucket[BUCKETS];
    account_line *ready, *ready_tail;
};

fair_queue *fair_queue_new(unsigned depth)
{
    fair_queue *q = calloc(1, sizeof *q);
    if (!q)
        abort();
    q->depth = depth;
    return q;
}

void fair_queue_free(fair_queue *q)
{
    if (!q)
        return;
    for (int i = 0; i < BUCKETS; i++) {
        account_line *a = q->bucket[i];
        while (a) {
            account_line *next = a->next;
            while (a->head) {
                node *n = a->head;
                a->head = n->next;
                free(n);
            }
            free(a);
            a = next;
        }
    }
    free(q);
}

static account_line **slot(fair_queue *q, int64_t account)
{
    account_line **pp = &q->bucket[(uint64_t)account % BUCKETS];
    while (*pp && (*pp)->account != account)
        pp = &(*pp)->next;
    return pp;
}

static void line_up(fair_queue *q, account_line *a)
{
    a->next_ready = NULL;
    if (q->ready_tail)
        q->ready_tail->next_ready = a;
    else
        q->ready = a;
    q->ready_tail = a;
}

/* Forget an account that has nothing waiting or running. */
static void drop_if_idle(fair_queue *q, account_line *a)
{
    if (a->running || a->waiting)
        return;
    account_line **pp = slot(q, a->account);
    *pp = a->next;
    free(a);
}

/* Counted with the running one: whether a worker has taken the account's first request
 * yet must not decide whether its second is refused. */
static bool line_full(const fair_queue *q, const account_line *a)
{
    return a->waiting + (a->running ? 1u : 0u) > q->depth;
}

bool fair_queue_full(fair_queue *q, int64_t account)
{
    account_line *a = *slot(q, account);
    return a && line_full(q, a); /* an account with nothing queued always has room */
}

bool fair_queue_push(fair_queue *q, int64_t account, void *item)
{
    account_line **pp = slot(q, account);
    account_line *a = *pp;
    if (!a) {
        a = calloc(1, sizeof *a);
        if (!a)
            abort();
        a->account = account;
        *pp = a;
    }
    if (line_full(q, a)) {
        drop_if_idle(q, a);
        return false;
    }
    node *n = malloc(sizeof *n);
    if (!n)
        abort();
    n->item = item;
    n->next = NULL;
    if (a->tail)
        a->tail->next = n;
    else
        a->head = n;
    a->tail = n;
    if (a->waiting++ == 0 && !a->running)
        line_up(q, a);
    q->waiting++;
    return true;
}

void *fair_queue_pop(fair_queue *q, int64_t *account)
{
    account_line *a = q->ready;
    if (!a)
        return NULL;
    q->ready = a->next_ready;
    if (!q->ready)
        q->ready_tail = NULL;
    node *n = a->head;
    a->head = n->next;
    if (!a->head)
        a->tail = NULL;
    a->waiting--;
    a->running = true;
    q->waiting--;
    void *item = n->item;
    free(n);
    *account = a->account;
    return item;
}

void fair_queue_done(fair_queue *q, int64_t account)
{
    account_line *a = *slot(q, account);
    if (!a)
        return;
    a->running = false;
    if (a->waiting)
        line_up(q, a); /* to the back: every other account's turn comes first */
    else
        drop_if_idle(q, a);
}

size_t fair_queue_waiting(const fair_queue *q)
{
    return q->waiting;
}
