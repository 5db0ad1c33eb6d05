/* Opaque (Content-Format 42), OMA TS Core §6.4.2: the raw bytes of one opaque resource. */
#include "codec/codec_common.h"
#include "lwm2m/codec.h"
#include "lwm2m/error.h"

int lwm2m_opaque_decode(const lwm2m_path *base, const uint8_t *in, size_t len,
                        const lwm2m_types *types, lwm2m_arena *arena, lwm2m_record_list *out,
                        lwm2m_codec_error *err)
{
    (void)arena; /* the value borrows `in` */
    lwm2m_codec_error scratch;
    if (err == NULL)
        err = &scratch;
    err->offset = 0;
    err->reason = NULL;
    if (!lwm2m_codec_single_resource(base))
        return lwm2m_codec_fail(err, LWM2M_ERR_INVALID, 0, "opaque needs a single resource");
    if (types != NULL && types->fn != NULL) {
        lwm2m_path res = lwm2m_path_truncate(base, 3);
        lwm2m_type t = types->fn(types->ctx, &res);
        if (t != LWM2M_TYPE_NONE && t != LWM2M_TYPE_OPAQUE)
            return lwm2m_codec_fail(err, LWM2M_ERR_TYPE, 0,
                                    "opaque format for a non-opaque resource");
    }
    lwm2m_value v = lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, in, len);
    if (lwm2m_record_list_add(out, base, &v) != LWM2M_OK)
        return lwm2m_codec_fail(err, LWM2M_ERR_NOMEM, 0, "too many records");
    return LWM2M_OK;
}

int lwm2m_opaque_encode(const lwm2m_path *base, const lwm2m_record *recs, size_t n, lwm2m_buf *out,
                        lwm2m_codec_error *err)
{
    lwm2m_codec_error scratch;
    if (err == NULL)
        err = &scratch;
    int rc = lwm2m_codec_one_record(base, recs, n, err, "opaque needs a single resource",
                                    "opaque needs exactly one record");
    if (rc != LWM2M_OK)
        return rc;
    const lwm2m_value *v = &recs[0].value;
    if (v->type != LWM2M_TYPE_OPAQUE && v->type != LWM2M_TYPE_STRING)
        return lwm2m_codec_fail(err, LWM2M_ERR_INVALID, 0, "opaque format needs an opaque value");
    lwm2m_buf_put(out, v->v.bytes.ptr, v->v.bytes.len);
    return lwm2m_buf_overflowed(out) ? LWM2M_ERR_OVERFLOW : LWM2M_OK;
}
