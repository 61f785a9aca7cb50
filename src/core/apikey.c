/* apikey: see apikey.h. */
#include "core/apikey.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ids.h"

static bool is_key_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

static size_t key_run(const char *s, size_t len)
{
    size_t n = 0;
    while (n < len && is_key_char(s[n]))
        n++;
    return n;
}

int apikey_parse(const char *text, size_t len, apikey *out)
{
    if (len < 3 || memcmp(text, "SG.", 3) != 0)
        return -1;
    text += 3;
    len -= 3;
    size_t id_len = key_run(text, len);
    if (id_len == 0 || id_len > APIKEY_ID_MAX || id_len >= len || text[id_len] != '.')
        return -1;
    const char *secret = text + id_len + 1;
    size_t secret_len = len - id_len - 1;
    if (secret_len == 0 || secret_len > APIKEY_SECRET_MAX ||
        key_run(secret, secret_len) != secret_len)
        return -1;
    memcpy(out->id, text, id_len);
    out->id[id_len] = '\0';
    memcpy(out->secret, secret, secret_len);
    out->secret[secret_len] = '\0';
    return 0;
}

int apikey_generate(apikey *out)
{
    /* An id never starts with '-', which a command line (`contactd key revoke ID`) would
     * read as an option: drawn again, 1 time in 64. */
    do {
        if (random_base64url(out->id, sizeof out->id, 16) != 0)
            return -1;
    } while (out->id[0] == '-');
    return random_base64url(out->secret, sizeof out->secret, 32) != 0 ? -1 : 0;
}

void apikey_format(const apikey *k, char out[APIKEY_TEXT_MAX + 1])
{
    snprintf(out, APIKEY_TEXT_MAX + 1, "SG.%s.%s", k->id, k->secret);
}

/* SHA-256 fetched from OpenSSL's provider once, for the life of the process: OpenSSL 3's
 * one-shot SHA256() looks it up (under a lock) on every call, which made the hash of every
 * request's key ~2.7 times dearer (~770 against ~280 ns) and showed in the read path's
 * profile. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void apikey_hash(const char *secret, uint8_t out[APIKEY_HASH_LEN])
{
    pthread_once(&sha256_once, sha256_fetch);
    if (!sha256_md || !EVP_Digest(secret, strlen(secret), out, NULL, sha256_md, NULL))
        SHA256((const unsigned char *)secret, strlen(secret), out);
}

bool apikey_hash_equal(const uint8_t a[APIKEY_HASH_LEN], const uint8_t b[APIKEY_HASH_LEN])
{
    return CRYPTO_memcmp(a, b, APIKEY_HASH_LEN) == 0;
}
