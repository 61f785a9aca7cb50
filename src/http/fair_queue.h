/*
 * fair_queue: the waiting room of the slow-route pool (http/server.c), scheduled per
 * account.
 *
 * Each account has a FIFO of waiting items and at most one item running. Accounts with
 * waiting work and none running take turns (round-robin): fair_queue_pop hands out the
 * oldest item of the account whose turn it is, and that account goes to the back of the
 * line once fair_queue_done says its item finished. So one account's burst of heavy
 * searches occupies at most one worker, and another account's request waits for at most
 * one turn of each account ahead of it, not for the burst.
 *
 * An account may have at most `depth` items waiting besides one running (depth + 1 in
 * all, however far the workers got); fair_queue_push refuses more, and the caller
 * answers 429.
 *
 * Not thread-safe: the caller holds its own lock around every call. Items are the
 * caller's; the queue only keeps pointers to them (and small nodes of its own, freed as
 * items leave).
 */
#ifndef CONTACTD_HTTP_FAIR_QUEUE_H
#define CONTACTD_HTTP_FAIR_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fair_queue fair_queue;

fair_queue *fair_queue_new(unsigned depth);
/* Frees the queue's own memory; items still waiting are forgotten, not freed. */
void fair_queue_free(fair_queue *q);
/* Queue item for account; false (nothing queued) when the account has depth + 1 items
 * waiting or running already. */
bool fair_queue_push(fair_queue *q, int64_t account, void *item);
/* Whether fair_queue_push would refuse an item of account now (a request can be refused
 * before its body is read; the push still decides). */
bool fair_queue_full(fair_queue *q, int64_t account);
/* The next item to run, its account marked running; NULL when every account with
 * waiting work has one running already (or nothing waits). */
void *fair_queue_pop(fair_queue *q, int64_t *account);
/* The running item of account finished: the account may run its next one. */
void fair_queue_done(fair_queue *q, int64_t account);
/* Items waiting, all accounts together (for /metrics). */
size_t fair_queue_waiting(const fair_queue *q);

#endif
