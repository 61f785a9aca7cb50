/*
 * state: an account's data as one JSON document with the ids it already has, for the
 * admin API's GET/PUT /_contactd/accounts/{name}/state and for `serve --seed`:
 *
 *   {"lists": [{"id", "name"}],
 *    "custom_fields": [{"id": "e<N>_<T|N|D>", "name", "field_type"}],
 *    "contacts": [ContactDetails3 with custom_fields keyed by field id],
 *    "segments": [{"id", "name", "query_dsl", "parent_list_ids": [] or [a list id]}]}
 *
 * state_parse validates a document as the API validates each part (a contact as an
 * upsert record of PUT /contacts, with its own id, list_ids and timestamps; a segment as
 * POST /segments/2.0, its query compiled against the document's custom fields and its
 * parent list one of the document's), naming the bad entry ("contacts[3].email",
 * "lists[1].id", "segments[2].query_dsl"); state_apply replaces the account's data with it
 * inside the caller's transaction, and queues one evaluation job per segment there, so
 * that membership is exact once the account's jobs are done. state_export lists lists and
 * segments by id, so that a round trip is exact.
 *
 * Ownership: a parsed state lives in the arena given to state_parse.
 */
#ifndef CONTACTD_API_STATE_H
#define CONTACTD_API_STATE_H

#include <jansson.h>

#include "core/arena.h"
#include "core/csv.h"
#include "core/errlist.h"
#include "store/store.h"

typedef struct state_doc state_doc;

/* The parsed document, or NULL when errs gained entries; field names start with prefix
 * ("" or e.g. "accounts.acme."). */
state_doc *state_parse(const json_t *root, const char *prefix, arena *a, errlist *errs);
/* Release what a parsed state holds beyond its arena (the decoded contacts). */
void state_free(state_doc *d);
/* Replace the account's data. STORE_CONFLICT names the contact that broke a uniqueness
 * rule (two contacts with one identifier) in *bad (its index). */
int state_apply(store_tx *tx, int64_t account, const state_doc *d, size_t *bad);
/* The account's state, or NULL when the store cannot be read. */
json_t *state_export(store *s, int64_t account, arena *a);
/* The same document streamed (api_reply_pages): a page of contacts at a time (pages sized
 * by bytes, core/paging.h), so an account of any size costs one page of memory.
 * state_stream_page is an api_page_fn, state_stream_free its free_ctx. */
typedef struct state_stream state_stream;
state_stream *state_stream_new(store *s, int64_t account);
int state_stream_page(void *ctx, csv_buf *out);
void state_stream_free(void *ctx);

#endif
