/* Format names and the dispatch of lwm2m_decode / lwm2m_encode to each codec. */
#include "lwm2m/codec.h"

#include <stdlib.h>
#include <string.h>

#include "lwm2m/error.h"

/* Which optional codecs are compiled in: CMake's LWM2M_CODECS defines each to 0 or 1 (and
 * leaves the sources of the 0s out of the library). Every codec when built without CMake. */
#ifndef LWM2M_CODEC_TLV
#define LWM2M_CODEC_TLV 1
#endif
#ifndef LWM2M_CODEC_SENML_JSON
#define LWM2M_CODEC_SENML_JSON 1
#endif
#ifndef LWM2M_CODEC_SENML_CBOR
#define LWM2M_CODEC_SENML_CBOR 1
#endif
#ifndef LWM2M_CODEC_LWM2M_JSON
#define LWM2M_CODEC_LWM2M_JSON 1
#endif
#ifndef LWM2M_CODEC_LWM2M_CBOR
#define LWM2M_CODEC_LWM2M_CBOR 1
#endif

static const struct {
    lwm2m_format format;
    const char *name;
} format_names[] = {
    {LWM2M_FORMAT_TEXT, "text"},
    {LWM2M_FORMAT_LINK, "link"},
    {LWM2M_FORMAT_OPAQUE, "opaque"},
    {LWM2M_FORMAT_CBOR, "cbor-single"},
    {LWM2M_FORMAT_SENML_JSON, "senml-json"},
    {LWM2M_FORMAT_SENML_CBOR, "senml-cbor"},
    {LWM2M_FORMAT_TLV, "tlv"},
    {LWM2M_FORMAT_LWM2M_JSON, "json"},
    {LWM2M_FORMAT_LWM2M_CBOR, "cbor"},
};

const char *lwm2m_format_name(lwm2m_format f)
{
    for (size_t i = 0; i < sizeof format_names / sizeof format_names[0]; i++)
        if (format_names[i].format == f)
            return format_names[i].name;
    return NULL;
}

int lwm2m_format_from_name(const char *name, lwm2m_format *out)
{
    for (size_t i = 0; i < sizeof format_names / sizeof format_names[0]; i++) {
        if (strcmp(format_names[i].name, name) == 0) {
            *out = format_names[i].format;
            return LWM2M_OK;
        }
    }
    char *end = NULL;
    unsigned long n = strtoul(name, &end, 10);
    if (end != name && *end == '\0' && n <= 65535) {
        for (size_t i = 0; i < sizeof format_names / sizeof format_names[0]; i++) {
            if ((unsigned long)format_names[i].format == n) {
                *out = format_names[i].format;
                return LWM2M_OK;
            }
        }
    }
    return LWM2M_ERR_UNSUPPORTED;
}

bool lwm2m_format_available(lwm2m_format f)
{
    switch (f) {
    case LWM2M_FORMAT_TEXT:
    case LWM2M_FORMAT_OPAQUE:
        return true;
    case LWM2M_FORMAT_TLV:
        return LWM2M_CODEC_TLV;
    case LWM2M_FORMAT_SENML_JSON:
        return LWM2M_CODEC_SENML_JSON;
    case LWM2M_FORMAT_SENML_CBOR:
        return LWM2M_CODEC_SENML_CBOR;
    case LWM2M_FORMAT_LWM2M_JSON:
        return LWM2M_CODEC_LWM2M_JSON;
    case LWM2M_FORMAT_LWM2M_CBOR:
        return LWM2M_CODEC_LWM2M_CBOR;
    default:
        return false;
    }
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
    case LWM2M_FORMAT_OPAQUE:
        return lwm2m_opaque_decode(base, in, len, types, arena, out, err);
#if LWM2M_CODEC_TLV
    case LWM2M_FORMAT_TLV:
        return lwm2m_tlv_decode(base, in, len, types, arena, out, err);
#endif
#if LWM2M_CODEC_SENML_JSON
    case LWM2M_FORMAT_SENML_JSON:
        return lwm2m_senml_json_decode(base, in, len, types, arena, out, err);
#endif
#if LWM2M_CODEC_LWM2M_JSON
    case LWM2M_FORMAT_LWM2M_JSON:
        return lwm2m_lwm2m_json_decode(base, in, len, types, arena, out, err);
#endif
#if LWM2M_CODEC_SENML_CBOR
    case LWM2M_FORMAT_SENML_CBOR:
        return lwm2m_senml_cbor_decode(base, in, len, types, arena, out, err);
#endif
#if LWM2M_CODEC_LWM2M_CBOR
    case LWM2M_FORMAT_LWM2M_CBOR:
        return lwm2m_lwm2m_cbor_decode(base, in, len, types, arena, out, err);
#endif
    default:
        err->reason = "unsupported content format";
        return LWM2M_ERR_UNSUPPORTED;
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
    case LWM2M_FORMAT_OPAQUE:
        return lwm2m_opaque_encode(base, recs, n, out, err);
#if LWM2M_CODEC_TLV
    case LWM2M_FORMAT_TLV:
        return lwm2m_tlv_encode(base, recs, n, out, err);
#endif
#if LWM2M_CODEC_SENML_JSON
    case LWM2M_FORMAT_SENML_JSON:
        return lwm2m_senml_json_encode(base, recs, n, out, err);
#endif
#if LWM2M_CODEC_LWM2M_JSON
    case LWM2M_FORMAT_LWM2M_JSON:
        return lwm2m_lwm2m_json_encode(base, recs, n, out, err);
#endif
#if LWM2M_CODEC_SENML_CBOR
    case LWM2M_FORMAT_SENML_CBOR:
        return lwm2m_senml_cbor_encode(base, recs, n, out, err);
#endif
#if LWM2M_CODEC_LWM2M_CBOR
    case LWM2M_FORMAT_LWM2M_CBOR:
        return lwm2m_lwm2m_cbor_encode(base, recs, n, out, err);
#endif
    default:
        err->reason = "unsupported content format";
        return LWM2M_ERR_UNSUPPORTED;
    }
}
