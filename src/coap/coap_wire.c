/* CoAP message framing (RFC 7252 §3): parse in place, write into a caller buffer. */
#include "lwm2m/coap_wire.h"

#include <string.h>

/* An option delta or length nibble's extended value (§3.1). -1 past the end or for 15. */
static int32_t extended(unsigned nibble, const uint8_t **p, const uint8_t *end)
{
    if (nibble < 13)
        return (int32_t)nibble;
    if (nibble == 13) {
        if (end - *p < 1)
            return -1;
        return (int32_t)(*(*p)++) + 13;
    }
    if (nibble == 14) {
        if (end - *p < 2)
            return -1;
        int32_t v = ((int32_t)(*p)[0] << 8 | (*p)[1]) + 269;
        *p += 2;
        return v;
    }
    return -1; /* 15 is reserved outside the payload marker */
}

int lwm2m_coap_parse(const uint8_t *data, size_t len, lwm2m_coap_msg *out)
{
    memset(out, 0, offsetof(lwm2m_coap_msg, options));
    out->payload = NULL;
    out->payload_len = 0;
    if (data == NULL || len < 4)
        return -1;
    out->type = (data[0] >> 4) & 3;
    out->code = data[1];
    out->mid = (uint16_t)(data[2] << 8 | data[3]);
    unsigned tkl = data[0] & 15;
    if (data[0] >> 6 != 1 || tkl > LWM2M_COAP_TOKEN_MAX)
        return -1;
    if (out->code == 0 && (tkl != 0 || len != 4))
        return -1; /* an Empty message is the 4-byte header alone */
    if (len < 4 + tkl)
        return -1;
    out->token_len = (uint8_t)tkl;
    memcpy(out->token, data + 4, tkl);
    const uint8_t *p = data + 4 + tkl, *end = data + len;
    uint32_t number = 0;
    while (p < end) {
        uint8_t head = *p++;
        if (head == 0xff) {
            if (p == end)
                return -1; /* a marker followed by an empty payload */
            out->payload = p;
            out->payload_len = (size_t)(end - p);
            return 0;
        }
        int32_t delta = extended(head >> 4, &p, end);
        int32_t olen = extended(head & 15, &p, end);
        /* lwm2m_coap_option.len is 16 bits: refuse 65536..65804 rather than cut them. */
        if (delta < 0 || olen < 0 || olen > 0xffff || end - p < olen)
            return -1;
        number += (uint32_t)delta;
        if (number > 0xffff || out->n_options == LWM2M_COAP_MAX_OPTIONS)
            return -1;
        lwm2m_coap_option *o = &out->options[out->n_options++];
        o->number = (uint16_t)number;
        o->len = (uint16_t)olen;
        o->value = p;
        p += olen;
    }
    return 0;
}

const lwm2m_coap_option *lwm2m_coap_find(const lwm2m_coap_msg *m, uint16_t number, size_t *from)
{
    for (size_t i = from ? *from : 0; i < m->n_options; i++)
        if (m->options[i].number == number) {
            if (from != NULL)
                *from = i + 1;
            return &m->options[i];
        }
    if (from != NULL)
        *from = m->n_options;
    return NULL;
}

int lwm2m_coap_uint(const lwm2m_coap_msg *m, uint16_t number, uint32_t *value)
{
    const lwm2m_coap_option *o = lwm2m_coap_find(m, number, NULL);
    *value = 0;
    if (o == NULL)
        return 0;
    if (o->len > 4)
        return -1;
    uint32_t v = 0;
    for (size_t i = 0; i < o->len; i++)
        v = v << 8 | o->value[i];
    *value = v;
    return 1;
}

int lwm2m_coap_join(const lwm2m_coap_msg *m, uint16_t number, char *out, size_t cap)
{
    bool query = number == LWM2M_COAP_OPT_URI_QUERY;
    char sep = query ? '&' : '/';
    size_t n = 0, from = 0;
    const lwm2m_coap_option *o;
    if (cap == 0)
        return -1;
    while ((o = lwm2m_coap_find(m, number, &from)) != NULL) {
        if ((query && n > 0) || !query) {
            if (n + 1 >= cap)
                return -1;
            out[n++] = sep;
        }
        if (memchr(o->value, '\0', o->len) != NULL || memchr(o->value, sep, o->len) != NULL ||
            n + o->len >= cap)
            return -1;
        memcpy(out + n, o->value, o->len);
        n += o->len;
    }
    if (n == 0 && !query) {
        if (cap < 2)
            return -1; /* "/" and its NUL */
        out[n++] = '/';
    }
    out[n] = '\0';
    return (int)n;
}

