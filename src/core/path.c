#include "lwm2m/path.h"

#include <string.h>

#include "lwm2m/error.h"

/* One decimal ID of at most 5 digits, value <= LWM2M_ID_MAX. */
static int parse_id(const char *s, size_t len, uint16_t *out)
{
    if (len == 0)
        return LWM2M_ERR_INVALID;
    if (len > 5)
        return LWM2M_ERR_RANGE;
    uint32_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return LWM2M_ERR_INVALID;
        v = v * 10u + (uint32_t)(s[i] - '0');
    }
    if (v > LWM2M_ID_MAX)
        return LWM2M_ERR_RANGE;
    *out = (uint16_t)v;
    return LWM2M_OK;
}

int lwm2m_path_parse(const char *s, size_t len, lwm2m_path *out)
{
    lwm2m_path p = lwm2m_path_root();
    if (s == NULL || len == 0 || s[0] != '/')
        return LWM2M_ERR_INVALID;
    if (len == 1) {
        *out = p;
        return LWM2M_OK;
    }
    size_t pos = 1;
    while (pos <= len) {
        size_t end = pos;
        while (end < len && s[end] != '/')
            end++;
        if (p.len == LWM2M_PATH_MAX_DEPTH)
            return LWM2M_ERR_INVALID;
        int rc = parse_id(s + pos, end - pos, &p.id[p.len]);
        if (rc != LWM2M_OK)
            return rc;
        p.len++;
        if (end == len)
            break;
        pos = end + 1;
        if (pos == len) /* trailing '/' is an empty segment */
            return LWM2M_ERR_INVALID;
    }
    *out = p;
    return LWM2M_OK;
}

int lwm2m_path_from_segments(const char *const *segs, const size_t *seg_lens, size_t n,
                             lwm2m_path *out)
{
    lwm2m_path p = lwm2m_path_root();
    if (n > LWM2M_PATH_MAX_DEPTH)
        return LWM2M_ERR_INVALID;
    for (size_t i = 0; i < n; i++) {
        int rc = parse_id(segs[i], seg_lens[i], &p.id[i]);
        if (rc != LWM2M_OK)
            return rc;
        p.len++;
    }
    *out = p;
    return LWM2M_OK;
}

size_t lwm2m_path_format(const lwm2m_path *p, char *buf, size_t cap)
{
    char tmp[LWM2M_PATH_STR_MAX];
    size_t n = 0;
    if (p->len == 0) {
        tmp[n++] = '/';
    } else {
        /* By hand: snprintf per segment was most of the SenML encoders' time (bench/). */
        for (uint8_t i = 0; i < p->len && i < LWM2M_PATH_MAX_DEPTH; i++) {
            char digits[5];
            size_t d = 0;
            unsigned v = p->id[i];
            do {
                digits[d++] = (char)('0' + v % 10);
                v /= 10;
            } while (v != 0);
            tmp[n++] = '/';
            while (d > 0)
                tmp[n++] = digits[--d];
        }
    }
    tmp[n] = '\0';
    if (cap > 0) {
        size_t c = n < cap - 1 ? n : cap - 1;
        memcpy(buf, tmp, c);
        buf[c] = '\0';
    }
    return n;
}

bool lwm2m_path_is_prefix(const lwm2m_path *prefix, const lwm2m_path *p)
{
    if (prefix->len > p->len)
        return false;
    for (uint8_t i = 0; i < prefix->len; i++)
        if (prefix->id[i] != p->id[i])
            return false;
    return true;
}

bool lwm2m_path_equal(const lwm2m_path *a, const lwm2m_path *b)
{
    return a->len == b->len && lwm2m_path_is_prefix(a, b);
}

int lwm2m_path_compare(const lwm2m_path *a, const lwm2m_path *b)
{
    uint8_t n = a->len < b->len ? a->len : b->len;
    for (uint8_t i = 0; i < n; i++) {
        if (a->id[i] != b->id[i])
            return a->id[i] < b->id[i] ? -1 : 1;
    }
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    return 0;
}

lwm2m_path lwm2m_path_truncate(const lwm2m_path *p, uint8_t len)
{
    lwm2m_path r = *p;
    if (len < r.len) {
        for (uint8_t i = len; i < LWM2M_PATH_MAX_DEPTH; i++)
            r.id[i] = 0;
        r.len = len;
    }
    return r;
}

int lwm2m_path_append(lwm2m_path *p, uint16_t id)
{
    if (p->len >= LWM2M_PATH_MAX_DEPTH)
        return LWM2M_ERR_RANGE;
    p->id[p->len++] = id;
    return LWM2M_OK;
}
