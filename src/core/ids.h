/*
 * ids: random identifiers. Contact and job ids are RFC 4122 version-4 UUIDs in their
 * lower-case 36-character text form, drawn from libcrypto's CSPRNG so that ids are not
 * guessable across accounts.
 */
#ifndef CONTACTD_CORE_IDS_H
#define CONTACTD_CORE_IDS_H

#include <stdbool.h>
#include <stddef.h>

#define UUID_STR_LEN 36

/* Writes a new UUID and its NUL to out. Returns 0, or -1 when the CSPRNG fails. */
int uuid_generate(char out[UUID_STR_LEN + 1]);
/* True when s is a UUID in canonical text form (any version, either case). */
bool uuid_valid(const char *s);

/* Writes n random bytes as unpadded base64url (4n/3 rounded up chars + NUL) to out. */
int random_base64url(char *out, size_t out_size, size_t n_bytes);

#endif
