/* Unit tests of http/auth: the Authorization header resolved to an account and a scope
 * against a real store (a private SQLite file), with and without the key cache. */
#include <string.h>

#include "check.h"
#include "core/apikey.h"
#include "http/auth.h"
#include "store/store.h"

static store *st;
static int64_t account_a, account_b;

/* A new key of account with scopes, added through the store as `contactd key create`
 * does; its text ("SG.<id>.<secret>") goes to text. */
static void add_key(int64_t account, const char *scopes, char text[APIKEY_TEXT_MAX + 1])
{
    apikey k;
    REQUIRE(apikey_generate(&k) == 0);
    uint8_t hash[APIKEY_HASH_LEN];
    apikey_hash(k.secret, hash);
    store_tx *tx;
    REQUIRE(store_tx_begin(st, &tx) == STORE_OK);
    REQUIRE(store_tx_key_add(tx, account, k.id, hash, scopes) == STORE_OK);
    REQUIRE(store_tx_commit(tx) == STORE_OK);
    apikey_format(&k, text);
}

static void revoke(const char *text)
{
    apikey k;
    REQUIRE(apikey_parse(text, strlen(text), &k) == 0);
    store_tx *tx;
    REQUIRE(store_tx_begin(st, &tx) == STORE_OK);
    REQUIRE(store_tx_key_revoke(tx, k.id) == STORE_OK);
    REQUIRE(store_tx_commit(tx) == STORE_OK);
}

static auth_result check(auth_cache *c, const char *header, auth_identity *who)
{
    memset(who, 0, sizeof *who);
    return auth_check(st, c, header, who);
}

/* auth_check of the header "<before><key><after>". */
static auth_result check_key(auth_cache *c, const char *before, const char *key, const char *after,
                             auth_identity *who)
{
    char h[APIKEY_TEXT_MAX + 64];
    snprintf(h, sizeof h, "%s%s%s", before, key, after);
    return check(c, h, who);
}

/* key with its character at pos changed, in out. */
static const char *one_off(char out[APIKEY_TEXT_MAX + 1], const char *key, size_t pos)
{
    snprintf(out, APIKEY_TEXT_MAX + 1, "%s", key);
    out[pos] = out[pos] == 'A' ? 'B' : 'A';
    return out;
}

static void test_header_forms(void)
{
    char key[APIKEY_TEXT_MAX + 1];
    add_key(account_a, SCOPE_FULL, key);
    auth_identity who;

    /* Missing or not "Bearer <token>": 401 authorization required. */
    CHECK_INT(check(NULL, NULL, &who), AUTH_MISSING);
    CHECK_INT(check(NULL, "", &who), AUTH_MISSING);
    CHECK_INT(check(NULL, "Bearer", &who), AUTH_MISSING);
    CHECK_INT(check(NULL, "Bearer    ", &who), AUTH_MISSING);
    CHECK_INT(check(NULL, "Basic dXNlcjpwYXNz", &who), AUTH_MISSING);
    CHECK_INT(check_key(NULL, "Token ", key, "", &who), AUTH_MISSING);
    CHECK_INT(check_key(NULL, "Bearer:", key, "", &who), AUTH_MISSING);

    /* The scheme ignores case; spaces around the token are trimmed. */
    CHECK_INT(check_key(NULL, "Bearer ", key, "", &who), AUTH_OK);
    CHECK_INT(check_key(NULL, "bEARER ", key, "", &who), AUTH_OK);
    CHECK_INT(check_key(NULL, "  Bearer   ", key, "  ", &who), AUTH_OK);
    CHECK_INT(who.account, account_a);

    /* A token that is not SG.<id>.<secret>: 401 grant invalid. */
    CHECK_INT(check(NULL, "Bearer not-a-key", &who), AUTH_INVALID);
    CHECK_INT(check(NULL, "Bearer SG.only-id", &who), AUTH_INVALID);
    CHECK_INT(check(NULL, "Bearer SG.a.b.c", &who), AUTH_INVALID);
    CHECK_INT(check(NULL, "Bearer SG.id!.secret", &who), AUTH_INVALID);
    CHECK_INT(check_key(NULL, "Bearer ", key, "x x", &who), AUTH_INVALID);
}

