/*
 * apikey: the SendGrid-shaped API keys that contactd issues and checks.
 *
 * A key reads "SG.<id>.<secret>". The id is public (it names the key in `key list` and
 * `key revoke`); the secret is shown once at creation and only its SHA-256 is stored.
 * Verification compares hashes in constant time. Nothing is allocated for the caller
 * (SHA-256 is fetched from OpenSSL once per process).
 */
#ifndef CONTACTD_CORE_APIKEY_H
#define CONTACTD_CORE_APIKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define APIKEY_ID_MAX 64
#define APIKEY_SECRET_MAX 128
#define APIKEY_HASH_LEN 32
#define APIKEY_TEXT_MAX (3 + APIKEY_ID_MAX + 1 + APIKEY_SECRET_MAX)

typedef struct apikey {
    char id[APIKEY_ID_MAX + 1];
    char secret[APIKEY_SECRET_MAX + 1];
} apikey;

/* Parse "SG.<id>.<secret>" (id and secret of [A-Za-z0-9_-]). 0 or -1. */
int apikey_parse(const char *text, size_t len, apikey *out);
/* A new key: 16 random bytes of id, 32 of secret. 0 or -1 (CSPRNG failure). */
int apikey_generate(apikey *out);
/* "SG.<id>.<secret>" into out (APIKEY_TEXT_MAX + 1 bytes). */
void apikey_format(const apikey *k, char out[APIKEY_TEXT_MAX + 1]);
void apikey_hash(const char *secret, uint8_t out[APIKEY_HASH_LEN]);
bool apikey_hash_equal(const uint8_t a[APIKEY_HASH_LEN], const uint8_t b[APIKEY_HASH_LEN]);

#endif
