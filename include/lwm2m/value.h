/* Typed resource values (OMA TS Core, Appendix C data types). */
#ifndef LWM2M_VALUE_H
#define LWM2M_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lwm2m_type {
    LWM2M_TYPE_NONE = 0, /* no value: an empty instance or an empty multiple resource */
    LWM2M_TYPE_STRING,
    LWM2M_TYPE_INTEGER,
    LWM2M_TYPE_UNSIGNED,
    LWM2M_TYPE_FLOAT,
    LWM2M_TYPE_BOOLEAN,
    LWM2M_TYPE_OPAQUE,
    LWM2M_TYPE_TIME, /* seconds since the Unix epoch, signed */
    LWM2M_TYPE_OBJLNK,
    LWM2M_TYPE_CORELNK, /* RFC 6690 link as a string */
} lwm2m_type;

typedef struct lwm2m_bytes {
    const uint8_t *ptr; /* not NUL-terminated; may be NULL when len == 0 */
    size_t len;
} lwm2m_bytes;

typedef struct lwm2m_objlnk {
    uint16_t obj;
    uint16_t inst;
} lwm2m_objlnk;

/* A value. Strings, opaque and core links borrow their bytes: whoever fills the value
 * (a decoder's arena, the instance store, the caller) owns the memory. */
typedef struct lwm2m_value {
    lwm2m_type type;
    union {
        int64_t i;           /* INTEGER, TIME */
        uint64_t u;          /* UNSIGNED */
        double f;            /* FLOAT */
        bool b;              /* BOOLEAN */
        lwm2m_bytes bytes;   /* STRING, OPAQUE, CORELNK */
        lwm2m_objlnk objlnk; /* OBJLNK */
    } v;
} lwm2m_value;

static inline lwm2m_value lwm2m_value_int(int64_t i)
{
    lwm2m_value v;
    v.type = LWM2M_TYPE_INTEGER;
    v.v.i = i;
    return v;
}
static inline lwm2m_value lwm2m_value_uint(uint64_t u)
{
    lwm2m_value v;
    v.type = LWM2M_TYPE_UNSIGNED;
    v.v.u = u;
    return v;
}
static inline lwm2m_value lwm2m_value_float(double f)
{
    lwm2m_value v;
    v.type = LWM2M_TYPE_FLOAT;
    v.v.f = f;
    return v;
}
static inline lwm2m_value lwm2m_value_bool(bool b)
{
    lwm2m_value v;
    v.type = LWM2M_TYPE_BOOLEAN;
    v.v.b = b;
    return v;
}
static inline lwm2m_value lwm2m_value_time(int64_t t)
{
    lwm2m_value v;
    v.type = LWM2M_TYPE_TIME;
    v.v.i = t;
    return v;
}
static inline lwm2m_value lwm2m_value_objlnk(uint16_t obj, uint16_t inst)
{
    lwm2m_value v;
    v.type = LWM2M_TYPE_OBJLNK;
    v.v.objlnk.obj = obj;
    v.v.objlnk.inst = inst;
    return v;
}
/* STRING, OPAQUE or CORELNK borrowing `len` bytes at `ptr`. */
static inline lwm2m_value lwm2m_value_bytes(lwm2m_type type, const void *ptr, size_t len)
{
    lwm2m_value v;
    v.type = type;
    v.v.bytes.ptr = (const uint8_t *)ptr;
    v.v.bytes.len = len;
    return v;
}
lwm2m_value lwm2m_value_str(const char *s); /* NUL-terminated string, borrowed */

/* "string", "integer", ... as in the OMA object XML (Type element, lower case). */
const char *lwm2m_type_name(lwm2m_type t);
/* Parses an OMA XML type name ("String", "Integer", "Unsigned Integer", "Float", "Boolean",
 * "Opaque", "Time", "Objlnk", "Corelnk", "" for executables); case-insensitive.
 * Returns LWM2M_TYPE_NONE for "" or unknown. */
lwm2m_type lwm2m_type_from_name(const char *name, size_t len);

/* Converts a decoded value to the resource's declared type where the conversion is exact
 * (e.g. an INTEGER 5 to UNSIGNED, FLOAT 3.0 to INTEGER 3, INTEGER to TIME, a STRING to
 * CORELNK). Bytes are still borrowed from `in`. Returns LWM2M_ERR_TYPE when impossible
 * (including a negative number to UNSIGNED or a fraction to INTEGER) and
 * LWM2M_ERR_RANGE when out of range. */
int lwm2m_value_convert(const lwm2m_value *in, lwm2m_type want, lwm2m_value *out);

/* Deep equality (bytes compared by content; floats bit-for-bit except 0.0 == -0.0). */
bool lwm2m_value_equal(const lwm2m_value *a, const lwm2m_value *b);

#ifdef __cplusplus
}
#endif
#endif
