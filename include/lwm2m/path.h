/* LwM2M URI paths: "/", "/o", "/o/i", "/o/i/r", "/o/i/r/ri". */
#ifndef LWM2M_PATH_H
#define LWM2M_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 65535 (MAX_ID) is reserved by the spec for every ID level of a path. */
#define LWM2M_ID_MAX         65534u
#define LWM2M_ID_RESERVED    65535u
#define LWM2M_PATH_MAX_DEPTH 4
/* "/65534/65534/65534/65534" plus NUL */
#define LWM2M_PATH_STR_MAX 25

typedef enum lwm2m_path_level {
    LWM2M_PATH_ROOT = 0,
    LWM2M_PATH_OBJECT = 1,
    LWM2M_PATH_INSTANCE = 2,
    LWM2M_PATH_RESOURCE = 3,
    LWM2M_PATH_RESOURCE_INSTANCE = 4,
} lwm2m_path_level;

typedef struct lwm2m_path {
    uint16_t id[LWM2M_PATH_MAX_DEPTH];
    uint8_t len; /* number of valid ids, 0 = root "/" */
} lwm2m_path;

static inline lwm2m_path lwm2m_path_root(void)
{
    lwm2m_path p = {{0, 0, 0, 0}, 0};
    return p;
}
static inline lwm2m_path lwm2m_path_obj(uint16_t o)
{
    lwm2m_path p = {{o, 0, 0, 0}, 1};
    return p;
}
static inline lwm2m_path lwm2m_path_inst(uint16_t o, uint16_t i)
{
    lwm2m_path p = {{o, i, 0, 0}, 2};
    return p;
}
static inline lwm2m_path lwm2m_path_res(uint16_t o, uint16_t i, uint16_t r)
{
    lwm2m_path p = {{o, i, r, 0}, 3};
    return p;
}
static inline lwm2m_path lwm2m_path_rinst(uint16_t o, uint16_t i, uint16_t r, uint16_t ri)
{
    lwm2m_path p = {{o, i, r, ri}, 4};
    return p;
}

/* Parses "/", "/3", "/3/0/1", ... (exactly `len` bytes of `s`, no NUL needed).
 * Rejects a missing leading '/', empty segments (including a trailing '/'), non-digits,
 * more than 4 segments and IDs above 65534. Returns 0 or LWM2M_ERR_INVALID / _RANGE. */
int lwm2m_path_parse(const char *s, size_t len, lwm2m_path *out);

/* Parses a path given as CoAP Uri-Path segments (no slashes), e.g. {"3","0","1"}. */
int lwm2m_path_from_segments(const char *const *segs, const size_t *seg_lens, size_t n,
                             lwm2m_path *out);

/* Formats the path into buf (always NUL-terminated when cap > 0).
 * Returns the length the full string needs, excluding the NUL (snprintf semantics). */
size_t lwm2m_path_format(const lwm2m_path *p, char *buf, size_t cap);

/* True when `prefix` equals `p` or is an ancestor of it ("/" is an ancestor of all). */
bool lwm2m_path_is_prefix(const lwm2m_path *prefix, const lwm2m_path *p);

bool lwm2m_path_equal(const lwm2m_path *a, const lwm2m_path *b);

/* Total order: by ids level by level, a parent before its children. */
int lwm2m_path_compare(const lwm2m_path *a, const lwm2m_path *b);

/* The first `len` levels of p. */
lwm2m_path lwm2m_path_truncate(const lwm2m_path *p, uint8_t len);

/* p with one more level; LWM2M_ERR_RANGE when p is already 4 deep. */
int lwm2m_path_append(lwm2m_path *p, uint16_t id);

#ifdef __cplusplus
}
#endif
#endif
