/*  cw_sha256 — SHA-256 through libsodium. */
#include "cw_sha256.h"

#include <pthread.h>

static pthread_once_t s_once = PTHREAD_ONCE_INIT;

static void s_sodium_init(void)
{
    /* libsodium asks for sodium_init() before use; it is idempotent and thread-safe, and
       cannot fail in a way that matters to hashing (no random numbers needed) */
    if (sodium_init() < 0)
        return; /* hashing does not depend on what failed (the random source) */
}

void cw_sha256_init(cw_sha256_t *ctx)
{
    pthread_once(&s_once, s_sodium_init);
    crypto_hash_sha256_init(ctx);
}

void cw_sha256_update(cw_sha256_t *ctx, const void *data, size_t len)
{
    if (len > 0)
        crypto_hash_sha256_update(ctx, (const unsigned char *)data, (unsigned long long)len);
}

void cw_sha256_final(cw_sha256_t *ctx, uint8_t digest[32])
{
    crypto_hash_sha256_final(ctx, digest);
}

void cw_sha256_hex(const void *data, size_t len, char out[65])
{
    pthread_once(&s_once, s_sodium_init);
    uint8_t digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const unsigned char *)(len ? data : ""), (unsigned long long)len);
    sodium_bin2hex(out, 65, digest, sizeof digest);
}
