/*  cw_sha256 — a small self-contained SHA-256 (FIPS 180-4), used for target code hashes
    (sha256 hex of the snippet source, as the reference's ledger stores them). */
#ifndef CW_SHA256_H
#define CW_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t state[8];
    uint64_t bytes;
    uint8_t block[64];
    size_t used;
} cw_sha256_t;

void cw_sha256_init(cw_sha256_t *ctx);
void cw_sha256_update(cw_sha256_t *ctx, const void *data, size_t len);
void cw_sha256_final(cw_sha256_t *ctx, uint8_t digest[32]);
/* One call: lowercase hex digest of data into out (65 bytes incl. NUL). */
void cw_sha256_hex(const void *data, size_t len, char out[65]);

#endif
