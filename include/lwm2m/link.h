/* CoRE Link Format (RFC 6690, Content-Format 40) as LwM2M uses it: Discover and
 * Bootstrap-Discover responses, Register/Update payloads. Zero allocation: parsed links borrow
 * from the input; only quoted values with backslash escapes are copied, into the caller's
 * arena. */
#ifndef LWM2M_LINK_H
#define LWM2M_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lwm2m/buf.h"
#include "lwm2m/codec.h"
#include "lwm2m/path.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Most parameters one link may carry; a link with more is rejected (LWM2M_ERR_NOMEM). */
#define LWM2M_LINK_MAX_PARAMS 16

/* One link parameter. Strings are not NUL-terminated.
 * Parsed: `value` is the value without quotes and escapes (NULL for a flag without '=');
 * `raw` is the value exactly as written, quotes included; `quoted` tells which form it had.
 * For writing only `name` and `value` are used. */
typedef struct lwm2m_link_param {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
    const char *raw;
    size_t raw_len;
    bool quoted;
} lwm2m_link_param;

/* A parameter from NUL-terminated strings, for writing (`value` NULL: a flag). */
static inline lwm2m_link_param lwm2m_link_param_str(const char *name, const char *value)
{
    lwm2m_link_param p;
    p.name = name;
    p.name_len = name ? strlen(name) : 0;
    p.value = value;
    p.value_len = value ? strlen(value) : 0;
    p.raw = NULL;
    p.raw_len = 0;
    p.quoted = false;
    return p;
}

typedef struct lwm2m_link {
    const char *target; /* the URI between '<' and '>', as written */
    size_t target_len;
    bool has_path;   /* the target parsed as an LwM2M path ("/", "/3", ... "/3/0/1/2") */
    lwm2m_path path; /* valid when has_path */
    size_t offset;   /* byte offset of the link's '<' in the input */
    lwm2m_link_param params[LWM2M_LINK_MAX_PARAMS];
    size_t param_count;
} lwm2m_link;

/* Iterates the links of a payload. Initialise with lwm2m_link_reader_init. */
typedef struct lwm2m_link_reader {
    const uint8_t *in;
    size_t len;
    size_t pos;
    lwm2m_arena *arena; /* for unescaped quoted values; may be NULL */
    int state;          /* private: 0 reading, 1 done, <0 the sticky error */
    lwm2m_codec_error err;
} lwm2m_link_reader;

/* `arena` may be NULL: a quoted value with a backslash escape then fails with NOMEM. */
void lwm2m_link_reader_init(lwm2m_link_reader *r, const uint8_t *in, size_t len,
                            lwm2m_arena *arena);

/* Parses the next link into `out`. Returns 1 (a link), 0 (end of input; an empty payload has
 * no links) or a negative code: LWM2M_ERR_INVALID for bad syntax (unterminated '<' or quotes,
 * empty target or value, characters outside the RFC 6690 grammar, bad percent-escapes,
 * whitespace, empty links between commas; `err` gets the byte offset and reason) or
 * LWM2M_ERR_NOMEM (more than LWM2M_LINK_MAX_PARAMS parameters, or the arena is full).
 * Errors are sticky: later calls return the same code. `err` may be NULL. */
int lwm2m_link_next(lwm2m_link_reader *r, lwm2m_link *out, lwm2m_codec_error *err);

/* Counts the links of a payload and checks its whole syntax (nothing kept). */
int lwm2m_link_count(const uint8_t *in, size_t len, lwm2m_arena *arena, size_t *count,
                     lwm2m_codec_error *err);

/* The first parameter named `name` (ASCII case-insensitive, as RFC 8288 says), or NULL. */
const lwm2m_link_param *lwm2m_link_find(const lwm2m_link *link, const char *name);

/* True when `p` has a value equal to the NUL-terminated `s` (byte-exact). */
bool lwm2m_link_param_is(const lwm2m_link_param *p, const char *s);

/* The LwM2M path of a target below an alternate root path such as "/lwm2m" (Register
 * payloads may start with "</lwm2m>;rt=\"oma.lwm2m\""). The root itself ("/lwm2m" or
 * "/lwm2m/") gives "/"; "/lwm2m/3/0" gives /3/0. `root` NULL, "" or "/" means no alternate
 * path. Returns 0, LWM2M_ERR_NOT_FOUND (not below root) or the codes of lwm2m_path_parse. */
int lwm2m_link_target_path(const char *target, size_t len, const char *root, lwm2m_path *out);

/* Appends one link `<target>;name=value;...` to `out`, preceded by ',' unless `first`.
 * Values are written unquoted when they are RFC 6690 ptokens, except for the parameters that
 * are conventionally quoted (rt, if, anchor, title, and uri in Bootstrap-Discover):
 * `</3/0/1>;dim=2;ver=1.1`, `</>;lwm2m=1.1`, `</0/1>;uri="coap://a"`, `</>;rt="oma.lwm2m"`.
 * '"' and '\\' in quoted values are escaped. Returns 0, LWM2M_ERR_OVERFLOW (out->len tells the size
 * needed) or LWM2M_ERR_INVALID (a name that is not an RFC 6690 token, or a value with
 * control characters). On LWM2M_ERR_INVALID nothing is written. */
int lwm2m_link_write(lwm2m_buf *out, const lwm2m_path *target, const lwm2m_link_param *params,
                     size_t n, bool first);

/* The same with a target given as text (e.g. "/lwm2m/3/0" or "/rd"), which must be a
 * non-empty URI reference of RFC 3986 characters with valid percent-escapes. */
int lwm2m_link_write_target(lwm2m_buf *out, const char *target, size_t target_len,
                            const lwm2m_link_param *params, size_t n, bool first);

#ifdef __cplusplus
}
#endif
#endif
