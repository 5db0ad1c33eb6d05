/* Internal helpers shared by the codecs. */
#include "codec/codec_common.h"

#include "core/utf8.h"
#include "lwm2m/error.h"

int lwm2m_codec_fail(lwm2m_codec_error *err, int rc, size_t offset, const char *reason)
{
    if (err != NULL) {
        err->offset = offset;
        err->reason = reason;
    }
    return rc;
}

lwm2m_decode_mark lwm2m_decode_mark_take(const lwm2m_record_list *out, const lwm2m_arena *arena)
{
    lwm2m_decode_mark m = {out->count, arena != NULL ? arena->used : 0};
    return m;
}

int lwm2m_decode_undo(const lwm2m_decode_mark *m, lwm2m_record_list *out, lwm2m_arena *arena,
                      lwm2m_codec_error *err, int rc, size_t offset, const char *reason)
{
    out->count = m->count;
    if (arena != NULL)
        arena->used = m->used;
    return lwm2m_codec_fail(err, rc, offset, reason);
}

bool lwm2m_codec_value_ok(const lwm2m_value *v)
{
    switch (v->type) {
    case LWM2M_TYPE_INTEGER:
    case LWM2M_TYPE_TIME:
    case LWM2M_TYPE_UNSIGNED:
    case LWM2M_TYPE_FLOAT:
    case LWM2M_TYPE_BOOLEAN:
    case LWM2M_TYPE_OBJLNK:
        return true;
    case LWM2M_TYPE_STRING:
    case LWM2M_TYPE_CORELNK:
        return v->v.bytes.len == 0 ||
               (v->v.bytes.ptr != NULL && lwm2m_utf8_valid(v->v.bytes.ptr, v->v.bytes.len));
    case LWM2M_TYPE_OPAQUE:
        return v->v.bytes.len == 0 || v->v.bytes.ptr != NULL;
    default:
        return false;
    }
}

int lwm2m_codec_one_record(const lwm2m_path *base, const lwm2m_record *recs, size_t n,
                           lwm2m_codec_error *err, const char *single_msg, const char *one_msg)
{
    err->offset = 0;
    err->reason = NULL;
    if (!lwm2m_codec_single_resource(base))
        return lwm2m_codec_fail(err, LWM2M_ERR_INVALID, 0, single_msg);
    if (n != 1)
        return lwm2m_codec_fail(err, LWM2M_ERR_INVALID, n > 1 ? 1 : 0, one_msg);
    if (!lwm2m_path_is_prefix(base, &recs[0].path))
        return lwm2m_codec_fail(err, LWM2M_ERR_INVALID, 0, "record outside the request path");
    if (!lwm2m_path_equal(base, &recs[0].path))
        return lwm2m_codec_fail(err, LWM2M_ERR_INVALID, 0, single_msg);
    return LWM2M_OK;
}

bool lwm2m_codec_single_resource(const lwm2m_path *base)
{
    return base->len == LWM2M_PATH_RESOURCE || base->len == LWM2M_PATH_RESOURCE_INSTANCE;
}
