/*
 * auth: resolves the Authorization header of a request to an account.
 *
 * Accepts "Bearer SG.<id>.<secret>". The key is found by its id, and the SHA-256 of the
 * secret is compared with the stored hash in constant time; an unknown id is compared
 * against a dummy hash so that timing does not tell unknown ids from wrong secrets.
 */
#ifndef CONTACTD_HTTP_AUTH_H
#define CONTACTD_HTTP_AUTH_H

#include <stdint.h>

#include "store/store.h"

typedef enum auth_result {
    AUTH_OK = 0,
    AUTH_MISSING,       /* no header, or not "Bearer <token>": 401 authorization required */
    AUTH_INVALID,       /* unknown, malformed or revoked key: 401 grant invalid */
    AUTH_UNAVAILABLE,   /* the store could not be read: 503 */
} auth_result;

auth_result auth_check(store *s, const char *authorization, int64_t *account);

#endif
