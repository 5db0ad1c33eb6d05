/* Internal: a small bounded JSON reader and writer shared by SenML JSON (110) and LwM2M JSON
 * (11543). It never allocates: strings are reported as spans of the input and unescaped only
 * on request, into caller memory or an arena. */
#ifndef LWM2M_CODEC_JSON_SCAN_H
#define LWM2M_CODEC_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/utf8.h"
#include "lwm2m/buf.h"
#include "lwm2m/path.h"
#include "lwm2m/value.h"

/* Deepest nesting of objects and arrays accepted anywhere in a payload (both formats need 3). */
#define LWM2M_JSON_MAX_DEPTH 8
/* Longest number literal: keeps lwm2m_parse_number on its stack buffer (no heap). */
#define LWM2M_JSON_NUMBER_MAX 400

typedef enum lwm2m_json_kind {
    LWM2M_JSON_BAD = 0, /* end of input or a byte that starts no value */
    LWM2M_JSON_STRING,
    LWM2M_JSON_NUMBER,
    LWM2M_JSON_TRUE,
    LWM2M_JSON_FALSE,
    LWM2M_JSON_NULL,
    LWM2M_JSON_OBJECT,
    LWM2M_JSON_ARRAY,
} lwm2m_json_kind;

/* A string token: its bytes between the quotes, already validated (escapes and UTF-8). */
typedef struct lwm2m_json_str {
    size_t pos;     /* input offset of the first byte after the opening quote */
    size_t raw_len; /* bytes between the quotes */
    size_t len;     /* length once unescaped */
    bool escaped;   /* true when raw and unescaped bytes differ */
} lwm2m_json_str;

/* A number token with its value (lwm2m_parse_number). */
typedef struct lwm2m_json_num {
    size_t pos;
    size_t len;
    double d;
    bool is_integer; /* no fraction and no exponent */
} lwm2m_json_num;

/* Reader state. The first error is kept (reason and offset) and returned by every later call
 * so a caller can check once. */
typedef struct lwm2m_json {
    const uint8_t *in;
    size_t len;
    size_t pos;
    unsigned depth;
    int rc;             /* first error code, 0 while none */
    const char *reason; /* static string of the first error */
    size_t err_pos;
} lwm2m_json;

void lwm2m_json_init(lwm2m_json *j, const uint8_t *in, size_t len);
/* Records an error at `pos` unless one is already recorded; returns the recorded code. */
int lwm2m_json_fail(lwm2m_json *j, size_t pos, int rc, const char *reason);
/* Skips whitespace and tells what the next value is, without consuming it. */
lwm2m_json_kind lwm2m_json_peek(lwm2m_json *j);

/* Objects: call begin, then next_member until *more is false; `count` (start at 0) is the
 * number of members read so far. Each member's key is returned and its ':' consumed; the
 * caller then reads or skips exactly one value. */
int lwm2m_json_begin_object(lwm2m_json *j);
int lwm2m_json_next_member(lwm2m_json *j, size_t *count, lwm2m_json_str *key, bool *more);
/* Arrays: the same with elements (the caller reads or skips each value). */
int lwm2m_json_begin_array(lwm2m_json *j);
int lwm2m_json_next_element(lwm2m_json *j, size_t *count, bool *more);

int lwm2m_json_read_string(lwm2m_json *j, lwm2m_json_str *out);
int lwm2m_json_read_number(lwm2m_json *j, lwm2m_json_num *out);
int lwm2m_json_read_bool(lwm2m_json *j, bool *out);
/* Skips any one value, nested up to the remaining depth allowance. */
int lwm2m_json_skip_value(lwm2m_json *j);
/* Only whitespace may follow the top-level value. */
int lwm2m_json_finish(lwm2m_json *j);

