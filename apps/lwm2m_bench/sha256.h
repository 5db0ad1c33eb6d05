/* SHA-256 (FIPS 180-4), one-shot: only what the PSK derivation needs. */
#ifndef LWM2M_BENCH_SHA256_H
#define LWM2M_BENCH_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_SHA256_LEN 32

void bench_sha256(const void *data, size_t len, uint8_t out[BENCH_SHA256_LEN]);

#endif
