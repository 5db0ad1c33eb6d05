/* Endpoint names, keys and kinds from the index (see endpoint.h). */
#include "endpoint.h"

#include <stdio.h>
#include <string.h>

#include "sha256.h"

#define PSK_LABEL "lwm2m-bench-psk:"

bool bench_prefix_ok(const char *prefix)
{
    size_t n = strlen(prefix);
    if (n == 0 || n > BENCH_PREFIX_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)prefix[i];
        if (c <= 0x20 || c >= 0x7f || strchr("\"\\&=?#%", c) != NULL)
            return false;
    }
    return true;
}

void bench_endpoint_name(const char *prefix, uint32_t index, char out[BENCH_NAME_MAX])
{
    snprintf(out, BENCH_NAME_MAX, "%.*s%u", BENCH_PREFIX_MAX, prefix, (unsigned)index);
}

void bench_psk_key(const char *endpoint, uint8_t key[BENCH_PSK_KEY_LEN])
{
    char msg[sizeof PSK_LABEL + BENCH_NAME_MAX];
    int n = snprintf(msg, sizeof msg, PSK_LABEL "%s", endpoint);
    uint8_t digest[BENCH_SHA256_LEN];
    bench_sha256(msg, n < 0 ? 0 : (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1, digest);
    memcpy(key, digest, BENCH_PSK_KEY_LEN);
}

size_t bench_psk_key_for(const char *identity, const uint8_t *fixed, size_t fixed_len,
                         uint8_t key[BENCH_PSK_KEY_MAX])
{
    if (fixed_len > 0 && fixed_len <= BENCH_PSK_KEY_MAX) {
        memcpy(key, fixed, fixed_len);
        return fixed_len;
    }
    bench_psk_key(identity, key);
    return BENCH_PSK_KEY_LEN;
}

bool bench_single_server(uint32_t index, uint32_t share_ppm)
{
    /* Index i is chosen when floor((i + 1) * share) steps past floor(i * share). */
    uint64_t before = (uint64_t)index * share_ppm / 1000000u;
    uint64_t after = ((uint64_t)index + 1) * share_ppm / 1000000u;
    return after > before;
}