/* The header's token alone, as the admin API reads its token. */
static void test_bearer(void)
{
    size_t len = 99;
    CHECK(auth_bearer(NULL, &len) == NULL);
    CHECK(auth_bearer("", &len) == NULL);
    CHECK(auth_bearer("Bearer", &len) == NULL);
    CHECK(auth_bearer("Bearer   ", &len) == NULL);
    CHECK(auth_bearer("Basic abc", &len) == NULL);
    CHECK(auth_bearer("Bearertok", &len) == NULL);
    const char *h = "  bearer   tok en  ";
    const char *t = auth_bearer(h, &len);
    CHECK(t == h + 11);
    CHECK_INT(len, 6); /* "tok en": only the spaces around are dropped */
}

static void test_identity_and_scopes(void)
{
    char full[APIKEY_TEXT_MAX + 1], read[APIKEY_TEXT_MAX + 1], other[APIKEY_TEXT_MAX + 1];
    char odd[APIKEY_TEXT_MAX + 1];
    add_key(account_a, SCOPE_FULL, full);
    add_key(account_a, SCOPE_READ, read);
    add_key(account_b, SCOPE_FULL, other);
    add_key(account_b, "admin", odd);
    auth_identity who;

    CHECK_INT(check_key(NULL, "Bearer ", full, "", &who), AUTH_OK);
    CHECK_INT(who.account, account_a);
    CHECK(who.can_write);
    apikey k;
    REQUIRE(apikey_parse(full, strlen(full), &k) == 0);
    CHECK_STR(who.key_id, k.id);

    CHECK_INT(check_key(NULL, "Bearer ", read, "", &who), AUTH_OK);
    CHECK_INT(who.account, account_a);
    CHECK(!who.can_write);

    CHECK_INT(check_key(NULL, "Bearer ", other, "", &who), AUTH_OK);
    CHECK_INT(who.account, account_b);
    CHECK(who.can_write);

    /* A scope string auth does not know grants reading only. */
    CHECK_INT(check_key(NULL, "Bearer ", odd, "", &who), AUTH_OK);
    CHECK(!who.can_write);

    CHECK(auth_scopes_valid("full"));
    CHECK(auth_scopes_valid("read"));
    CHECK(!auth_scopes_valid(""));
    CHECK(!auth_scopes_valid("FULL"));
    CHECK(!auth_scopes_valid("admin"));
    CHECK(!auth_scopes_valid("full "));
}

/* The stored hash is compared in full: a secret one character off, at either end, fails;
 * so do an unknown id and a revoked key. */
static void test_wrong_secret_unknown_revoked(void)
{
    char key[APIKEY_TEXT_MAX + 1], bad[APIKEY_TEXT_MAX + 1];
    add_key(account_a, SCOPE_FULL, key);
    auth_identity who;
    size_t len = strlen(key);

    CHECK_INT(check_key(NULL, "Bearer ", one_off(bad, key, len - 1), "", &who), AUTH_INVALID);
    size_t secret_at = (size_t)(strrchr(key, '.') - key) + 1;
    CHECK_INT(check_key(NULL, "Bearer ", one_off(bad, key, secret_at), "", &who), AUTH_INVALID);
    memcpy(bad, key, len + 1);
    bad[len - 1] = '\0';
    CHECK_INT(check_key(NULL, "Bearer ", bad, "", &who), AUTH_INVALID);

    CHECK_INT(check(NULL, "Bearer SG.no-such-key-id.c2VjcmV0", &who), AUTH_INVALID);

    CHECK_INT(check_key(NULL, "Bearer ", key, "", &who), AUTH_OK);
    revoke(key);
    /* Without a cache every check reads the store: revocation holds at once. */
    CHECK_INT(check_key(NULL, "Bearer ", key, "", &who), AUTH_INVALID);
}

/* The cache holds the key's hash, not a verdict: a cached key still rejects a wrong
 * secret, and a cached answer is the same as the store's. */
