/* The content-format dispatch of a TLV-and-text-only client, in place of src/codec/codec.c
 * for the footprint measurement: same contracts as lwm2m_decode / lwm2m_encode, but only the
 * formats a minimal LwM2M 1.0/1.1 client must have (TLV, text; opaque is a few bytes more), so
 * the linker can drop the SenML, LwM2M JSON and CBOR codecs. Every other format answers
 * LWM2M_ERR_UNSUPPORTED, which the client turns into 4.15 / 4.06. */
#include "lwm2m/codec.h"

#include "lwm2m/error.h"

static int unsupported(lwm2m_codec_error *err)
{
    if (err != NULL)
        err->reason = "unsupported content format";
    return LWM2M_ERR_UNSUPPORTED;
}

int lwm2m_decode(lwm2m_format fmt, const lwm2m_path *base, const uint8_t *in, size_t len,
                 const lwm2m_types *types, lwm2m_arena *arena, lwm2m_record_list *out,
                 lwm2m_codec_error *err)
{
    lwm2m_codec_error scratch;
    if (err == NULL)
        err = &scratch;
    err->offset = 0;
    err->reason = NULL;
    switch (fmt) {
    case LWM2M_FORMAT_TEXT:
        return lwm2m_text_decode(base, in, len, types, arena, out, err);
    case LWM2M_FORMAT_TLV:
        return lwm2m_tlv_decode(base, in, len, types, arena, out, err);
    default:
        return unsupported(err);
    }
}

int lwm2m_encode(lwm2m_format fmt, const lwm2m_path *base, const lwm2m_record *recs, size_t n,
                 lwm2m_buf *out, lwm2m_codec_error *err)
{
    lwm2m_codec_error scratch;
    if (err == NULL)
        err = &scratch;
    err->offset = 0;
    err->reason = NULL;
    switch (fmt) {
    case LWM2M_FORMAT_TEXT:
        return lwm2m_text_encode(base, recs, n, out, err);
    case LWM2M_FORMAT_TLV:
        return lwm2m_tlv_encode(base, recs, n, out, err);
    default:
        return unsupported(err);
    }
}
