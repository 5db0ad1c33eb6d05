/* Content formats: decode a payload into records, encode records into a payload. */
#ifndef LWM2M_CODEC_H
#define LWM2M_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwm2m/buf.h"
#include "lwm2m/path.h"
#include "lwm2m/record.h"
#include "lwm2m/value.h"

#ifdef __cplusplus
extern "C" {
#endif

/* CoAP Content-Format numbers (IANA). */
typedef enum lwm2m_format {
    LWM2M_FORMAT_TEXT = 0,
    LWM2M_FORMAT_LINK = 40,
    LWM2M_FORMAT_OPAQUE = 42,
    LWM2M_FORMAT_CBOR = 60,
    LWM2M_FORMAT_SENML_JSON = 110,
    LWM2M_FORMAT_SENML_CBOR = 112,
    LWM2M_FORMAT_TLV = 11542,
    LWM2M_FORMAT_LWM2M_JSON = 11543,
    LWM2M_FORMAT_LWM2M_CBOR = 11544,
    LWM2M_FORMAT_NONE = 65535, /* no Content-Format option */
} lwm2m_format;

/* Short CLI name ("text", "opaque", "link", "tlv", "json", "senml-json", "senml-cbor",
 * "cbor", "cbor-single" for 60), or NULL for an unknown number. */
const char *lwm2m_format_name(lwm2m_format f);
/* The inverse; also accepts the decimal number. Returns 0 or LWM2M_ERR_UNSUPPORTED. */
int lwm2m_format_from_name(const char *name, lwm2m_format *out);

/* Whether lwm2m_decode and lwm2m_encode handle `f` in this build. Text and opaque always;
 * TLV, SenML JSON, SenML CBOR, LwM2M JSON and LwM2M CBOR when the CMake list LWM2M_CODECS
 * names them (default "all"). False for the CoRE link format (always compiled, but through
 * lwm2m/link.h, not these calls), for 60 and for unknown numbers. What a client announces,
 * accepts and defaults to follows this answer. */
bool lwm2m_format_available(lwm2m_format f);

/* Tells a decoder the declared type of a resource (path.len == 3). A decoder that cannot
 * know the type from the payload (TLV, text, opaque, LwM2M CBOR integers...) asks it and
 * converts; when `fn` is NULL or answers LWM2M_TYPE_NONE the decoder keeps the payload's
 * own type (TLV and opaque: OPAQUE bytes; text: STRING). */
typedef struct lwm2m_types {
    lwm2m_type (*fn)(void *ctx, const lwm2m_path *resource);
    void *ctx;
} lwm2m_types;

/* Where and why a decode failed. `offset` is a byte offset into the input. */
typedef struct lwm2m_codec_error {
    size_t offset;
    const char *reason; /* static string */
} lwm2m_codec_error;

/* Decodes `len` bytes of `in` sent to (or read from) `base` into `out`.
 * Records get absolute paths below or equal to `base`; a record outside `base` is an error.
 * Strings and opaque values borrow from `in` when no unescaping is needed, otherwise they
 * are copied into `arena` (which may be NULL if the format never needs it).
 * Returns 0, LWM2M_ERR_INVALID (malformed, `err` says where), LWM2M_ERR_NOMEM (out or arena
 * full), LWM2M_ERR_TYPE (value does not fit the declared type) or LWM2M_ERR_UNSUPPORTED.
 * On error `out->count` is restored to its value at entry. */
int lwm2m_decode(lwm2m_format fmt, const lwm2m_path *base, const uint8_t *in, size_t len,
                 const lwm2m_types *types, lwm2m_arena *arena, lwm2m_record_list *out,
                 lwm2m_codec_error *err);

/* Encodes `n` records, all below or equal to `base`, sorted by path (lwm2m_record_sort), as
 * a response to a request on `base`. Returns 0, LWM2M_ERR_OVERFLOW (out->len then tells the
 * size needed), LWM2M_ERR_INVALID (records do not fit the format or the base, `err` says
 * which record: err->offset is its index) or LWM2M_ERR_UNSUPPORTED. */
int lwm2m_encode(lwm2m_format fmt, const lwm2m_path *base, const lwm2m_record *recs, size_t n,
                 lwm2m_buf *out, lwm2m_codec_error *err);

/* Per-format entry points with the same contracts (lwm2m_decode/lwm2m_encode dispatch). Those
 * of a format that LWM2M_CODECS leaves out are not in the library. */
int lwm2m_text_decode(const lwm2m_path *base, const uint8_t *in, size_t len,
                      const lwm2m_types *types, lwm2m_arena *arena, lwm2m_record_list *out,
                      lwm2m_codec_error *err);
int lwm2m_text_encode(const lwm2m_path *base, const lwm2m_record *recs, size_t n, lwm2m_buf *out,
                      lwm2m_codec_error *err);
int lwm2m_opaque_decode(const lwm2m_path *base, const uint8_t *in, size_t len,
                        const lwm2m_types *types, lwm2m_arena *arena, lwm2m_record_list *out,
                        lwm2m_codec_error *err);
int lwm2m_opaque_encode(const lwm2m_path *base, const lwm2m_record *recs, size_t n, lwm2m_buf *out,
                        lwm2m_codec_error *err);
int lwm2m_tlv_decode(const lwm2m_path *base, const uint8_t *in, size_t len,
                     const lwm2m_types *types, lwm2m_arena *arena, lwm2m_record_list *out,
                     lwm2m_codec_error *err);
int lwm2m_tlv_encode(const lwm2m_path *base, const lwm2m_record *recs, size_t n, lwm2m_buf *out,
                     lwm2m_codec_error *err);
int lwm2m_senml_json_decode(const lwm2m_path *base, const uint8_t *in, size_t len,
                            const lwm2m_types *types, lwm2m_arena *arena, lwm2m_record_list *out,
                            lwm2m_codec_error *err);
int lwm2m_senml_json_encode(const lwm2m_path *base, const lwm2m_record *recs, size_t n,
                            lwm2m_buf *out, lwm2m_codec_error *err);
int lwm2m_lwm2m_json_decode(const lwm2m_path *base, const uint8_t *in, size_t len,
                            const lwm2m_types *types, lwm2m_arena *arena, lwm2m_record_list *out,
                            lwm2m_codec_error *err);
int lwm2m_lwm2m_json_encode(const lwm2m_path *base, const lwm2m_record *recs, size_t n,
                            lwm2m_buf *out, lwm2m_codec_error *err);
int lwm2m_senml_cbor_decode(const lwm2m_path *base, const uint8_t *in, size_t len,
                            const lwm2m_types *types, lwm2m_arena *arena, lwm2m_record_list *out,
                            lwm2m_codec_error *err);
int lwm2m_senml_cbor_encode(const lwm2m_path *base, const lwm2m_record *recs, size_t n,
                            lwm2m_buf *out, lwm2m_codec_error *err);
int lwm2m_lwm2m_cbor_decode(const lwm2m_path *base, const uint8_t *in, size_t len,
                            const lwm2m_types *types, lwm2m_arena *arena, lwm2m_record_list *out,
                            lwm2m_codec_error *err);
int lwm2m_lwm2m_cbor_encode(const lwm2m_path *base, const lwm2m_record *recs, size_t n,
                            lwm2m_buf *out, lwm2m_codec_error *err);

#ifdef __cplusplus
}
#endif
#endif
