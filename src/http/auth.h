/*
 * auth: resolves the Authorization header of a request to an account and what the key
 * may do.
 *
 * Accepts "Bearer SG.<id>.<secret>". The key is found by its id, and the SHA-256 of the
 * secret is compared with the stored hash in constant time; an unknown id is compared
 * against a dummy hash so that timing does not tell unknown ids from wrong secrets.
 * Scopes: "full" (read and write) or "read" (read-only: writes answer 403).
 *
 * Key rows are cached for AUTH_CACHE_TTL_MS so that a request does not pay a database
 * read for its key: a key revoked with `contactd key revoke` (another process) stops
 * working within that time. The cache holds hashes, never secrets; it is thread-safe.
 */
#ifndef CONTACTD_HTTP_AUTH_H
#define CONTACTD_HTTP_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/apikey.h"
#include "store/store.h"

typedef enum auth_result {
    AUTH_OK = 0,
    AUTH_MISSING,     /* no header, or not "Bearer <token>": 401 authorization required */
    AUTH_INVALID,     /* unknown, malformed or revoked key: 401 grant invalid */
    AUTH_UNAVAILABLE, /* the store could not be read: 503 */
} auth_result;

typedef struct auth_identity {
    int64_t account;
    char account_name[128]; /* for the access log */
    char key_id[APIKEY_ID_MAX + 1];
    bool can_write;
} auth_identity;

/* The scope names `key create --scopes` accepts. */
#define SCOPE_FULL "full"
#define SCOPE_READ "read"
bool auth_scopes_valid(const char *scopes);

#define AUTH_CACHE_TTL_MS 1000

typedef struct auth_cache auth_cache;
auth_cache *auth_cache_new(void);
void auth_cache_free(auth_cache *c);

/* The token of an Authorization header "Bearer <token>" (the scheme in any case, spaces
 * around the token ignored) and its length; NULL when the header is missing, empty or of
 * another form (AUTH_MISSING). */
const char *auth_bearer(const char *authorization, size_t *len);
/* cache may be NULL (every check reads the store). */
auth_result auth_check(store *s, auth_cache *cache, const char *authorization, auth_identity *out);

#endif