/* Unescaped content of a string token compared with a NUL-terminated literal / another token. */
bool lwm2m_json_str_is(const lwm2m_json *j, const lwm2m_json_str *s, const char *lit);
bool lwm2m_json_str_equal(const lwm2m_json *j, const lwm2m_json_str *a, const lwm2m_json_str *b);
/* Last unescaped byte, 0 for an empty string. */
uint8_t lwm2m_json_str_last(const lwm2m_json *j, const lwm2m_json_str *s);
/* Writes the unescaped bytes to dst (s->len bytes; dst must have room for them). */
void lwm2m_json_str_unescape(const lwm2m_json *j, const lwm2m_json_str *s, uint8_t *dst);
/* The unescaped string: borrowed from the input when it has no escapes, else copied into
 * the arena. Returns 0 or LWM2M_ERR_NOMEM. */
int lwm2m_json_str_bytes(const lwm2m_json *j, const lwm2m_json_str *s, lwm2m_arena *arena,
                         lwm2m_bytes *out);
/* Decodes a base64 / base64url string token into the arena (escapes allowed).
 * Returns 0, LWM2M_ERR_INVALID (not base64) or LWM2M_ERR_NOMEM. */
int lwm2m_json_str_base64(const lwm2m_json *j, const lwm2m_json_str *s, lwm2m_arena *arena,
                          lwm2m_bytes *out);
/* "o:i" with decimal IDs up to 65535, or "FFFF:FFFF" (the null link as the spec's examples
 * write it). Returns 0 or LWM2M_ERR_INVALID. */
int lwm2m_json_str_objlnk(const lwm2m_json *j, const lwm2m_json_str *s, lwm2m_objlnk *out);

/* The path named by base name + name (either may be absent: has_* false). */
int lwm2m_json_name_path(const lwm2m_json *j, const lwm2m_json_str *bn, bool has_bn,
                         const lwm2m_json_str *n, bool has_n, lwm2m_path *out);

/* A JSON number as a value: INTEGER when the literal is integral and fits int64, else
 * UNSIGNED when it fits uint64, else FLOAT. Then converted to `want` (NONE keeps it); a FLOAT
 * resource takes the literal's own double (keeps -0 and avoids double rounding).
 * Returns 0 or LWM2M_ERR_TYPE. */
int lwm2m_json_num_value(const lwm2m_json *j, const lwm2m_json_num *n, lwm2m_type want,
                         lwm2m_value *out);

/* A quoted JSON string: '"' and '\\' escaped, control characters as \u00XX. */
void lwm2m_json_put_string(lwm2m_buf *b, const uint8_t *s, size_t len);
/* A number that reads back exactly: plain digits for integral values below 1e15, else the
 * shortest form (lwm2m_fmt_double). LWM2M_ERR_INVALID for NaN/inf. */
int lwm2m_json_put_double(lwm2m_buf *b, double d);
/* "key": */
void lwm2m_json_put_key(lwm2m_buf *b, const char *key);
/* INTEGER, TIME, UNSIGNED or FLOAT as a JSON number; LWM2M_ERR_INVALID for other types and
 * for NaN/inf. */
int lwm2m_json_put_number(lwm2m_buf *b, const lwm2m_value *v);

/* The value labels of a JSON format: SenML ("v", "vb", "vs", "vd", "vlo") or LwM2M JSON. */
typedef struct lwm2m_json_labels {
    const char *number, *boolean, *string, *opaque, *objlnk;
    bool base64url; /* opaque in base64url without padding (SenML) or standard base64 */
} lwm2m_json_labels;

/* Writes "label":value for `v`; LWM2M_ERR_INVALID when it has no form (bad UTF-8, NONE). */
int lwm2m_json_put_value(lwm2m_buf *b, const lwm2m_value *v, const lwm2m_json_labels *labels);
/* The base name the encoders start with: the path of the first record when it is the request
 * path itself, else the request path with a trailing '/' ("/" for the root), so that names
 * stay short ("0", "6/1"). `first` may be NULL. Returns its length (bn gets a NUL). */
size_t lwm2m_json_base_name(const lwm2m_path *base, const lwm2m_path *first,
                            char bn[LWM2M_PATH_STR_MAX + 1]);
/* The offset t to write for `time` against base time `bt` so that bt + t reads back as
 * exactly `time`; false when no such t exists in doubles. */
bool lwm2m_json_time_offset(double bt, double time, double *t);

#endif
