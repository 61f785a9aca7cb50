/* auth: see auth.h. */
#include "http/auth.h"

#include <string.h>
#include <strings.h>

#include "core/apikey.h"

auth_result auth_check(store *s, const char *authorization, int64_t *account)
{
    if (!authorization)
        return AUTH_MISSING;
    while (*authorization == ' ')
        authorization++;
    if (strncasecmp(authorization, "Bearer", 6) != 0 || authorization[6] != ' ')
        return AUTH_MISSING;
    const char *token = authorization + 7;
    while (*token == ' ')
        token++;
    size_t len = strlen(token);
    while (len && token[len - 1] == ' ')
        len--;
    if (len == 0)
        return AUTH_MISSING;
    apikey key;
    if (apikey_parse(token, len, &key) != 0)
        return AUTH_INVALID;
    store_key row;
    int rc = store_key_find(s, key.id, &row);
    if (rc == STORE_ERROR)
        return AUTH_UNAVAILABLE;
    uint8_t hash[APIKEY_HASH_LEN];
    apikey_hash(key.secret, hash);
    if (rc == STORE_NOT_FOUND) {
        static const uint8_t dummy[APIKEY_HASH_LEN];
        (void)apikey_hash_equal(hash, dummy);
        return AUTH_INVALID;
    }
    if (!apikey_hash_equal(hash, row.secret_hash) || row.revoked)
        return AUTH_INVALID;
    *account = row.account_id;
    return AUTH_OK;
}