static void test_cache(void)
{
    auth_cache *c = auth_cache_new();
    char key[APIKEY_TEXT_MAX + 1], read[APIKEY_TEXT_MAX + 1], bad[APIKEY_TEXT_MAX + 1];
    add_key(account_a, SCOPE_FULL, key);
    add_key(account_b, SCOPE_READ, read);
    auth_identity who;

    for (int i = 0; i < 3; i++) {
        CHECK_INT(check_key(c, "Bearer ", key, "", &who), AUTH_OK);
        CHECK_INT(who.account, account_a);
        CHECK(who.can_write);
    }
    CHECK_INT(check_key(c, "Bearer ", one_off(bad, key, strlen(key) - 1), "", &who), AUTH_INVALID);

    CHECK_INT(check_key(c, "Bearer ", read, "", &who), AUTH_OK);
    CHECK_INT(check_key(c, "Bearer ", read, "", &who), AUTH_OK);
    CHECK_INT(who.account, account_b);
    CHECK(!who.can_write);

    CHECK_INT(check(c, "Bearer SG.unknown.c2VjcmV0", &who), AUTH_INVALID);
    CHECK_INT(check(c, "Bearer SG.unknown.c2VjcmV0", &who), AUTH_INVALID);
    auth_cache_free(c);
    auth_cache_free(NULL);
}

/* A refusal always reads the store (so that an unknown id and a wrong secret cost the
 * same): a failed attempt on a cached key refreshes its row, and a revocation made since
 * is seen at once rather than after the cache's second. */
static void test_failure_reads_store(void)
{
    auth_cache *c = auth_cache_new();
    char key[APIKEY_TEXT_MAX + 1], bad[APIKEY_TEXT_MAX + 1];
    add_key(account_a, SCOPE_FULL, key);
    auth_identity who;
    CHECK_INT(check_key(c, "Bearer ", key, "", &who), AUTH_OK); /* cached now */
    revoke(key);
    CHECK_INT(check_key(c, "Bearer ", key, "", &who), AUTH_OK); /* the cache's second */
    CHECK_INT(check_key(c, "Bearer ", one_off(bad, key, strlen(key) - 1), "", &who), AUTH_INVALID);
    CHECK_INT(check_key(c, "Bearer ", key, "", &who), AUTH_INVALID); /* refreshed by it */
    auth_cache_free(c);
}

/* The comparison auth relies on: equal only when all 32 bytes are, wherever a
 * difference lies (it reads every byte, so its time does not depend on where). */
static void test_hash_compare(void)
{
    uint8_t a[APIKEY_HASH_LEN], b[APIKEY_HASH_LEN];
    apikey_hash("secret", a);
    memcpy(b, a, sizeof b);
    CHECK(apikey_hash_equal(a, b));
    for (int i = 0; i < APIKEY_HASH_LEN; i++) {
        memcpy(b, a, sizeof b);
        b[i] ^= 0x01;
        CHECK(!apikey_hash_equal(a, b));
        b[i] ^= 0x81;
        CHECK(!apikey_hash_equal(a, b));
    }
}

int main(void)
{
    char err[256];
    st = store_open(":memory:", err, sizeof err);
    if (!st) {
        fprintf(stderr, "store_open: %s\n", err);
        return 1;
    }
    store_tx *tx;
    REQUIRE(store_tx_begin(st, &tx) == STORE_OK);
    REQUIRE(store_tx_account_ensure(tx, "auth-a", &account_a) == STORE_OK);
    REQUIRE(store_tx_account_ensure(tx, "auth-b", &account_b) == STORE_OK);
    REQUIRE(store_tx_commit(tx) == STORE_OK);
    REQUIRE(account_a != account_b);

    RUN(test_header_forms);
    RUN(test_bearer);
    RUN(test_identity_and_scopes);
    RUN(test_wrong_secret_unknown_revoked);
    RUN(test_cache);
    RUN(test_failure_reads_store);
    RUN(test_hash_compare);
    store_close(st);
    return check_summary("test_auth");
}
