/* auth: see auth.h. */
#include "http/auth.h"

#include <string.h>
#include <strings.h>

#include "core/apikey.h"

bool auth_scopes_valid(const char *scopes)
{
    return strcmp(scopes, SCOPE_FULL) == 0 || strcmp(scopes, SCOPE_READ) == 0;
}

auth_result auth_check(store *s, const char *authorization, auth_identity *out)
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
    out->account = row.account_id;
    memcpy(out->key_id, key.id, sizeof out->key_id);
    /* Unknown scope strings grant nothing beyond reading. */
    out->can_write = strcmp(row.scopes, SCOPE_FULL) == 0;
    return AUTH_OK;
}
