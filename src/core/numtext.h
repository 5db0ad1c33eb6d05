/* Internal: numbers and base64 as text, locale-independent, bounded. */
#ifndef LWM2M_CORE_NUMTEXT_H
#define LWM2M_CORE_NUMTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwm2m/buf.h"

/* Longest number literal lwm2m_parse_number accepts. */
#define LWM2M_NUMBER_TEXT_MAX 400

/* Longest output of lwm2m_fmt_double plus NUL. */
#define LWM2M_DOUBLE_STR_MAX 32

/* Shortest decimal text that reads back as exactly `d` ("1", "0.5", "1e+300", "-0").
 * NaN and infinities have no JSON form: returns 0 (nothing written) for them.
 * Otherwise returns the length written (buf gets a NUL; cap must be >= LWM2M_DOUBLE_STR_MAX). */
size_t lwm2m_fmt_double(double d, char *buf, size_t cap);

/* Strict decimal parsers over exactly `len` bytes: optional '-' (signed only), digits, no
 * spaces, no '+'. Return 0, LWM2M_ERR_INVALID or LWM2M_ERR_RANGE. */
int lwm2m_parse_i64(const char *s, size_t len, int64_t *out);
int lwm2m_parse_u64(const char *s, size_t len, uint64_t *out);
/* JSON number grammar (RFC 8259 §6), any magnitude strtod accepts; LWM2M_ERR_RANGE on
 * overflow to infinity or a literal longer than LWM2M_NUMBER_TEXT_MAX. `is_integer` tells whether
 * it had no fraction and no exponent. */
int lwm2m_parse_number(const char *s, size_t len, double *out, bool *is_integer);

/* Base64 (RFC 4648): standard alphabet with '=' padding, or base64url without padding. */
void lwm2m_base64_encode(const uint8_t *in, size_t len, bool url, lwm2m_buf *out);
/* Accepts either alphabet, padding optional; rejects anything else (whitespace included).
 * Writes at most `cap` bytes; returns 0, LWM2M_ERR_INVALID, or LWM2M_ERR_OVERFLOW. */
int lwm2m_base64_decode(const char *in, size_t len, uint8_t *out, size_t cap, size_t *out_len);
/* Upper bound of the decoded size of `len` base64 characters. */
static inline size_t lwm2m_base64_decoded_max(size_t len)
{
    return (len / 4) * 3 + 3;
}

#endif
