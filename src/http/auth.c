/* auth: see auth.h. */
#include "http/auth.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/apikey.h"
#include "core/timeutil.h"

/* ---- the key cache --------------------------------------------------------------- */

#define CACHE_SLOTS 4096 /* direct-mapped: a colliding key just refetches */

typedef struct cache_slot {
    char key_id[APIKEY_ID_MAX + 1];
    store_key row;
    double fetched_ms; /* monotonic; 0: empty */
} cache_slot;

struct auth_cache {
    pthread_mutex_t lock;
    cache_slot slot[CACHE_SLOTS];
};

auth_cache *auth_cache_new(void)
{
    auth_cache *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    pthread_mutex_init(&c->lock, NULL);
    return c;
}

void auth_cache_free(auth_cache *c)
{
    if (!c)
        return;
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static cache_slot *slot_for(auth_cache *c, const char *key_id)
{
    unsigned h = 2166136261u; /* FNV-1a */
    for (const char *p = key_id; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return &c->slot[h % CACHE_SLOTS];
}

/* The key's row from the cache when fresh: true on a hit. */
static bool cached_row(auth_cache *c, const char *key_id, store_key *out)
{
    if (!c)
        return false;
    double now = time_mono_ms();
    cache_slot *sl = slot_for(c, key_id);
    pthread_mutex_lock(&c->lock);
    bool hit = sl->fetched_ms > 0 && now - sl->fetched_ms < AUTH_CACHE_TTL_MS &&
               strcmp(sl->key_id, key_id) == 0;
    if (hit)
        *out = sl->row;
    pthread_mutex_unlock(&c->lock);
    return hit;
}

/* The key's row from the store, into the cache: found, or noted as missing (so that a
 * miss does the same work as a hit; a missing entry is never served). */
static int fetched_row(store *s, auth_cache *c, const char *key_id, store_key *out)
{
    double now = time_mono_ms();
    int rc = store_key_find(s, key_id, out);
    if (rc != STORE_ERROR && c) {
        cache_slot *sl = slot_for(c, key_id);
        pthread_mutex_lock(&c->lock);
        memcpy(sl->key_id, key_id, sizeof sl->key_id);
        if (rc == STORE_OK)
            sl->row = *out;
        sl->fetched_ms = rc == STORE_OK ? now : 0;
        pthread_mutex_unlock(&c->lock);
    }
    return rc;
}

/* ---- checking a request ---------------------------------------------------------- */

bool auth_scopes_valid(const char *scopes)
{
    return strcmp(scopes, SCOPE_FULL) == 0 || strcmp(scopes, SCOPE_READ) == 0;
}

const char *auth_bearer(const char *authorization, size_t *len)
{
    if (!authorization)
        return NULL;
    while (*authorization == ' ')
        authorization++;
    if (strncasecmp(authorization, "Bearer", 6) != 0 || authorization[6] != ' ')
        return NULL;
    const char *token = authorization + 7;
    while (*token == ' ')
        token++;
    size_t n = strlen(token);
    while (n && token[n - 1] == ' ')
        n--;
    *len = n;
    return n ? token : NULL;
}

auth_result auth_check(store *s, auth_cache *cache, const char *authorization, auth_identity *out)
{
    size_t len;
    const char *token = auth_bearer(authorization, &len);
    if (!token)
        return AUTH_MISSING;
    apikey key;
    if (apikey_parse(token, len, &key) != 0)
        return AUTH_INVALID;
    /* Only a cached row that the secret matches skips the store. Every failure -- an
     * unknown id, a known id with a wrong secret, a revoked key -- costs the same: the
     * hash, one comparison against the cache's row or a dummy, one store read (which also
     * refreshes a stale cached row), and one comparison against the stored hash or the
     * dummy. So the time of a refusal does not tell whether the id exists. */
    static const uint8_t dummy[APIKEY_HASH_LEN];
    uint8_t hash[APIKEY_HASH_LEN];
    apikey_hash(key.secret, hash);
    store_key row;
    bool hit = cached_row(cache, key.id, &row);
    bool same = apikey_hash_equal(hash, hit ? row.secret_hash : dummy);
    if (!(hit && same && !row.revoked)) {
        int rc = fetched_row(s, cache, key.id, &row);
        if (rc == STORE_ERROR)
            return AUTH_UNAVAILABLE;
        same = apikey_hash_equal(hash, rc == STORE_OK ? row.secret_hash : dummy);
        if (rc != STORE_OK || !same || row.revoked)
            return AUTH_INVALID;
    }
    out->account = row.account_id;
    memcpy(out->account_name, row.account, sizeof out->account_name);
    memcpy(out->key_id, key.id, sizeof out->key_id);
    /* Unknown scope strings grant nothing beyond reading. */
    out->can_write = strcmp(row.scopes, SCOPE_FULL) == 0;
    return AUTH_OK;
}
