/* Who simulated endpoint number i is: its name, its DTLS PSK, whether it is a single-server
 * client. The seed and the storm derive the same from the index alone. */
#ifndef LWM2M_BENCH_ENDPOINT_H
#define LWM2M_BENCH_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BENCH_PREFIX_MAX  64
#define BENCH_NAME_MAX    (BENCH_PREFIX_MAX + 11) /* prefix, up to 10 digits, NUL */
#define BENCH_PSK_KEY_LEN 16
#define BENCH_PSK_KEY_MAX 64 /* a key given in hex (--psk-key) */

/* A prefix of 1..64 printable ASCII bytes that needs no escaping in a URI query or JSON: no
 * space, '"', '\\', '&', '=', '?', '#', '%'. */
bool bench_prefix_ok(const char *prefix);

/* PREFIX followed by the decimal index. */
void bench_endpoint_name(const char *prefix, uint32_t index, char out[BENCH_NAME_MAX]);

/* The endpoint's PSK (identity: its name): the first 16 bytes of
 * SHA-256("lwm2m-bench-psk:" NAME). */
void bench_psk_key(const char *endpoint, uint8_t key[BENCH_PSK_KEY_LEN]);

/* The key of PSK identity `identity` (a NUL-terminated name): `fixed` (fixed_len 1..
 * BENCH_PSK_KEY_MAX bytes) when given, else bench_psk_key of the name. Its length. */
size_t bench_psk_key_for(const char *identity, const uint8_t *fixed, size_t fixed_len,
                         uint8_t key[BENCH_PSK_KEY_MAX]);

/* Share as parts per million (0..1000000) of the endpoints that hold a single server account.
 * Spread evenly: exactly floor(n * ppm / 1e6) of endpoints 0..n-1 are single-server. */
bool bench_single_server(uint32_t index, uint32_t share_ppm);

#endif
