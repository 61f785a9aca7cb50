/* ids: see ids.h. */
#include "core/ids.h"

#include <openssl/rand.h>
#include <string.h>

/* Each thread draws the CSPRNG's bytes for ids in batches: one RAND_bytes call costs about
 * as much for 1 KiB as for 16 bytes (locking and reseed checks dominate), and every request
 * takes an id (X-Request-Id). contactd never forks: a child would repeat its parent's
 * batch (one that did would have to empty it, e.g. with pthread_atfork). Secrets (tokens)
 * do not come from here but from RAND_bytes itself (random_base64url). */
#define ID_BATCH 1024

static int random_take(unsigned char *out, size_t n)
{
    static _Thread_local unsigned char batch[ID_BATCH];
    static _Thread_local size_t left;
    if (left < n) {
        if (RAND_bytes(batch, sizeof batch) != 1)
            return -1;
        left = sizeof batch;
    }
    memcpy(out, batch + sizeof batch - left, n);
    left -= n;
    return 0;
}

int uuid_generate(char out[UUID_STR_LEN + 1])
{
    unsigned char b[16];
    if (random_take(b, sizeof b) != 0)
        return -1;
    b[6] = (unsigned char)((b[6] & 0x0F) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3F) | 0x80); /* RFC 4122 variant */
    static const char hex[] = "0123456789abcdef";
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hex[b[i] >> 4];
        *p++ = hex[b[i] & 15];
    }
    *p = '\0';
    return 0;
}

bool uuid_valid(const char *s)
{
    for (int i = 0; i < UUID_STR_LEN; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return s[UUID_STR_LEN] == '\0';
}

int random_base64url(char *out, size_t out_size, size_t n_bytes)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char b[64];
    size_t need = (n_bytes * 4 + 2) / 3 + 1;
    if (n_bytes > sizeof b || out_size < need || RAND_bytes(b, (int)n_bytes) != 1)
        return -1;
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n_bytes; i++) {
        acc = (acc << 8) | b[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[o++] = alphabet[(acc >> bits) & 63];
        }
    }
    if (bits > 0)
        out[o++] = alphabet[(acc << (6 - bits)) & 63];
    out[o] = '\0';
    return 0;
}