int lwm2m_coap_get_block(const lwm2m_coap_msg *m, uint16_t number, lwm2m_coap_block *out)
{
    const lwm2m_coap_option *o = lwm2m_coap_find(m, number, NULL);
    memset(out, 0, sizeof *out);
    if (o == NULL)
        return 0;
    if (o->len > 3)
        return -1;
    uint32_t v = 0;
    for (size_t i = 0; i < o->len; i++)
        v = v << 8 | o->value[i];
    if ((v & 7) == 7)
        return -1;
    out->szx = (uint8_t)(v & 7);
    out->more = (v & 8) != 0;
    out->num = v >> 4;
    return 1;
}

uint32_t lwm2m_coap_block_value(const lwm2m_coap_block *b)
{
    return b->num << 4 | (b->more ? 8u : 0u) | (b->szx & 7u);
}

/* ---- Writer ---------------------------------------------------------------------------- */

static void put(lwm2m_coap_writer *w, const void *src, size_t n)
{
    if (w->overflow || n > w->cap - w->len) {
        w->overflow = true;
        return;
    }
    if (n > 0)
        memcpy(w->buf + w->len, src, n);
    w->len += n;
}

void lwm2m_coap_writer_init(lwm2m_coap_writer *w, uint8_t *buf, size_t cap, uint8_t type,
                            uint8_t code, uint16_t mid, const uint8_t *token, size_t token_len)
{
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->last_option = 0;
    w->overflow = token_len > LWM2M_COAP_TOKEN_MAX;
    w->misordered = false;
    w->has_payload = false;
    uint8_t head[4] = {(uint8_t)(0x40 | (type & 3) << 4 | (token_len & 15)), code,
                       (uint8_t)(mid >> 8), (uint8_t)mid};
    put(w, head, sizeof head);
    if (!w->overflow)
        put(w, token, token_len);
}

/* The nibble for `v` and its extended bytes (§3.1). */
static unsigned nibble_of(uint32_t v, uint8_t *ext, size_t *ext_len)
{
    if (v < 13) {
        *ext_len = 0;
        return v;
    }
    if (v < 269) {
        ext[0] = (uint8_t)(v - 13);
        *ext_len = 1;
        return 13;
    }
    ext[0] = (uint8_t)((v - 269) >> 8);
    ext[1] = (uint8_t)(v - 269);
    *ext_len = 2;
    return 14;
}

void lwm2m_coap_put_option(lwm2m_coap_writer *w, uint16_t number, const void *value, size_t len)
{
    if (number < w->last_option || w->has_payload) {
        w->misordered = true;
        return;
    }
    if (len > 0xffff - 269) {
        w->overflow = true;
        return;
    }
    uint8_t head[5], dext[2], lext[2];
    size_t dn, ln;
    unsigned dnib = nibble_of((uint32_t)(number - w->last_option), dext, &dn);
    unsigned lnib = nibble_of((uint32_t)len, lext, &ln);
    size_t n = 0;
    head[n++] = (uint8_t)(dnib << 4 | lnib);
    memcpy(head + n, dext, dn);
    n += dn;
    memcpy(head + n, lext, ln);
    n += ln;
    put(w, head, n);
    put(w, value, len);
    w->last_option = number;
}

void lwm2m_coap_put_uint(lwm2m_coap_writer *w, uint16_t number, uint32_t value)
{
    uint8_t b[4];
    size_t n = 0;
    for (int shift = 24; shift >= 0; shift -= 8)
        if (n > 0 || (value >> shift) != 0)
            b[n++] = (uint8_t)(value >> shift);
    lwm2m_coap_put_option(w, number, b, n);
}

static void put_split(lwm2m_coap_writer *w, uint16_t number, const char *s, char sep)
{
    if (s == NULL)
        return;
    while (*s == sep)
        s++;
    while (*s != '\0') {
        const char *end = strchr(s, sep);
        size_t n = end ? (size_t)(end - s) : strlen(s);
        lwm2m_coap_put_option(w, number, s, n);
        s += n;
        if (*s == sep)
            s++;
    }
}

void lwm2m_coap_put_path(lwm2m_coap_writer *w, uint16_t number, const char *path)
{
    put_split(w, number, path, '/');
}

void lwm2m_coap_put_query(lwm2m_coap_writer *w, const char *query)
{
    put_split(w, LWM2M_COAP_OPT_URI_QUERY, query, '&');
}

void lwm2m_coap_put_payload(lwm2m_coap_writer *w, const void *data, size_t len)
{
    if (len == 0)
        return;
    if (w->has_payload) {
        w->misordered = true;
        return;
    }
    uint8_t marker = 0xff;
    put(w, &marker, 1);
    put(w, data, len);
    w->has_payload = true; /* nothing may follow */
}

int lwm2m_coap_finish(const lwm2m_coap_writer *w)
{
    if (w->overflow || w->misordered || w->len > 0x7fffffff)
        return -1;
    return (int)w->len;
}
