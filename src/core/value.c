#include "lwm2m/value.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

#include "lwm2m/error.h"

lwm2m_value lwm2m_value_str(const char *s)
{
    return lwm2m_value_bytes(LWM2M_TYPE_STRING, s, s ? strlen(s) : 0);
}

static const char *const type_names[] = {
    [LWM2M_TYPE_NONE] = "none",       [LWM2M_TYPE_STRING] = "string",
    [LWM2M_TYPE_INTEGER] = "integer", [LWM2M_TYPE_UNSIGNED] = "unsigned integer",
    [LWM2M_TYPE_FLOAT] = "float",     [LWM2M_TYPE_BOOLEAN] = "boolean",
    [LWM2M_TYPE_OPAQUE] = "opaque",   [LWM2M_TYPE_TIME] = "time",
    [LWM2M_TYPE_OBJLNK] = "objlnk",   [LWM2M_TYPE_CORELNK] = "corelnk",
};

const char *lwm2m_type_name(lwm2m_type t)
{
    if ((unsigned)t < sizeof type_names / sizeof type_names[0])
        return type_names[t];
    return "unknown";
}

lwm2m_type lwm2m_type_from_name(const char *name, size_t len)
{
    for (size_t t = LWM2M_TYPE_STRING; t < sizeof type_names / sizeof type_names[0]; t++) {
        const char *n = type_names[t];
        if (strlen(n) != len)
            continue;
        size_t i = 0;
        while (i < len && tolower((unsigned char)name[i]) == n[i])
            i++;
        if (i == len)
            return (lwm2m_type)t;
    }
    return LWM2M_TYPE_NONE;
}

static bool is_bytes_type(lwm2m_type t)
{
    return t == LWM2M_TYPE_STRING || t == LWM2M_TYPE_OPAQUE || t == LWM2M_TYPE_CORELNK;
}

/* Exact integer value of a finite double, if it has one within int64/uint64 range. */
static int double_to_i64(double d, int64_t *out)
{
    if (!isfinite(d) || d != floor(d))
        return LWM2M_ERR_TYPE;
    if (d < -9223372036854775808.0 || d >= 9223372036854775808.0)
        return LWM2M_ERR_RANGE;
    *out = (int64_t)d;
    return LWM2M_OK;
}

int lwm2m_value_convert(const lwm2m_value *in, lwm2m_type want, lwm2m_value *out)
{
    lwm2m_value r = *in;
    if (in->type == want || want == LWM2M_TYPE_NONE) {
        *out = r;
        return LWM2M_OK;
    }
    r.type = want;
    switch (want) {
    case LWM2M_TYPE_STRING:
    case LWM2M_TYPE_OPAQUE:
    case LWM2M_TYPE_CORELNK:
        if (!is_bytes_type(in->type))
            return LWM2M_ERR_TYPE;
        break;
    case LWM2M_TYPE_INTEGER:
    case LWM2M_TYPE_TIME:
        if (in->type == LWM2M_TYPE_INTEGER || in->type == LWM2M_TYPE_TIME) {
            r.v.i = in->v.i;
        } else if (in->type == LWM2M_TYPE_UNSIGNED) {
            if (in->v.u > (uint64_t)INT64_MAX)
                return LWM2M_ERR_RANGE;
            r.v.i = (int64_t)in->v.u;
        } else if (in->type == LWM2M_TYPE_FLOAT) {
            int rc = double_to_i64(in->v.f, &r.v.i);
            if (rc != LWM2M_OK)
                return rc;
        } else {
            return LWM2M_ERR_TYPE;
        }
        break;
    case LWM2M_TYPE_UNSIGNED:
        if (in->type == LWM2M_TYPE_INTEGER || in->type == LWM2M_TYPE_TIME) {
            if (in->v.i < 0)
                return LWM2M_ERR_RANGE;
            r.v.u = (uint64_t)in->v.i;
        } else if (in->type == LWM2M_TYPE_FLOAT) {
            double d = in->v.f;
            if (!isfinite(d) || d != floor(d))
                return LWM2M_ERR_TYPE;
            if (d < 0 || d >= 18446744073709551616.0)
                return LWM2M_ERR_RANGE;
            r.v.u = (uint64_t)d;
        } else {
            return LWM2M_ERR_TYPE;
        }
        break;
    case LWM2M_TYPE_FLOAT:
        if (in->type == LWM2M_TYPE_INTEGER || in->type == LWM2M_TYPE_TIME)
            r.v.f = (double)in->v.i;
        else if (in->type == LWM2M_TYPE_UNSIGNED)
            r.v.f = (double)in->v.u;
        else
            return LWM2M_ERR_TYPE;
        break;
    case LWM2M_TYPE_BOOLEAN:
        /* Only from the integers 0 and 1 (TLV and text carry booleans that way). */
        if ((in->type == LWM2M_TYPE_INTEGER && (in->v.i == 0 || in->v.i == 1)))
            r.v.b = in->v.i == 1;
        else if (in->type == LWM2M_TYPE_UNSIGNED && in->v.u <= 1)
            r.v.b = in->v.u == 1;
        else
            return LWM2M_ERR_TYPE;
        break;
    default:
        return LWM2M_ERR_TYPE;
    }
    *out = r;
    return LWM2M_OK;
}

bool lwm2m_value_equal(const lwm2m_value *a, const lwm2m_value *b)
{
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case LWM2M_TYPE_NONE:
        return true;
    case LWM2M_TYPE_INTEGER:
    case LWM2M_TYPE_TIME:
        return a->v.i == b->v.i;
    case LWM2M_TYPE_UNSIGNED:
        return a->v.u == b->v.u;
    case LWM2M_TYPE_FLOAT:
        if (isnan(a->v.f) || isnan(b->v.f))
            return isnan(a->v.f) && isnan(b->v.f);
        return a->v.f == b->v.f;
    case LWM2M_TYPE_BOOLEAN:
        return a->v.b == b->v.b;
    case LWM2M_TYPE_OBJLNK:
        return a->v.objlnk.obj == b->v.objlnk.obj && a->v.objlnk.inst == b->v.objlnk.inst;
    case LWM2M_TYPE_STRING:
    case LWM2M_TYPE_OPAQUE:
    case LWM2M_TYPE_CORELNK:
        return a->v.bytes.len == b->v.bytes.len &&
               (a->v.bytes.len == 0 || memcmp(a->v.bytes.ptr, b->v.bytes.ptr, a->v.bytes.len) == 0);
    }
    return false;
}
