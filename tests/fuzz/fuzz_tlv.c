/* libFuzzer harness for the TLV decoder.
 * Input: [flags][r][ri] payload. flags bits 0-1 pick the base /3/0, /3/0/r... depth
 * (/3, /3/0, /3/0/r, /3/0/r/ri); bit 2 drops the type resolver. The resolver types each
 * resource by its id modulo 9, so every type is exercised.
 * Whatever decodes must re-encode, decode again to the same records, and re-encode to the
 * same bytes; every value must also survive text (and opaque) at its own path. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/codec.h"
#include "lwm2m/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXREC 1024

static const lwm2m_type by_mod9[9] = {
    LWM2M_TYPE_STRING, LWM2M_TYPE_INTEGER, LWM2M_TYPE_UNSIGNED,
    LWM2M_TYPE_FLOAT,  LWM2M_TYPE_BOOLEAN, LWM2M_TYPE_OPAQUE,
    LWM2M_TYPE_TIME,   LWM2M_TYPE_OBJLNK,  LWM2M_TYPE_CORELNK,
};

static lwm2m_type mod9_type(void *ctx, const lwm2m_path *p)
{
    (void)ctx;
    if (p->len != 3)
        abort(); /* decoders must ask about resources */
    return by_mod9[p->id[2] % 9];
}

static lwm2m_type fixed_type(void *ctx, const lwm2m_path *p)
{
    (void)p;
    return *(const lwm2m_type *)ctx;
}

static void check_same(const lwm2m_record *a, const lwm2m_record *b, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (!lwm2m_path_equal(&a[k].path, &b[k].path) ||
            !lwm2m_value_equal(&a[k].value, &b[k].value))
            abort();
}

/* Encodes with a measuring pass first; the caller frees the result. */
static uint8_t *encode_tlv(const lwm2m_path *base, const lwm2m_record *recs, size_t n, size_t *len)
{
    uint8_t probe[4];
    lwm2m_buf b = lwm2m_buf_init(probe, sizeof probe);
    int rc = lwm2m_tlv_encode(base, recs, n, &b, NULL);
    if (rc != LWM2M_OK && rc != LWM2M_ERR_OVERFLOW)
        abort();
    if (rc == LWM2M_ERR_OVERFLOW && b.len <= sizeof probe)
        abort();
    size_t need = b.len;
    uint8_t *out = malloc(need + 1);
    if (out == NULL)
        abort();
    b = lwm2m_buf_init(out, need);
    if (lwm2m_tlv_encode(base, recs, n, &b, NULL) != LWM2M_OK || b.len != need)
        abort();
    *len = need;
    return out;
}

/* One value through text, and through opaque when it is bytes. */
static void cross_check(const lwm2m_record *r)
{
    lwm2m_type t = r->value.type;
    if (t == LWM2M_TYPE_NONE)
        return;
    lwm2m_types fixed = {fixed_type, &t};
    size_t cap = 64 + (t == LWM2M_TYPE_OPAQUE || t == LWM2M_TYPE_STRING || t == LWM2M_TYPE_CORELNK
                           ? r->value.v.bytes.len * 2
                           : 0);
    uint8_t *text = malloc(cap);
    uint8_t *mem = malloc(cap);
    if (text == NULL || mem == NULL)
        abort();
    lwm2m_buf b = lwm2m_buf_init(text, cap);
    lwm2m_codec_error err;
    int rc = lwm2m_text_encode(&r->path, r, 1, &b, &err);
    if (rc == LWM2M_ERR_INVALID && t == LWM2M_TYPE_FLOAT && r->value.v.f - r->value.v.f != 0) {
        /* NaN and infinities have no text form */
    } else {
        if (rc != LWM2M_OK)
            abort();
        lwm2m_record got;
        lwm2m_record_list l = lwm2m_record_list_init(&got, 1);
        lwm2m_arena arena = lwm2m_arena_init(mem, cap);
        if (lwm2m_text_decode(&r->path, text, b.len, &fixed, &arena, &l, &err) != LWM2M_OK)
            abort();
        check_same(r, &got, 1);
    }
    if (t == LWM2M_TYPE_OPAQUE || t == LWM2M_TYPE_STRING) {
        b = lwm2m_buf_init(text, cap);
        if (lwm2m_opaque_encode(&r->path, r, 1, &b, &err) != LWM2M_OK ||
            b.len != r->value.v.bytes.len)
            abort();
        lwm2m_record got;
        lwm2m_record_list l = lwm2m_record_list_init(&got, 1);
        if (lwm2m_opaque_decode(&r->path, text, b.len, NULL, NULL, &l, &err) != LWM2M_OK)
            abort();
        lwm2m_value want = r->value;
        want.type = LWM2M_TYPE_OPAQUE;
        if (!lwm2m_value_equal(&got.value, &want))
            abort();
    }
    free(text);
    free(mem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    lwm2m_path base = lwm2m_path_rinst(3, 0, data[1], data[2]);
    base.len = (uint8_t)((data[0] & 3) + 1);
    const lwm2m_types typed = {mod9_type, NULL};
    const lwm2m_types *types = (data[0] & 4) ? NULL : &typed;
    const uint8_t *in = data + 3;
    size_t len = size - 3;

    lwm2m_record *first = malloc(MAXREC * sizeof *first);
    lwm2m_record *second = malloc(MAXREC * sizeof *second);
    if (first == NULL || second == NULL)
        abort();
    lwm2m_record_list l1 = lwm2m_record_list_init(first, MAXREC);
    lwm2m_codec_error err;
    int rc = lwm2m_tlv_decode(&base, in, len, types, NULL, &l1, &err);
    if (rc != LWM2M_OK) {
        if (l1.count != 0 || err.reason == NULL || err.offset > len)
            abort();
        goto out;
    }
    for (size_t k = 0; k < l1.count; k++)
        if (!lwm2m_path_is_prefix(&base, &first[k].path))
            abort();
    lwm2m_record_sort(first, l1.count);

    size_t elen;
    uint8_t *enc = encode_tlv(&base, first, l1.count, &elen);
    lwm2m_record_list l2 = lwm2m_record_list_init(second, MAXREC);
    if (lwm2m_tlv_decode(&base, enc, elen, types, NULL, &l2, &err) != LWM2M_OK)
        abort();
    if (l2.count != l1.count)
        abort();
    lwm2m_record_sort(second, l2.count);
    check_same(first, second, l1.count);
    /* The encoding is canonical: encoding the second decode gives the same bytes. */
    size_t elen2;
    uint8_t *enc2 = encode_tlv(&base, second, l2.count, &elen2);
    if (elen2 != elen || memcmp(enc, enc2, elen) != 0)
        abort();
    free(enc2);
    free(enc);

    for (size_t k = 0; k < l1.count; k++)
        cross_check(&first[k]);
out:
    free(first);
    free(second);
    return 0;
}
