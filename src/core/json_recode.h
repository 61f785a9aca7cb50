/*
 * json_recode: stored JSON text written again through a json_writer exactly as jansson
 * would print it after parsing it, without building a jansson tree: the custom field
 * values, list ids and alternate emails of a stored contact go to an answer this way.
 *
 * Ownership: nothing is allocated but the thread's scratch buffer for object keys (kept
 * for reuse, as json_writer_thread's) and, on the rare fallback below, jansson's tree.
 */
#ifndef CONTACTD_CORE_JSON_RECODE_H
#define CONTACTD_CORE_JSON_RECODE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/json_writer.h"

/*
 * Stored JSON text (text[0..n)) re-encoded as jansson would print what json_loads(text, 0)
 * returns: whitespace dropped, strings re-escaped, numbers re-printed (integers as int64,
 * anything with '.', 'e' or 'E' as a double), duplicate keys kept as the last value at the
 * first key's place (text with a duplicate key, which no encoder of ours writes, is handed
 * to jansson itself). Accepts exactly what json_loads accepts with no flags (an object or
 * array at the top, well-formed UTF-8, no \u0000, paired surrogates, integers within
 * int64, reals within double range, nesting to 2048); on anything else returns false and
 * leaves w as it was.
 */
bool json_recode(json_writer *w, const char *text, size_t n);

/*
 * A stored object's members under other names: {"<rename(key)>": value, ...} in text's
 * order, leaving out the members whose rename returns NULL (key is the member's name as
 * jansson would print it, without quotes). RECODE_INVALID when text is not a JSON object
 * json_loads accepts; RECODE_DUPLICATE when it holds a key twice (jansson keeps the last
 * value at the first place; the caller decides). w is unchanged unless RECODE_OK.
 */
enum { RECODE_OK = 0, RECODE_INVALID = -1, RECODE_DUPLICATE = -2 };
typedef const char *(*json_rename_fn)(void *ctx, const char *key);
int json_recode_members(json_writer *w, const char *text, size_t n, json_rename_fn rename,
                        void *ctx);

#endif
