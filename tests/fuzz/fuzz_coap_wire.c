/* libFuzzer harness for the CoAP wire codec (src/coap/coap_wire.c).
 * Input: one datagram. A failed parse must still have filled type, code and MID from a whole
 * header. A message that parses is written again with the writer (type, code, MID, token,
 * options in order, payload): each option delta and length has exactly one encoding
 * (RFC 7252 §3.1: nibble 13 carries 13..268, nibble 14 269..65804), so the bytes must equal
 * the input; they must also parse to the same message, and one byte less of capacity must
 * overflow. The helpers (find, uint, join, block) are checked against a reading of the
 * options done here, and put_path/put_query must give back the options a join produced. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/coap_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The writer refuses longer option values (its length field stops at 65535 - 269). */
#define WRITER_MAX_OPTION_LEN (0xffff - 269)

static void check_same(const lwm2m_coap_msg *a, const lwm2m_coap_msg *b)
{
    if (a->type != b->type || a->code != b->code || a->mid != b->mid ||
        a->token_len != b->token_len || memcmp(a->token, b->token, a->token_len) != 0 ||
        a->n_options != b->n_options || a->payload_len != b->payload_len ||
        (a->payload == NULL) != (b->payload == NULL))
        abort();
    for (size_t i = 0; i < a->n_options; i++) {
        const lwm2m_coap_option *x = &a->options[i], *y = &b->options[i];
        if (x->number != y->number || x->len != y->len ||
            (x->len > 0 && memcmp(x->value, y->value, x->len) != 0))
            abort();
    }
    if (a->payload_len > 0 && memcmp(a->payload, b->payload, a->payload_len) != 0)
        abort();
}

/* What parse promises about a message it accepted, taken from `data`. */
static void check_parsed(const lwm2m_coap_msg *m, const uint8_t *data, size_t size)
{
    const uint8_t *end = data + size;
    if (size < 4 || data[0] >> 6 != 1 || m->type != ((data[0] >> 4) & 3) || m->code != data[1] ||
        m->mid != (uint16_t)(data[2] << 8 | data[3]) || m->token_len != (data[0] & 15) ||
        m->token_len > LWM2M_COAP_TOKEN_MAX || (size_t)4 + m->token_len > size ||
        memcmp(m->token, data + 4, m->token_len) != 0 || m->n_options > LWM2M_COAP_MAX_OPTIONS)
        abort();
    if (m->code == 0 && size != 4)
        abort(); /* Empty is the header alone */
    for (size_t i = 0; i < m->n_options; i++) {
        const lwm2m_coap_option *o = &m->options[i];
        if ((i > 0 && o->number < m->options[i - 1].number) || o->value < data + 4 ||
            o->value > end || (size_t)(end - o->value) < o->len)
            abort();
    }
    if (m->payload == NULL) {
        if (m->payload_len != 0)
            abort();
    } else if (m->payload_len == 0 || m->payload + m->payload_len != end ||
               m->payload[-1] != 0xff) {
        abort();
    }
}

/* Writes `m` again into a buffer of exactly `cap` bytes; the length or -1. */
static int rewrite(const lwm2m_coap_msg *m, uint8_t *buf, size_t cap)
{
    lwm2m_coap_writer w;
    lwm2m_coap_writer_init(&w, buf, cap, m->type, m->code, m->mid, m->token, m->token_len);
    for (size_t i = 0; i < m->n_options; i++)
        lwm2m_coap_put_option(&w, m->options[i].number, m->options[i].value, m->options[i].len);
    lwm2m_coap_put_payload(&w, m->payload, m->payload_len);
    if (w.misordered)
        abort(); /* parsed options are ascending */
    return lwm2m_coap_finish(&w);
}

