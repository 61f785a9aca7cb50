/*
 * sgql: SendGrid's Segmentation Query Language, as POST /v3/marketing/contacts/search
 * takes it — parsed once, bound to the account's custom fields, then matched against
 * contacts one at a time.
 *
 * The grammar (keywords and function names ignore case; field names ignore case):
 *   expr     := or
 *   or       := and ( OR and )*
 *   and      := not ( AND not )*
 *   not      := NOT not | primary
 *   primary  := '(' expr ')' | predicate      (a group is a value when it holds no
 *                                               comparison, keyword or CONTAINS)
 *   predicate:= value cmp value
 *             | TRUE | FALSE                   (a bare boolean term)
 *             | value [NOT] LIKE string
 *             | value [NOT] IN '(' constant (',' constant)* ')'   (literals, dates)
 *             | value IS [NOT] NULL
 *             | value [NOT] BETWEEN value AND value
 *             | CONTAINS '(' field ',' literal ')'      (also ARRAY_CONTAINS)
 *   cmp      := = | == | != | <> | < | <= | > | >=
 *   value    := term ((+|-) term | (+|-) INTERVAL (number|string) unit)*
 *                                                      unit: SECOND(S) MINUTE(S) HOUR(S)
 *                                                            DAY(S) WEEK(S) MONTH(S) YEAR(S)
 *   term     := unary ((*|/|%) unary)*
 *   unary    := - unary | atom
 *   atom     := field | `field` | literal | '(' value ')' | lower '(' value ')'
 *             | upper '(' value ')' | LENGTH '(' value ')' | CONCAT '(' value (',' value)* ')'
 *             | CURRENT_DATE | CURRENT_TIMESTAMP | NOW() | TIMESTAMP string | DATE string
 * Arithmetic takes Numbers (a quoted number counts as one; x / 0 is unknown); + joins Text
 * with Text (a number written in the query joins as its text), as CONCAT does; LENGTH
 * counts characters.
 *   literal  := 'quoted string' | number | TRUE | FALSE | NULL
 * Strings take single or double quotes; a doubled quote or a backslash before a quote or
 * a backslash stands for that character; any other backslash is kept, so a LIKE pattern
 * can escape its wildcards ('100\%', 'a\_b'). LIKE: % any run, %% a literal percent sign,
 * _ one character, case-sensitive. Numbers: -?digits(.digits)?. Dates: 'YYYY-MM-DD' or 'MM/DD/YYYY',
 * optionally with THH:MM[:SS[.fff]] and Z or ±HH:MM (UTC when absent); DATE '...' drops
 * the time of day. CURRENT_DATE is today's midnight UTC; NOW() is CURRENT_TIMESTAMP; an
 * INTERVAL takes a whole number from 0 to 100000 (also written '7' or '7 days'); months
 * and years are calendar steps (Jan 31 + 1 month = Feb 28/29).
 * Fields: the reserved contact fields (email, first_name, ...), contact_id, created_at,
 * updated_at, list_ids and alternate_emails (arrays: CONTAINS), email_domains (the domains
 * of the primary and alternate emails, compared ignoring ASCII case: CONTAINS), and custom
 * fields by name (or id). last_clicked, last_opened, last_emailed, singlesend_id,
 * automation_id and the engagement fields event_source, event_type, event_timestamp and
 * event_data exist but are never set here (contactd records no events). An empty reserved field counts as unset.
 * Comparisons follow SQL: anything compared with an unset field is unknown, and logic is
 * three-valued (NOT unknown is unknown, so NOT first_name = 'x' does not find contacts
 * without a first name; IS NULL does). A contact matches when the query is true. Arrays
 * are never unknown: an absent list is empty, CONTAINS on it is false and IS NULL true.
 * Number fields compare as numbers, Date fields and created_at/updated_at as instants,
 * everything else as strings (case-sensitive, by code point; lower()/upper() map ASCII,
 * Latin-1, Latin Extended-A, Greek and Cyrillic letters). A literal takes the type of the
 * field it is compared with ('42' = 42 for a Number field), and a comparison that cannot
 * type-check (a Number field with 'abc', LIKE on a Number, CONTAINS on a non-array, an
 * unknown field or function) is a compile error.
 *
 * Limits keep a hostile query cheap: SGQL_MAX_QUERY bytes of text, SGQL_MAX_DEPTH of
 * nesting (each parenthesis, NOT, function, unary minus, arithmetic operator, CONCAT
 * argument and INTERVAL step on a field counts a level), SGQL_MAX_NODES nodes in all
 * (fields, literals, operators, IN items).
 *
 * Ownership: sgql_compile returns a query that owns every byte it needs (it copies what it
 * takes from the catalog); sgql_free releases it. sgql_match allocates nothing that
 * outlives the call and is safe to call from several threads on one query.
 */
#ifndef CONTACTD_CORE_SGQL_H
#define CONTACTD_CORE_SGQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/contact.h"
#include "core/fields.h"

#define SGQL_MAX_QUERY (64u * 1024u)
#define SGQL_MAX_DEPTH 64
#define SGQL_MAX_NODES 4096

typedef struct sgql_query sgql_query;

/*
 * Parse text and bind its field names against the reserved fields and the account's
 * custom fields. now_ms is the instant CURRENT_DATE and CURRENT_TIMESTAMP stand for.
 * Returns NULL with a one-line, user-facing, valid UTF-8 reason in err (e.g. "syntax error
 * at position 14: expected ')', found the end of the query" — positions count bytes from
 * 1 — or "unknown field 'favourite_colour'"); err may be NULL. fields may be NULL.
 */
sgql_query *sgql_compile(const char *text, const field_catalog *fields, int64_t now_ms, char *err,
                         size_t err_size);
/* True when contact c satisfies q. c->list_ids is a JSON array of strings, or NULL for
 * none; c->custom_fields a JSON object keyed by field id, or NULL. */
bool sgql_match(const sgql_query *q, const contact *c);
/* True when q reads c->list_ids (callers may skip loading them otherwise). */
bool sgql_uses_lists(const sgql_query *q);
void sgql_free(sgql_query *q);

/* The next word (an identifier: keyword, function or field name) of text at or after *pos,
 * as the compiler reads words: quoted strings and `quoted names` are passed over whole.
 * Sets [*start, *end) to its span and *pos past it; false at the end of text. For code that
 * reads around a query (core/segment_query.h) and must agree with it on what is a word. */
bool sgql_next_word(const char *text, size_t len, size_t *pos, size_t *start, size_t *end);

#endif
