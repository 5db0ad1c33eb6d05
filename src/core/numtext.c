#include "core/numtext.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/error.h"

size_t lwm2m_fmt_double(double d, char *buf, size_t cap)
{
    if (!isfinite(d) || cap < LWM2M_DOUBLE_STR_MAX)
        return 0;
    /* Whole numbers of moderate size read better (and no longer) as plain digits: "10", not
     * the "1e+01" that the fewest significant digits would give. */
    if (d == floor(d) && fabs(d) < 1e15) {
        int n = snprintf(buf, cap, "%.0f", d);
        if (n > 0 && (size_t)n < cap && strtod(buf, NULL) == d && !(d == 0 && signbit(d)))
            return (size_t)n;
    }
    /* The first precision that reads back exactly; 17 always does for IEEE doubles. */
    for (int prec = 1; prec <= 17; prec++) {
        int n = snprintf(buf, cap, "%.*g", prec, d);
        if (n <= 0 || (size_t)n >= cap)
            return 0;
        if (strtod(buf, NULL) == d)
            return (size_t)n;
    }
    return 0;
}

int lwm2m_parse_u64(const char *s, size_t len, uint64_t *out)
{
    if (len == 0)
        return LWM2M_ERR_INVALID;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return LWM2M_ERR_INVALID;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10u)
            return LWM2M_ERR_RANGE;
        v = v * 10u + d;
    }
    *out = v;
    return LWM2M_OK;
}

int lwm2m_parse_i64(const char *s, size_t len, int64_t *out)
{
    if (len == 0)
        return LWM2M_ERR_INVALID;
    bool neg = s[0] == '-';
    uint64_t mag;
    int rc = lwm2m_parse_u64(s + neg, len - neg, &mag);
    if (rc != LWM2M_OK)
        return rc;
    if (neg) {
        if (mag > (uint64_t)INT64_MAX + 1u)
            return LWM2M_ERR_RANGE;
        *out = mag == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)mag;
    } else {
        if (mag > (uint64_t)INT64_MAX)
            return LWM2M_ERR_RANGE;
        *out = (int64_t)mag;
    }
    return LWM2M_OK;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int lwm2m_parse_number(const char *s, size_t len, double *out, bool *is_integer)
{
    size_t i = 0;
    bool integer = true;
    if (i < len && s[i] == '-')
        i++;
    if (i >= len || !is_digit(s[i]))
        return LWM2M_ERR_INVALID;
    if (s[i] == '0') {
        i++;
    } else {
        while (i < len && is_digit(s[i]))
            i++;
    }
    if (i < len && s[i] == '.') {
        integer = false;
        i++;
        if (i >= len || !is_digit(s[i]))
            return LWM2M_ERR_INVALID;
        while (i < len && is_digit(s[i]))
            i++;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        integer = false;
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= len || !is_digit(s[i]))
            return LWM2M_ERR_INVALID;
        while (i < len && is_digit(s[i]))
            i++;
    }
    if (i != len)
        return LWM2M_ERR_INVALID;
    /* strtod needs a NUL-terminated copy; no real number needs more than this (no malloc:
     * codecs call this). */
    char p[LWM2M_NUMBER_TEXT_MAX + 1];
    if (len > LWM2M_NUMBER_TEXT_MAX)
        return LWM2M_ERR_RANGE;
    memcpy(p, s, len);
    p[len] = '\0';
    errno = 0;
    double d = strtod(p, NULL);
    if (!isfinite(d))
        return LWM2M_ERR_RANGE;
    *out = d;
    if (is_integer)
        *is_integer = integer;
    return LWM2M_OK;
}

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void lwm2m_base64_encode(const uint8_t *in, size_t len, bool url, lwm2m_buf *out)
{
    const char *a = url ? b64_url : b64_std;
    size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        uint8_t q[4] = {(uint8_t)a[v >> 18], (uint8_t)a[(v >> 12) & 63], (uint8_t)a[(v >> 6) & 63],
                        (uint8_t)a[v & 63]};
        lwm2m_buf_put(out, q, 4);
    }
    size_t rest = len - i;
    if (rest > 0) {
        uint32_t v = (uint32_t)in[i] << 16 | (rest == 2 ? (uint32_t)in[i + 1] << 8 : 0);
        lwm2m_buf_putc(out, (uint8_t)a[v >> 18]);
        lwm2m_buf_putc(out, (uint8_t)a[(v >> 12) & 63]);
        if (rest == 2)
            lwm2m_buf_putc(out, (uint8_t)a[(v >> 6) & 63]);
        if (!url) {
            if (rest == 1)
                lwm2m_buf_putc(out, '=');
            lwm2m_buf_putc(out, '=');
        }
    }
}

static int b64_val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

int lwm2m_base64_decode(const char *in, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
    /* Strip padding: at most two '=' and only when the total is a multiple of 4. */
    size_t n = len;
    if (n > 0 && in[n - 1] == '=') {
        if (n % 4 != 0)
            return LWM2M_ERR_INVALID;
        n--;
        if (n > 0 && in[n - 1] == '=')
            n--;
    }
    if (n % 4 == 1)
        return LWM2M_ERR_INVALID;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_val(in[i]);
        if (v < 0)
            return LWM2M_ERR_INVALID;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= cap)
                return LWM2M_ERR_OVERFLOW;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1u;
        }
    }
    /* Leftover bits must be zero (canonical encoding). */
    if (acc != 0)
        return LWM2M_ERR_INVALID;
    *out_len = o;
    return LWM2M_OK;
}