static void check_rewrite(const lwm2m_coap_msg *m, const uint8_t *data, size_t size)
{
    bool writable = true;
    for (size_t i = 0; i < m->n_options; i++)
        if (m->options[i].len > WRITER_MAX_OPTION_LEN)
            writable = false;

    uint8_t *exact = malloc(size);
    if (exact == NULL)
        abort();
    int len = rewrite(m, exact, size);
    if (!writable) {
        if (len != -1)
            abort();
        free(exact);
        return;
    }
    if (len < 0 || (size_t)len != size || memcmp(exact, data, size) != 0)
        abort();
    lwm2m_coap_msg again;
    if (lwm2m_coap_parse(exact, (size_t)len, &again) != 0)
        abort();
    check_same(m, &again);
    free(exact);

    /* One byte short must overflow, and (under ASan) write nothing past the capacity. */
    uint8_t *short_buf = malloc(size - 1);
    if (short_buf == NULL)
        abort();
    if (rewrite(m, short_buf, size - 1) != -1)
        abort();
    free(short_buf);
}

static bool has_byte(const lwm2m_coap_option *o, uint8_t c)
{
    return o->len > 0 && memchr(o->value, c, o->len) != NULL;
}

/* lwm2m_coap_join against a composition done here (RFC 7252 §6.5), and put_path/put_query
 * giving back the same options when no segment is empty (empty ones are not kept by a
 * split, by design). */
static void check_join(const lwm2m_coap_msg *m, uint16_t number, size_t size)
{
    bool query = number == LWM2M_COAP_OPT_URI_QUERY;
    uint8_t sep = query ? '&' : '/';
    size_t cap = size + 2; /* every segment and separator come from the datagram; "/" + NUL */
    char *out = malloc(cap);
    char *want = malloc(cap);
    if (out == NULL || want == NULL)
        abort();
    size_t n = 0, count = 0, from = 0;
    bool bad = false, empty_segment = false;
    const lwm2m_coap_option *o;
    while ((o = lwm2m_coap_find(m, number, &from)) != NULL) {
        if (o->number != number)
            abort();
        if (has_byte(o, 0) || has_byte(o, sep))
            bad = true;
        if (o->len == 0)
            empty_segment = true;
        if (!query || count > 0)
            want[n++] = (char)sep;
        if (o->len > 0)
            memcpy(want + n, o->value, o->len);
        n += o->len;
        count++;
    }
    if (from != m->n_options)
        abort();
    if (count == 0 && !query)
        want[n++] = '/';
    want[n] = '\0';

    int rc = lwm2m_coap_join(m, number, out, cap);
    if (bad) {
        if (rc != -1)
            abort();
        goto done;
    }
    if (rc < 0 || strlen(out) != (size_t)rc)
        abort();
    /* The join is the composition; a query whose first segments are empty may also come
     * without their leading '&'s. */
    size_t skip = 0;
    while (query && skip < n && want[skip] == '&')
        skip++;
    bool exact = (size_t)rc == n && memcmp(out, want, n) == 0;
    bool stripped = (size_t)rc == n - skip && memcmp(out, want + skip, n - skip) == 0;
    if (!exact && !stripped)
        abort();
    /* Exactly enough capacity works; one less does not. Exactly sized buffers, so that ASan
     * sees a write past the capacity. */
    for (size_t cap_try = (size_t)rc; cap_try <= (size_t)rc + 1; cap_try++) {
        char *tight = malloc(cap_try > 0 ? cap_try : 1);
        if (tight == NULL)
            abort();
        int rc_try = lwm2m_coap_join(m, number, tight, cap_try);
        if (rc_try != (cap_try > (size_t)rc ? rc : -1) ||
            (rc_try >= 0 && memcmp(tight, out, (size_t)rc + 1) != 0))
            abort();
        free(tight);
    }

    if (!empty_segment) {
        size_t wcap = 4 + (size_t)rc * 6 + 16;
        uint8_t *buf = malloc(wcap);
        if (buf == NULL)
            abort();
        lwm2m_coap_writer w;
        lwm2m_coap_writer_init(&w, buf, wcap, LWM2M_COAP_CON, 1, 0, NULL, 0);
        if (query)
            lwm2m_coap_put_query(&w, out);
        else
            lwm2m_coap_put_path(&w, number, out);
        int len = lwm2m_coap_finish(&w);
        lwm2m_coap_msg split;
        if (len < 0 || lwm2m_coap_parse(buf, (size_t)len, &split) != 0 || split.n_options != count)
            abort();
        size_t k = 0;
        from = 0;
        while ((o = lwm2m_coap_find(m, number, &from)) != NULL) {
            const lwm2m_coap_option *s = &split.options[k++];
            if (s->number != number || s->len != o->len || memcmp(s->value, o->value, o->len) != 0)
                abort();
        }
        free(buf);
    }
done:
    free(out);
    free(want);
}

