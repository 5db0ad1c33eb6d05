/* libFuzzer harness for the plain text and opaque decoders.
 * Input: [type][flags] payload. type % 10 picks the declared type (0 = no resolver);
 * flags bit 0 picks /o/i/r or /o/i/r/ri, bit 1 an invalid base /o/i, bit 2 a resolver that
 * answers NONE. Whatever decodes must re-encode, decode again to the same value, survive a
 * trip through TLV, and opaque must give back the payload byte for byte. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/codec.h"
#include "lwm2m/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const lwm2m_type types_by_selector[10] = {
    LWM2M_TYPE_NONE,   LWM2M_TYPE_STRING,  LWM2M_TYPE_INTEGER, LWM2M_TYPE_UNSIGNED,
    LWM2M_TYPE_FLOAT,  LWM2M_TYPE_BOOLEAN, LWM2M_TYPE_OPAQUE,  LWM2M_TYPE_TIME,
    LWM2M_TYPE_OBJLNK, LWM2M_TYPE_CORELNK,
};

static lwm2m_type fixed_type(void *ctx, const lwm2m_path *p)
{
    if (p->len != 3)
        abort(); /* decoders must ask about resources */
    return *(const lwm2m_type *)ctx;
}

static void check_same(const lwm2m_record *a, const lwm2m_record *b)
{
    if (!lwm2m_path_equal(&a->path, &b->path) || !lwm2m_value_equal(&a->value, &b->value))
        abort();
}

/* Encodes with `enc`, decodes with `dec` and the value's own type, compares. */
static void round_trip(int (*enc)(const lwm2m_path *, const lwm2m_record *, size_t, lwm2m_buf *,
                                  lwm2m_codec_error *),
                       int (*dec)(const lwm2m_path *, const uint8_t *, size_t, const lwm2m_types *,
                                  lwm2m_arena *, lwm2m_record_list *, lwm2m_codec_error *),
                       const lwm2m_record *r)
{
    size_t cap =
        64 + 2 * (r->value.type == LWM2M_TYPE_OPAQUE || r->value.type == LWM2M_TYPE_STRING ||
                          r->value.type == LWM2M_TYPE_CORELNK
                      ? r->value.v.bytes.len
                      : 0);
    uint8_t *buf = malloc(cap);
    uint8_t *mem = malloc(cap);
    if (buf == NULL || mem == NULL)
        abort();
    lwm2m_buf b = lwm2m_buf_init(buf, cap);
    lwm2m_codec_error err;
    if (enc(&r->path, r, 1, &b, &err) != LWM2M_OK)
        abort();
    lwm2m_type t = r->value.type;
    lwm2m_types own = {fixed_type, &t};
    lwm2m_record got;
    lwm2m_record_list l = lwm2m_record_list_init(&got, 1);
    lwm2m_arena arena = lwm2m_arena_init(mem, cap);
    if (dec(&r->path, buf, b.len, &own, &arena, &l, &err) != LWM2M_OK || l.count != 1)
        abort();
    check_same(r, &got);
    free(buf);
    free(mem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    lwm2m_type declared = types_by_selector[data[0] % 10];
    lwm2m_type none = LWM2M_TYPE_NONE;
    lwm2m_types typed = {fixed_type, (data[1] & 4) ? &none : &declared};
    const lwm2m_types *types = declared == LWM2M_TYPE_NONE ? NULL : &typed;
    lwm2m_path base = lwm2m_path_rinst(30000, 1, 2, 3);
    base.len = (data[1] & 2) ? 2 : (data[1] & 1) ? 4 : 3;
    const uint8_t *in = data + 2;
    size_t len = size - 2;

    uint8_t *mem = malloc(len + 1);
    if (mem == NULL)
        abort();
    lwm2m_arena arena = lwm2m_arena_init(mem, len + 1);
    lwm2m_record rec;
    lwm2m_record_list l = lwm2m_record_list_init(&rec, 1);
    lwm2m_codec_error err;
    int rc = lwm2m_text_decode(&base, in, len, types, &arena, &l, &err);
    if (rc != LWM2M_OK) {
        if (l.count != 0 || arena.used != 0 || err.reason == NULL || err.offset > len)
            abort();
    } else {
        if (base.len < 3 || l.count != 1 || !lwm2m_path_equal(&rec.path, &base))
            abort();
        round_trip(lwm2m_text_encode, lwm2m_text_decode, &rec);
        round_trip(lwm2m_tlv_encode, lwm2m_tlv_decode, &rec);
        /* Strings and core links are the payload itself. */
        if ((rec.value.type == LWM2M_TYPE_STRING || rec.value.type == LWM2M_TYPE_CORELNK) &&
            (rec.value.v.bytes.len != len ||
             (len > 0 && memcmp(rec.value.v.bytes.ptr, in, len) != 0)))
            abort();
    }

    l = lwm2m_record_list_init(&rec, 1);
    rc = lwm2m_opaque_decode(&base, in, len, types, NULL, &l, &err);
    if (rc == LWM2M_OK) {
        if (rec.value.type != LWM2M_TYPE_OPAQUE || rec.value.v.bytes.len != len)
            abort();
        uint8_t *out = malloc(len + 1);
        if (out == NULL)
            abort();
        lwm2m_buf b = lwm2m_buf_init(out, len);
        if (lwm2m_opaque_encode(&base, &rec, 1, &b, &err) != LWM2M_OK || b.len != len ||
            (len > 0 && memcmp(out, in, len) != 0))
            abort();
        free(out);
        round_trip(lwm2m_text_encode, lwm2m_text_decode, &rec);
        round_trip(lwm2m_tlv_encode, lwm2m_tlv_decode, &rec);
    } else if (l.count != 0 || err.reason == NULL) {
        abort();
    }
    free(mem);
    return 0;
}
