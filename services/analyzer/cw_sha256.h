/*  cw_sha256 — SHA-256 for target code hashes (sha256 hex of the snippet source, as the
    reference's ledger stores them) and the index's content hashes: a thin wrapper over
    libsodium's crypto_hash_sha256 (libsodium is already loaded through libzmq). */
#ifndef CW_SHA256_H
#define CW_SHA256_H

#include <sodium.h>
#include <stddef.h>
#include <stdint.h>

typedef crypto_hash_sha256_state cw_sha256_t;

void cw_sha256_init(cw_sha256_t *ctx);
void cw_sha256_update(cw_sha256_t *ctx, const void *data, size_t len);
void cw_sha256_final(cw_sha256_t *ctx, uint8_t digest[32]);
/* One call: lowercase hex digest of data into out (65 bytes incl. NUL). */
void cw_sha256_hex(const void *data, size_t len, char out[65]);

#endif