static uint32_t big_endian(const lwm2m_coap_option *o)
{
    uint32_t v = 0;
    for (size_t i = 0; i < o->len; i++)
        v = v << 8 | o->value[i];
    return v;
}

static void check_uint(const lwm2m_coap_msg *m, uint16_t number)
{
    const lwm2m_coap_option *o = lwm2m_coap_find(m, number, NULL);
    uint32_t v = 0xdeadbeef;
    int rc = lwm2m_coap_uint(m, number, &v);
    if (o == NULL) {
        if (rc != 0 || v != 0)
            abort();
        return;
    }
    if (o->len > 4) {
        if (rc != -1)
            abort();
        return;
    }
    if (rc != 1 || v != big_endian(o))
        abort();
    /* Written back in its shortest form, it reads the same. */
    uint8_t buf[16];
    lwm2m_coap_writer w;
    lwm2m_coap_writer_init(&w, buf, sizeof buf, LWM2M_COAP_CON, 1, 0, NULL, 0);
    lwm2m_coap_put_uint(&w, number, v);
    int len = lwm2m_coap_finish(&w);
    lwm2m_coap_msg again;
    uint32_t v2 = 0;
    if (len < 0 || lwm2m_coap_parse(buf, (size_t)len, &again) != 0 ||
        lwm2m_coap_uint(&again, number, &v2) != 1 || v2 != v || again.options[0].len > o->len)
        abort();
}

static void check_block(const lwm2m_coap_msg *m, uint16_t number)
{
    const lwm2m_coap_option *o = lwm2m_coap_find(m, number, NULL);
    lwm2m_coap_block b;
    int rc = lwm2m_coap_get_block(m, number, &b);
    if (o == NULL) {
        if (rc != 0)
            abort();
        return;
    }
    if (o->len > 3 || (big_endian(o) & 7) == 7) {
        if (rc != -1)
            abort();
        return;
    }
    uint32_t v = big_endian(o);
    if (rc != 1 || b.szx > 6 || b.num != v >> 4 || b.more != ((v & 8) != 0) ||
        lwm2m_coap_block_value(&b) != v)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lwm2m_coap_msg m;
    if (lwm2m_coap_parse(data, size, &m) != 0) {
        /* What an RST needs is there whenever the header is. */
        if (size >= 4 && (m.type != ((data[0] >> 4) & 3) || m.code != data[1] ||
                          m.mid != (uint16_t)(data[2] << 8 | data[3])))
            abort();
        return 0;
    }
    check_parsed(&m, data, size);
    check_rewrite(&m, data, size);

    static const uint16_t joined[] = {LWM2M_COAP_OPT_URI_PATH, LWM2M_COAP_OPT_URI_QUERY,
                                      LWM2M_COAP_OPT_LOCATION_PATH};
    for (size_t i = 0; i < sizeof joined / sizeof joined[0]; i++)
        check_join(&m, joined[i], size);
    static const uint16_t uints[] = {LWM2M_COAP_OPT_OBSERVE, LWM2M_COAP_OPT_CONTENT_FORMAT,
                                     LWM2M_COAP_OPT_ACCEPT, LWM2M_COAP_OPT_SIZE2,
                                     LWM2M_COAP_OPT_SIZE1};
    for (size_t i = 0; i < sizeof uints / sizeof uints[0]; i++)
        check_uint(&m, uints[i]);
    check_block(&m, LWM2M_COAP_OPT_BLOCK1);
    check_block(&m, LWM2M_COAP_OPT_BLOCK2);
    /* Also whatever number the first option has, so odd numbers get looked at. */
    if (m.n_options > 0) {
        check_uint(&m, m.options[0].number);
        check_block(&m, m.options[0].number);
    }
    return 0;
}
