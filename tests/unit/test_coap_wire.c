/* CoAP wire codec (src/coap/coap_wire.c): messages byte-exact against RFC 7252 by hand, the
 * writer and parser round trip for every type, code, MID and token length, option
 * delta/length encodings at their boundaries, option helpers (find, uint, join, put_path,
 * put_query, blocks), writer errors and every message format error of lwm2m_coap_parse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lwm2m/coap_wire.h"

#define CODE(c, d) ((uint8_t)((c) << 5 | (d)))

static void assert_option(const lwm2m_coap_option *o, uint16_t number, const void *value,
                          size_t len)
{
    assert_non_null(o);
    assert_int_equal(o->number, number);
    assert_int_equal(o->len, len);
    if (len > 0)
        assert_memory_equal(o->value, value, len);
}

static void assert_option_str(const lwm2m_coap_option *o, uint16_t number, const char *value)
{
    assert_option(o, number, value, strlen(value));
}

/* Parses `bytes` (must succeed) into *m. */
static void parse_ok(const uint8_t *bytes, size_t len, lwm2m_coap_msg *m)
{
    assert_int_equal(lwm2m_coap_parse(bytes, len, m), 0);
}

/* ------------------------------------------------------------------------------------------ */
/* Messages written by hand from RFC 7252 §3 (and its Appendix A examples). */

static void test_rfc_bytes_con_get_with_token(void **state)
{
    (void)state;
    /* CON GET /0/1, MID 0x1234, token 71 5a: Ver 1, T 0, TKL 2 -> 0x42; GET = 0.01; Uri-Path
     * (11) "0": delta 11 len 1 -> 0xb1; Uri-Path "1": delta 0 len 1 -> 0x01. */
    static const uint8_t want[] = {0x42, 0x01, 0x12, 0x34, 0x71, 0x5a, 0xb1, '0', 0x01, '1'};
    static const uint8_t token[] = {0x71, 0x5a};
    uint8_t buf[64];
    lwm2m_coap_writer w;
    lwm2m_coap_writer_init(&w, buf, sizeof buf, LWM2M_COAP_CON, CODE(0, 1), 0x1234, token, 2);
    lwm2m_coap_put_path(&w, LWM2M_COAP_OPT_URI_PATH, "/0/1");
    assert_int_equal(lwm2m_coap_finish(&w), sizeof want);
    assert_memory_equal(buf, want, sizeof want);

    lwm2m_coap_msg m;
    parse_ok(want, sizeof want, &m);
    assert_int_equal(m.type, LWM2M_COAP_CON);
    assert_int_equal(m.code, CODE(0, 1));
    assert_int_equal(m.mid, 0x1234);
    assert_int_equal(m.token_len, 2);
    assert_memory_equal(m.token, token, 2);
    assert_int_equal(m.n_options, 2);
    assert_option_str(&m.options[0], LWM2M_COAP_OPT_URI_PATH, "0");
    assert_option_str(&m.options[1], LWM2M_COAP_OPT_URI_PATH, "1");
    assert_null(m.payload);
    assert_int_equal(m.payload_len, 0);
    char path[16];
    assert_int_equal(lwm2m_coap_join(&m, LWM2M_COAP_OPT_URI_PATH, path, sizeof path), 4);
    assert_string_equal(path, "/0/1");
}

static void test_rfc_bytes_appendix_a(void **state)
{
    (void)state;
    /* Appendix A, Figure 16: CON [0x7d34] GET /temperature, no token: Uri-Path delta 11,
     * length 11 -> 0xbb. The answer: ACK [0x7d34] 2.05 "22.3 C". */
    static const uint8_t get[] = {0x40, 0x01, 0x7d, 0x34, 0xbb, 't', 'e', 'm',
                                  'p',  'e',  'r',  'a',  't',  'u', 'r', 'e'};
    static const uint8_t ack[] = {0x60, 0x45, 0x7d, 0x34, 0xff, '2', '2', '.', '3', ' ', 'C'};
    uint8_t buf[64];
    lwm2m_coap_writer w;
    lwm2m_coap_writer_init(&w, buf, sizeof buf, LWM2M_COAP_CON, CODE(0, 1), 0x7d34, NULL, 0);
    lwm2m_coap_put_path(&w, LWM2M_COAP_OPT_URI_PATH, "/temperature");
    assert_int_equal(lwm2m_coap_finish(&w), sizeof get);
    assert_memory_equal(buf, get, sizeof get);

    lwm2m_coap_writer_init(&w, buf, sizeof buf, LWM2M_COAP_ACK, CODE(2, 5), 0x7d34, NULL, 0);
    lwm2m_coap_put_payload(&w, "22.3 C", 6);
    assert_int_equal(lwm2m_coap_finish(&w), sizeof ack);
    assert_memory_equal(buf, ack, sizeof ack);

    lwm2m_coap_msg m;
    parse_ok(ack, sizeof ack, &m);
    assert_int_equal(m.type, LWM2M_COAP_ACK);
    assert_int_equal(m.code, CODE(2, 5));
    assert_int_equal(m.mid, 0x7d34);
    assert_int_equal(m.token_len, 0);
    assert_int_equal(m.n_options, 0);
    assert_ptr_equal(m.payload, ack + 5);
    assert_int_equal(m.payload_len, 6);
}

static void test_rfc_bytes_bootstrap_request(void **state)
{
    (void)state;
    /* CON POST /bs?ep=x, MID 1, token aa: Uri-Path "bs" 0xb2; Uri-Query (15) delta 4 len 4
     * -> 0x44. */
    static const uint8_t want[] = {0x41, 0x02, 0x00, 0x01, 0xaa, 0xb2, 'b',
                                   's',  0x44, 'e',  'p',  '=',  'x'};
    static const uint8_t token[] = {0xaa};
    uint8_t buf[64];
    lwm2m_coap_writer w;
    lwm2m_coap_writer_init(&w, buf, sizeof buf, LWM2M_COAP_CON, CODE(0, 2), 1, token, 1);
    lwm2m_coap_put_path(&w, LWM2M_COAP_OPT_URI_PATH, "/bs");
    lwm2m_coap_put_query(&w, "ep=x");
    assert_int_equal(lwm2m_coap_finish(&w), sizeof want);
    assert_memory_equal(buf, want, sizeof want);

    lwm2m_coap_msg m;
    parse_ok(want, sizeof want, &m);
    char s[16];
    assert_int_equal(lwm2m_coap_join(&m, LWM2M_COAP_OPT_URI_PATH, s, sizeof s), 3);
    assert_string_equal(s, "/bs");
    assert_int_equal(lwm2m_coap_join(&m, LWM2M_COAP_OPT_URI_QUERY, s, sizeof s), 4);
    assert_string_equal(s, "ep=x");
}

static void test_rfc_bytes_put_tlv(void **state)
{
    (void)state;
    /* CON PUT /0/1 with Content-Format 11542 (0x2d16): Content-Format (12) after Uri-Path
     * (11) is delta 1, length 2 -> 0x12 0x2d 0x16; then the marker and a TLV payload. */
    static const uint8_t tlv[] = {0xc1, 0x00, 0x05};
    static const uint8_t want[] = {0x40, 0x03, 0xbe, 0xef, 0xb1, '0',  0x01, '1',
                                   0x12, 0x2d, 0x16, 0xff, 0xc1, 0x00, 0x05};
    uint8_t buf[64];
    lwm2m_coap_writer w;
    lwm2m_coap_writer_init(&w, buf, sizeof buf, LWM2M_COAP_CON, CODE(0, 3), 0xbeef, NULL, 0);
    lwm2m_coap_put_path(&w, LWM2M_COAP_OPT_URI_PATH, "/0/1");
    lwm2m_coap_put_uint(&w, LWM2M_COAP_OPT_CONTENT_FORMAT, 11542);
    lwm2m_coap_put_payload(&w, tlv, sizeof tlv);
    assert_int_equal(lwm2m_coap_finish(&w), sizeof want);
    assert_memory_equal(buf, want, sizeof want);

    lwm2m_coap_msg m;
    parse_ok(want, sizeof want, &m);
    uint32_t cf = 0;
    assert_int_equal(lwm2m_coap_uint(&m, LWM2M_COAP_OPT_CONTENT_FORMAT, &cf), 1);
    assert_int_equal(cf, 11542);
    assert_int_equal(m.payload_len, sizeof tlv);
    assert_memory_equal(m.payload, tlv, sizeof tlv);
}

static void test_rfc_bytes_empty_and_ack(void **state)
{
    (void)state;
    static const uint8_t empty_ack[] = {0x60, 0x00, 0xab, 0xcd};
    static const uint8_t rst[] = {0x70, 0x00, 0x00, 0x07};
    static const uint8_t ping[] = {0x40, 0x00, 0xff, 0xff};
    /* ACK 2.04 Changed with token 01 02 03 04. */
    static const uint8_t changed[] = {0x64, 0x44, 0x00, 0x2a, 0x01, 0x02, 0x03, 0x04};
    uint8_t buf[16];
    lwm2m_coap_writer w;
    lwm2m_coap_msg m;

    lwm2m_coap_writer_init(&w, buf, sizeof buf, LWM2M_COAP_ACK, 0, 0xabcd, NULL, 0);
    assert_int_equal(lwm2m_coap_finish(&w), 4);
    assert_memory_equal(buf, empty_ack, 4);
    parse_ok(empty_ack, sizeof empty_ack, &m);
    assert_int_equal(m.type, LWM2M_COAP_ACK);
    assert_int_equal(m.code, 0);
    assert_int_equal(m.mid, 0xabcd);
    assert_int_equal(m.n_options, 0);
    assert_null(m.payload);

    parse_ok(rst, sizeof rst, &m);
    assert_int_equal(m.type, LWM2M_COAP_RST);
    assert_int_equal(m.mid, 7);
    parse_ok(ping, sizeof ping, &m);
    assert_int_equal(m.type, LWM2M_COAP_CON);
    assert_int_equal(m.code, 0);
    assert_int_equal(m.mid, 0xffff);

    lwm2m_coap_writer_init(&w, buf, sizeof buf, LWM2M_COAP_ACK, CODE(2, 4), 42, changed + 4, 4);
    assert_int_equal(lwm2m_coap_finish(&w), sizeof changed);
    assert_memory_equal(buf, changed, sizeof changed);
    parse_ok(changed, sizeof changed, &m);
    assert_int_equal(m.code, CODE(2, 4));
    assert_int_equal(m.token_len, 4);
    assert_memory_equal(m.token, changed + 4, 4);
}

/* ------------------------------------------------------------------------------------------ */
/* Writer -> parser round trip over types, codes, MIDs and token lengths. */

static void test_round_trip_header(void **state)
{
    (void)state;
    static const uint8_t codes[] = {0,          CODE(0, 1), CODE(0, 2), CODE(0, 3),
                                    CODE(0, 4), CODE(2, 1), CODE(2, 4), CODE(2, 5),
                                    CODE(4, 4), CODE(4, 6), CODE(5, 3), CODE(7, 31)};
    static const uint16_t mids[] = {0, 1, 0x00ff, 0x0100, 0x1234, 0xfffe, 0xffff};
    static const uint8_t token[LWM2M_COAP_TOKEN_MAX] = {0xde, 0xad, 0xbe, 0xef,
                                                        0x00, 0xff, 0x10, 0x80};
    size_t checked = 0;
    for (uint8_t type = LWM2M_COAP_CON; type <= LWM2M_COAP_RST; type++)
        for (size_t c = 0; c < sizeof codes; c++)
            for (size_t i = 0; i < sizeof mids / sizeof mids[0]; i++)
                for (size_t tkl = 0; tkl <= LWM2M_COAP_TOKEN_MAX; tkl++) {
                    bool empty = codes[c] == 0;
                    if (empty && tkl > 0)
                        continue; /* an Empty message has no token */
                    uint8_t buf[64];
                    lwm2m_coap_writer w;
                    lwm2m_coap_writer_init(&w, buf, sizeof buf, type, codes[c], mids[i], token,
                                           tkl);
                    if (!empty) {
                        lwm2m_coap_put_path(&w, LWM2M_COAP_OPT_URI_PATH, "/3/0");
                        lwm2m_coap_put_payload(&w, "x", 1);
                    }
                    int len = lwm2m_coap_finish(&w);
                    assert_int_equal(len, empty ? 4 : 4 + (int)tkl + 2 + 2 + 2);
                    assert_int_equal(buf[0], 0x40 | type << 4 | tkl);

                    lwm2m_coap_msg m;
                    parse_ok(buf, (size_t)len, &m);
                    assert_int_equal(m.type, type);
                    assert_int_equal(m.code, codes[c]);
                    assert_int_equal(m.mid, mids[i]);
                    assert_int_equal(m.token_len, tkl);
                    if (tkl > 0)
                        assert_memory_equal(m.token, token, tkl);
                    assert_int_equal(m.n_options, empty ? 0 : 2);
                    if (empty) {
                        assert_null(m.payload);
                    } else {
                        assert_option_str(&m.options[0], LWM2M_COAP_OPT_URI_PATH, "3");
                        assert_option_str(&m.options[1], LWM2M_COAP_OPT_URI_PATH, "0");
                        assert_int_equal(m.payload_len, 1);
                        assert_int_equal(m.payload[0], 'x');
                    }
                    checked++;
                }
    assert_int_equal(checked, 4 * 7 * (1 + 11 * 9));
}

/* ------------------------------------------------------------------------------------------ */
/* Option delta and length encodings (§3.1): 0-12 in the nibble, 13-268 as nibble 13 and one
 * byte (value - 13), 269-65804 as nibble 14 and two bytes (value - 269). */

/* The option head bytes for `delta` and `len`, written here independently of the codec. */
static size_t expected_head(uint32_t delta, uint32_t len, uint8_t *out)
{
    uint8_t ext[4];
    size_t n = 0;
    unsigned nib[2];
    uint32_t v[2] = {delta, len};
    for (int k = 0; k < 2; k++) {
        if (v[k] < 13) {
            nib[k] = v[k];
        } else if (v[k] < 269) {
            nib[k] = 13;
            ext[n++] = (uint8_t)(v[k] - 13);
        } else {
            nib[k] = 14;
            ext[n++] = (uint8_t)((v[k] - 269) >> 8);
            ext[n++] = (uint8_t)((v[k] - 269) & 0xff);
        }
    }
    out[0] = (uint8_t)(nib[0] << 4 | nib[1]);
    memcpy(out + 1, ext, n);
    return 1 + n;
}

static void test_option_encodings(void **state)
{
    (void)state;
    static const uint16_t numbers[] = {0,   1,   11,  12,   13,   14,    267,  268,
                                       269, 270, 524, 2048, 4096, 65000, 65535};
    static const uint16_t lens[] = {0, 1, 12, 13, 14, 268, 269, 270, 1000, 65535 - 269};
    const size_t cap = 4 + 5 + (65535 - 269) + 5 + 1 + 16;
    uint8_t *buf = malloc(cap);
    uint8_t *value = malloc(65535);
    assert_non_null(buf);
    assert_non_null(value);
    for (size_t i = 0; i < 65535; i++)
        value[i] = (uint8_t)(i * 7 + 3);

    for (size_t a = 0; a < sizeof numbers / sizeof numbers[0]; a++)
        for (size_t b = 0; b < sizeof lens / sizeof lens[0]; b++) {
            /* One option alone (delta = number), then a second one 300 further where that
             * stays a valid number, to check a delta that is not the number. */
            uint16_t num = numbers[a], len = lens[b];
            bool second = num <= 65535 - 300;
            lwm2m_coap_writer w;
            lwm2m_coap_writer_init(&w, buf, cap, LWM2M_COAP_NON, CODE(0, 2), 7, NULL, 0);
            lwm2m_coap_put_option(&w, num, value, len);
            if (second)
                lwm2m_coap_put_option(&w, (uint16_t)(num + 300), "z", 1);
            lwm2m_coap_put_payload(&w, "p", 1);
            int total = lwm2m_coap_finish(&w);

            uint8_t head[5], head2[5];
            size_t hn = expected_head(num, len, head);
            size_t hn2 = second ? expected_head(300, 1, head2) : 0;
            assert_int_equal(total, 4 + hn + len + (second ? hn2 + 1 : 0) + 2);
            assert_memory_equal(buf + 4, head, hn);
            assert_memory_equal(buf + 4 + hn, value, len);
            if (second)
                assert_memory_equal(buf + 4 + hn + len, head2, hn2);

            lwm2m_coap_msg m;
            parse_ok(buf, (size_t)total, &m);
            assert_int_equal(m.n_options, second ? 2 : 1);
            assert_option(&m.options[0], num, value, len);
            assert_ptr_equal(m.options[0].value, buf + 4 + hn);
            if (second)
                assert_option(&m.options[1], (uint16_t)(num + 300), "z", 1);
            assert_int_equal(m.payload_len, 1);
            assert_int_equal(m.payload[0], 'p');
        }
    free(value);
    free(buf);
}

static void test_option_encoding_bytes(void **state)
{
    (void)state;
    /* A few heads spelled out, so the reference above is not the only witness. */
    static const struct {
        uint16_t number, len;
        uint8_t head[5];
        size_t head_len;
    } cases[] = {
        {12, 12, {0xcc}, 1},
        {13, 13, {0xdd, 0x00, 0x00}, 3},
        {268, 268, {0xdd, 0xff, 0xff}, 3},
        {269, 269, {0xee, 0x00, 0x00, 0x00, 0x00}, 5},
        {2048, 1000, {0xee, 0x06, 0xf3, 0x02, 0xdb}, 5}, /* 1779 = 0x06f3, 731 = 0x02db */
        {65535, 0, {0xe0, 0xfe, 0xf2}, 3},               /* 65266 = 0xfef2 */
        {1, 0, {0x10}, 1},
    };
    static const uint8_t zeros[1000];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t buf[1100];
        lwm2m_coap_writer w;
        lwm2m_coap_writer_init(&w, buf, sizeof buf, LWM2M_COAP_CON, CODE(0, 1), 0, NULL, 0);
        lwm2m_coap_put_option(&w, cases[i].number, zeros, cases[i].len);
        assert_int_equal(lwm2m_coap_finish(&w), 4 + cases[i].head_len + cases[i].len);
        assert_memory_equal(buf + 4, cases[i].head, cases[i].head_len);
    }
}

static void test_option_number_and_length_limits(void **state)
{
    (void)state;
    /* Deltas adding up past 65535 are no option number. */
    static const uint8_t past_65535[] = {0x40, 0x01, 0, 0, 0xe0, 0xfe, 0xf2, 0x10};
    lwm2m_coap_msg m;
    assert_int_equal(lwm2m_coap_parse(past_65535, sizeof past_65535, &m), -1);
    static const uint8_t at_65535[] = {0x40, 0x01, 0, 0, 0xe0, 0xfe, 0xf1, 0x10};
    parse_ok(at_65535, sizeof at_65535, &m);
    assert_int_equal(m.n_options, 2);
    assert_int_equal(m.options[0].number, 65534);
    assert_int_equal(m.options[1].number, 65535);

    /* The writer refuses a value longer than it can encode with its 16-bit lengths. */
    static const uint8_t big[65536];
    uint8_t *buf = malloc(70000);
    assert_non_null(buf);
    lwm2m_coap_writer w;
    lwm2m_coap_writer_init(&w, buf, 70000, LWM2M_COAP_CON, CODE(0, 3), 0, NULL, 0);
    lwm2m_coap_put_option(&w, 11, big, 65535 - 269 + 1);
    assert_int_equal(lwm2m_coap_finish(&w), -1);

    /* An option length past 65535 (nibble 14, 0xffff: 65804) cannot be held in
     * lwm2m_coap_option.len: it must be refused rather than cut to 16 bits. */
    const size_t olen = 65535 + 269;
    const size_t total = 4 + 3 + olen;
    uint8_t *huge = malloc(total);
    assert_non_null(huge);
    memset(huge, 'a', total);
    huge[0] = 0x40;
    huge[1] = CODE(0, 3);
    huge[2] = huge[3] = 0;
    huge[4] = 0xbe; /* Uri-Path, length nibble 14 */
    huge[5] = 0xff;
    huge[6] = 0xff;
    assert_int_equal(lwm2m_coap_parse(huge, total, &m), -1);
    /* 65535 itself still fits. */
    huge[5] = (uint8_t)((65535 - 269) >> 8);
    huge[6] = (uint8_t)((65535 - 269) & 0xff);
    parse_ok(huge, 4 + 3 + 65535, &m);
    assert_int_equal(m.n_options, 1);
    assert_int_equal(m.options[0].len, 65535);
    free(huge);
    free(buf);
}

/* ------------------------------------------------------------------------------------------ */
/* Repeated options and the helpers that read them. */

static void test_repeated_options_find(void **state)
{
    (void)state;
    uint8_t buf[128];
    lwm2m_coap_writer w;
    lwm2m_coap_writer_init(&w, buf, sizeof buf, LWM2M_COAP_CON, CODE(0, 2), 9, NULL, 0);
    lwm2m_coap_put_path(&w, LWM2M_COAP_OPT_LOCATION_PATH, "/rd/5a3f");
    lwm2m_coap_put_path(&w, LWM2M_COAP_OPT_URI_PATH, "/a/bb/ccc");
    lwm2m_coap_put_uint(&w, LWM2M_COAP_OPT_CONTENT_FORMAT, 40);
    lwm2m_coap_put_query(&w, "ep=dev&lt=300&b=U");
    int len = lwm2m_coap_finish(&w);
    assert_true(len > 0);

    lwm2m_coap_msg m;
    parse_ok(buf, (size_t)len, &m);
    assert_int_equal(m.n_options, 9);
    for (size_t i = 1; i < m.n_options; i++)
        assert_true(m.options[i - 1].number <= m.options[i].number);

    static const char *const segs[] = {"a", "bb", "ccc"};
    size_t from = 0, seen = 0;
    const lwm2m_coap_option *o;
    while ((o = lwm2m_coap_find(&m, LWM2M_COAP_OPT_URI_PATH, &from)) != NULL) {
        assert_true(seen < 3);
        assert_option_str(o, LWM2M_COAP_OPT_URI_PATH, segs[seen]);
        assert_int_equal(from, 2 + seen + 1); /* just past the match */
        seen++;
    }
    assert_int_equal(seen, 3);
    assert_int_equal(from, m.n_options);
    /* The walk stays at the end. */
    assert_null(lwm2m_coap_find(&m, LWM2M_COAP_OPT_URI_PATH, &from));

    from = 0;
    assert_option_str(lwm2m_coap_find(&m, LWM2M_COAP_OPT_URI_QUERY, &from),
                      LWM2M_COAP_OPT_URI_QUERY, "ep=dev");
    assert_option_str(lwm2m_coap_find(&m, LWM2M_COAP_OPT_URI_QUERY, &from),
                      LWM2M_COAP_OPT_URI_QUERY, "lt=300");
    assert_option_str(lwm2m_coap_find(&m, LWM2M_COAP_OPT_URI_QUERY, &from),
                      LWM2M_COAP_OPT_URI_QUERY, "b=U");
    assert_null(lwm2m_coap_find(&m, LWM2M_COAP_OPT_URI_QUERY, &from));

    /* Without a cursor: the first one. Absent: NULL. */
    assert_option_str(lwm2m_coap_find(&m, LWM2M_COAP_OPT_LOCATION_PATH, NULL),
                      LWM2M_COAP_OPT_LOCATION_PATH, "rd");
    assert_null(lwm2m_coap_find(&m, LWM2M_COAP_OPT_BLOCK1, NULL));
    from = 0;
    assert_null(lwm2m_coap_find(&m, LWM2M_COAP_OPT_ACCEPT, &from));
    assert_int_equal(from, m.n_options);

    char s[64];
    assert_int_equal(lwm2m_coap_join(&m, LWM2M_COAP_OPT_LOCATION_PATH, s, sizeof s), 8);
    assert_string_equal(s, "/rd/5a3f");
    assert_int_equal(lwm2m_coap_join(&m, LWM2M_COAP_OPT_URI_QUERY, s, sizeof s), 17);
    assert_string_equal(s, "ep=dev&lt=300&b=U");
}

/* A message holding the given options (ascending), built by the writer. */
static void build(lwm2m_coap_msg *m, uint8_t *buf, size_t cap, const uint16_t *numbers,
                  const char *const *values, const size_t *lens, size_t n)
{
    lwm2m_coap_writer w;
    lwm2m_coap_writer_init(&w, buf, cap, LWM2M_COAP_CON, CODE(0, 1), 1, NULL, 0);
    for (size_t i = 0; i < n; i++)
        lwm2m_coap_put_option(&w, numbers[i], values[i], lens[i]);
    int len = lwm2m_coap_finish(&w);
    assert_true(len > 0);
    parse_ok(buf, (size_t)len, m);
    assert_int_equal(m->n_options, n);
}

static void test_uint(void **state)
{
    (void)state;
    static const struct {
        const char *bytes;
        size_t len;
        int rc;
        uint32_t value;
    } cases[] = {
        {"", 0, 1, 0},
        {"\x2a", 1, 1, 42},
        {"\xff", 1, 1, 0xff},
        {"\x01\x00", 2, 1, 0x100},
        {"\x00\x05", 2, 1, 5}, /* leading zeros are tolerated */
        {"\x12\x34\x56", 3, 1, 0x123456},
        {"\xff\xff\xff\xff", 4, 1, 0xffffffff},
        {"\x00\x00\x00\x00\x01", 5, -1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t buf[64];
        lwm2m_coap_msg m;
        uint16_t num = LWM2M_COAP_OPT_CONTENT_FORMAT;
        build(&m, buf, sizeof buf, &num, &cases[i].bytes, &cases[i].len, 1);
        uint32_t v = 0xdeadbeef;
        assert_int_equal(lwm2m_coap_uint(&m, num, &v), cases[i].rc);
        if (cases[i].rc == 1)
            assert_int_equal(v, cases[i].value);
        v = 0xdeadbeef;
        assert_int_equal(lwm2m_coap_uint(&m, LWM2M_COAP_OPT_ACCEPT, &v), 0);
        assert_int_equal(v, 0); /* absent reads as 0 */
    }

    /* put_uint writes the shortest encoding, and it reads back. */
    static const struct {
        uint32_t value;
        size_t len;
    } shortest[] = {{0, 0},          {1, 1},          {0xff, 1},       {0x100, 2},
                    {0xffff, 2},     {0x10000, 3},    {0xffffff, 3},   {0x1000000, 4},
                    {0xffffffff, 4}, {0x80000000, 4}, {0x00010001, 3}, {11542, 2}};
    for (size_t i = 0; i < sizeof shortest / sizeof shortest[0]; i++) {
        uint8_t buf[32];
        lwm2m_coap_writer w;
        lwm2m_coap_writer_init(&w, buf, sizeof buf, LWM2M_COAP_CON, CODE(0, 1), 1, NULL, 0);
        lwm2m_coap_put_uint(&w, LWM2M_COAP_OPT_SIZE1, shortest[i].value);
        int len = lwm2m_coap_finish(&w);
        /* Size1 (60): delta nibble 13 plus one byte. */
        assert_int_equal(len, 4 + 2 + (int)shortest[i].len);
        assert_int_equal(buf[4], 0xd0 | shortest[i].len);
        lwm2m_coap_msg m;
        parse_ok(buf, (size_t)len, &m);
        assert_int_equal(m.options[0].len, shortest[i].len);
        uint32_t v = 1;
        assert_int_equal(lwm2m_coap_uint(&m, LWM2M_COAP_OPT_SIZE1, &v), 1);
        assert_int_equal(v, shortest[i].value);
    }
}

static void test_join(void **state)
{
    (void)state;
    uint8_t buf[128];
    lwm2m_coap_msg m;
    char s[64];

    /* Absent: "/" for a path, "" for a query. */
    build(&m, buf, sizeof buf, NULL, NULL, NULL, 0);
    assert_int_equal(lwm2m_coap_join(&m, LWM2M_COAP_OPT_URI_PATH, s, sizeof s), 1);
    assert_string_equal(s, "/");
    assert_int_equal(lwm2m_coap_join(&m, LWM2M_COAP_OPT_LOCATION_PATH, s, sizeof s), 1);
    assert_string_equal(s, "/");
    assert_int_equal(lwm2m_coap_join(&m, LWM2M_COAP_OPT_URI_QUERY, s, sizeof s), 0);
    assert_string_equal(s, "");
    /* ... and their own capacity limits: "/" needs 2 bytes, "" needs 1. */
    assert_int_equal(lwm2m_coap_join(&m, LWM2M_COAP_OPT_URI_PATH, s, 1), -1);
    assert_int_equal(lwm2m_coap_join(&m, LWM2M_COAP_OPT_URI_PATH, s, 2), 1);
    assert_int_equal(lwm2m_coap_join(&m, LWM2M_COAP_OPT_URI_QUERY, s, 1), 0);
    assert_int_equal(lwm2m_coap_join(&m, LWM2M_COAP_OPT_URI_QUERY, s, 0), -1);

    static const uint16_t nums[] = {11, 11, 15, 15};
    static const char *const vals[] = {"0", "1", "a=1", "b=2"};
    static const size_t lens[] = {1, 1, 3, 3};
    build(&m, buf, sizeof buf, nums, vals, lens, 4);
    assert_int_equal(lwm2m_coap_join(&m, LWM2M_COAP_OPT_URI_PATH, s, sizeof s), 4);
    assert_string_equal(s, "/0/1");
    assert_int_equal(lwm2m_coap_join(&m, LWM2M_COAP_OPT_URI_QUERY, s, sizeof s), 7);
    assert_string_equal(s, "a=1&b=2");

    /* Every capacity: exactly enough (length + NUL) works, anything less is -1 without
     * writing past the capacity. */
    for (size_t cap = 0; cap <= 8; cap++) {
        char out[16];
        memset(out, '#', sizeof out);
        int rc = lwm2m_coap_join(&m, LWM2M_COAP_OPT_URI_QUERY, out, cap);
        assert_int_equal(rc, cap >= 8 ? 7 : -1);
        for (size_t i = cap; i < sizeof out; i++)
            assert_int_equal(out[i], '#');
        memset(out, '#', sizeof out);
        rc = lwm2m_coap_join(&m, LWM2M_COAP_OPT_URI_PATH, out, cap);
        assert_int_equal(rc, cap >= 5 ? 4 : -1);
        for (size_t i = cap; i < sizeof out; i++)
            assert_int_equal(out[i], '#');
    }

    /* A segment holding its separator or a NUL cannot be joined unambiguously. */
    static const uint16_t path2[] = {11, 11};
    static const char *const slash[] = {"0", "a/b"};
    static const size_t slash_lens[] = {1, 3};
    build(&m, buf, sizeof buf, path2, slash, slash_lens, 2);
    assert_int_equal(lwm2m_coap_join(&m, LWM2M_COAP_OPT_URI_PATH, s, sizeof s), -1);
    static const char *const nul[] = {"0", "a\0b"};
    build(&m, buf, sizeof buf, path2, nul, slash_lens, 2);
    assert_int_equal(lwm2m_coap_join(&m, LWM2M_COAP_OPT_URI_PATH, s, sizeof s), -1);

    static const uint16_t query2[] = {15, 15};
    static const char *const amp[] = {"a=1", "b=2&c=3"};
    static const size_t amp_lens[] = {3, 7};
    build(&m, buf, sizeof buf, query2, amp, amp_lens, 2);
    assert_int_equal(lwm2m_coap_join(&m, LWM2M_COAP_OPT_URI_QUERY, s, sizeof s), -1);
    static const char *const qnul[] = {"a=1", "b=\0\0\0\0\0"};
    build(&m, buf, sizeof buf, query2, qnul, amp_lens, 2);
    assert_int_equal(lwm2m_coap_join(&m, LWM2M_COAP_OPT_URI_QUERY, s, sizeof s), -1);
    /* '/' is no separator in a query. */
    static const char *const qslash[] = {"a=1", "u=/x/y"};
    static const size_t qslash_lens[] = {3, 6};
    build(&m, buf, sizeof buf, query2, qslash, qslash_lens, 2);
    assert_int_equal(lwm2m_coap_join(&m, LWM2M_COAP_OPT_URI_QUERY, s, sizeof s), 10);
    assert_string_equal(s, "a=1&u=/x/y");
}

static void test_put_path_and_query(void **state)
{
    (void)state;
    static const struct {
        bool query;
        const char *in;
        size_t n;
        const char *segs[4];
    } cases[] = {
        {false, "/0/1", 2, {"0", "1"}},
        {false, "0/1", 2, {"0", "1"}},
        {false, "/bs", 1, {"bs"}},
        {false, "/", 0, {NULL}},
        {false, "", 0, {NULL}},
        {false, "/1/0/1/2", 4, {"1", "0", "1", "2"}},
        {true, "a=1&b=2", 2, {"a=1", "b=2"}},
        {true, "ep=x", 1, {"ep=x"}},
        {true, "", 0, {NULL}},
        {true, NULL, 0, {NULL}},
        {true, "u=/x/y&v", 2, {"u=/x/y", "v"}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t buf[64];
        lwm2m_coap_writer w;
        lwm2m_coap_writer_init(&w, buf, sizeof buf, LWM2M_COAP_CON, CODE(0, 2), 1, NULL, 0);
        uint16_t num = cases[i].query ? LWM2M_COAP_OPT_URI_QUERY : LWM2M_COAP_OPT_URI_PATH;
        if (cases[i].query)
            lwm2m_coap_put_query(&w, cases[i].in);
        else
            lwm2m_coap_put_path(&w, num, cases[i].in);
        int len = lwm2m_coap_finish(&w);
        assert_true(len >= 4);
        lwm2m_coap_msg m;
        parse_ok(buf, (size_t)len, &m);
        assert_int_equal(m.n_options, cases[i].n);
        for (size_t k = 0; k < cases[i].n; k++)
            assert_option_str(&m.options[k], num, cases[i].segs[k]);

        /* Joined back: the same string, with the path's leading slash. */
        char s[64];
        char want[64];
        const char *in = cases[i].in ? cases[i].in : "";
        if (cases[i].query)
            snprintf(want, sizeof want, "%s", in);
        else
            snprintf(want, sizeof want, "%s%s", in[0] == '/' ? "" : "/", in);
        assert_int_equal(lwm2m_coap_join(&m, num, s, sizeof s), (int)strlen(want));
        assert_string_equal(s, want);
    }

    /* Location-Path goes by the number given. */
    uint8_t buf[64];
    lwm2m_coap_writer w;
    lwm2m_coap_writer_init(&w, buf, sizeof buf, LWM2M_COAP_ACK, CODE(2, 1), 1, NULL, 0);
    lwm2m_coap_put_path(&w, LWM2M_COAP_OPT_LOCATION_PATH, "/rd/x1");
    int len = lwm2m_coap_finish(&w);
    static const uint8_t want[] = {0x60, 0x41, 0x00, 0x01, 0x82, 'r', 'd', 0x02, 'x', '1'};
    assert_int_equal(len, sizeof want);
    assert_memory_equal(buf, want, sizeof want);
}

/* ------------------------------------------------------------------------------------------ */
/* Block1/Block2 (RFC 7959 §2.2). */

static void test_block_round_trip(void **state)
{
    (void)state;
    static const uint32_t nums[] = {0, 1, 15, 16, 255, 4095, 4096, 65535, 0xfffff};
    size_t checked = 0;
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        for (uint8_t szx = 0; szx <= 6; szx++)
            for (int more = 0; more <= 1; more++) {
                lwm2m_coap_block b = {nums[i], more != 0, szx};
                uint32_t v = lwm2m_coap_block_value(&b);
                assert_int_equal(v, nums[i] << 4 | (uint32_t)more << 3 | szx);
                uint8_t buf[32];
                lwm2m_coap_writer w;
                lwm2m_coap_writer_init(&w, buf, sizeof buf, LWM2M_COAP_CON, CODE(0, 3), 1, NULL, 0);
                lwm2m_coap_put_uint(&w, LWM2M_COAP_OPT_BLOCK2, v);
                lwm2m_coap_put_uint(&w, LWM2M_COAP_OPT_BLOCK1, v ^ 8); /* other M bit */
                int len = lwm2m_coap_finish(&w);
                assert_true(len > 0);
                lwm2m_coap_msg m;
                parse_ok(buf, (size_t)len, &m);
                assert_true(m.options[0].len <= 3);
                lwm2m_coap_block got;
                assert_int_equal(lwm2m_coap_get_block(&m, LWM2M_COAP_OPT_BLOCK2, &got), 1);
                assert_int_equal(got.num, nums[i]);
                assert_int_equal(got.more, more != 0);
                assert_int_equal(got.szx, szx);
                assert_int_equal(lwm2m_coap_block_value(&got), v);
                assert_int_equal(lwm2m_coap_get_block(&m, LWM2M_COAP_OPT_BLOCK1, &got), 1);
                assert_int_equal(got.num, nums[i]);
                assert_int_equal(got.more, more == 0);
                assert_int_equal(got.szx, szx);
                checked++;
            }
    assert_int_equal(checked, 9 * 7 * 2);
}

static void test_block_bytes_and_errors(void **state)
{
    (void)state;
    uint8_t buf[32];
    lwm2m_coap_msg m;
    lwm2m_coap_block b;
    uint16_t num = LWM2M_COAP_OPT_BLOCK1;

    /* RFC 7959 §2.2: NUM 1, M 1, SZX 2 (64 bytes) is the single byte 0x1a; Block1 (27) is
     * delta nibble 13 with 14. */
    lwm2m_coap_block one = {1, true, 2};
    lwm2m_coap_writer w;
    lwm2m_coap_writer_init(&w, buf, sizeof buf, LWM2M_COAP_CON, CODE(0, 3), 0, NULL, 0);
    lwm2m_coap_put_uint(&w, LWM2M_COAP_OPT_BLOCK1, lwm2m_coap_block_value(&one));
    static const uint8_t want[] = {0x40, 0x03, 0x00, 0x00, 0xd1, 0x0e, 0x1a};
    assert_int_equal(lwm2m_coap_finish(&w), sizeof want);
    assert_memory_equal(buf, want, sizeof want);

    /* Absent. */
    build(&m, buf, sizeof buf, NULL, NULL, NULL, 0);
    assert_int_equal(lwm2m_coap_get_block(&m, LWM2M_COAP_OPT_BLOCK2, &b), 0);

    /* Zero-length: NUM 0, M 0, SZX 0. */
    static const char *const empty[] = {""};
    static const size_t zero[] = {0};
    build(&m, buf, sizeof buf, &num, empty, zero, 1);
    b.num = 99;
    b.more = true;
    b.szx = 5;
    assert_int_equal(lwm2m_coap_get_block(&m, num, &b), 1);
    assert_int_equal(b.num, 0);
    assert_false(b.more);
    assert_int_equal(b.szx, 0);

    /* SZX 7 is reserved. */
    static const char *const szx7[] = {"\x17"};
    static const size_t one_byte[] = {1};
    build(&m, buf, sizeof buf, &num, szx7, one_byte, 1);
    assert_int_equal(lwm2m_coap_get_block(&m, num, &b), -1);
    static const char *const szx7_long[] = {"\x12\x34\x5f"};
    static const size_t three[] = {3};
    build(&m, buf, sizeof buf, &num, szx7_long, three, 1);
    assert_int_equal(lwm2m_coap_get_block(&m, num, &b), -1);

    /* Longer than 3 bytes. */
    static const char *const four[] = {"\x00\x00\x00\x10"};
    static const size_t four_len[] = {4};
    build(&m, buf, sizeof buf, &num, four, four_len, 1);
    assert_int_equal(lwm2m_coap_get_block(&m, num, &b), -1);

    /* Three bytes, the largest NUM. */
    static const char *const max[] = {"\xff\xff\xfe"};
    build(&m, buf, sizeof buf, &num, max, three, 1);
    assert_int_equal(lwm2m_coap_get_block(&m, num, &b), 1);
    assert_int_equal(b.num, 0xfffff);
    assert_true(b.more);
    assert_int_equal(b.szx, 6);
}

/* ------------------------------------------------------------------------------------------ */
/* Writer errors. */

static void test_writer_overflow(void **state)
{
    (void)state;
    static const uint8_t token[] = {1, 2, 3, 4};
    uint8_t full[128];
    lwm2m_coap_writer w;
    lwm2m_coap_writer_init(&w, full, sizeof full, LWM2M_COAP_CON, CODE(0, 2), 5, token, 4);
    lwm2m_coap_put_path(&w, LWM2M_COAP_OPT_URI_PATH, "/bs");
    lwm2m_coap_put_uint(&w, LWM2M_COAP_OPT_CONTENT_FORMAT, 11542);
    lwm2m_coap_put_query(&w, "ep=dev1");
    lwm2m_coap_put_payload(&w, "payload", 7);
    int need = lwm2m_coap_finish(&w);
    assert_true(need > 0);

    /* Every smaller capacity fails and writes nothing past it; exactly `need` fits. */
    for (size_t cap = 0; cap <= (size_t)need; cap++) {
        uint8_t buf[128];
        memset(buf, 0xaa, sizeof buf);
        lwm2m_coap_writer_init(&w, buf, cap, LWM2M_COAP_CON, CODE(0, 2), 5, token, 4);
        lwm2m_coap_put_path(&w, LWM2M_COAP_OPT_URI_PATH, "/bs");
        lwm2m_coap_put_uint(&w, LWM2M_COAP_OPT_CONTENT_FORMAT, 11542);
        lwm2m_coap_put_query(&w, "ep=dev1");
        lwm2m_coap_put_payload(&w, "payload", 7);
        int rc = lwm2m_coap_finish(&w);
        if (cap < (size_t)need) {
            assert_int_equal(rc, -1);
            assert_true(w.overflow);
        } else {
            assert_int_equal(rc, need);
            assert_memory_equal(buf, full, (size_t)need);
        }
        for (size_t i = cap; i < sizeof buf; i++)
            assert_int_equal(buf[i], 0xaa);
    }

    /* A token longer than 8 bytes. */
    uint8_t buf[64];
    static const uint8_t long_token[9] = {0};
    lwm2m_coap_writer_init(&w, buf, sizeof buf, LWM2M_COAP_CON, CODE(0, 1), 1, long_token, 9);
    assert_int_equal(lwm2m_coap_finish(&w), -1);
}

static void test_writer_misordered(void **state)
{
    (void)state;
    uint8_t buf[64];
    lwm2m_coap_writer w;

    lwm2m_coap_writer_init(&w, buf, sizeof buf, LWM2M_COAP_CON, CODE(0, 1), 1, NULL, 0);
    lwm2m_coap_put_path(&w, LWM2M_COAP_OPT_URI_PATH, "/0");
    lwm2m_coap_put_path(&w, LWM2M_COAP_OPT_LOCATION_PATH, "/x");
    assert_true(w.misordered);
    assert_int_equal(lwm2m_coap_finish(&w), -1);

    lwm2m_coap_writer_init(&w, buf, sizeof buf, LWM2M_COAP_CON, CODE(0, 1), 1, NULL, 0);
    lwm2m_coap_put_uint(&w, LWM2M_COAP_OPT_BLOCK1, 0);
    lwm2m_coap_put_uint(&w, LWM2M_COAP_OPT_BLOCK2, 0);
    assert_int_equal(lwm2m_coap_finish(&w), -1);

    /* No option after the payload. */
    lwm2m_coap_writer_init(&w, buf, sizeof buf, LWM2M_COAP_CON, CODE(0, 3), 1, NULL, 0);
    lwm2m_coap_put_payload(&w, "x", 1);
    lwm2m_coap_put_uint(&w, LWM2M_COAP_OPT_CONTENT_FORMAT, 0);
    assert_int_equal(lwm2m_coap_finish(&w), -1);

    /* The same number again is a repeated option, not a misordered one; an empty payload
     * writes no marker. */
    lwm2m_coap_writer_init(&w, buf, sizeof buf, LWM2M_COAP_CON, CODE(0, 1), 1, NULL, 0);
    lwm2m_coap_put_option(&w, LWM2M_COAP_OPT_URI_PATH, "a", 1);
    lwm2m_coap_put_option(&w, LWM2M_COAP_OPT_URI_PATH, "b", 1);
    lwm2m_coap_put_payload(&w, "", 0);
    static const uint8_t want[] = {0x40, 0x01, 0x00, 0x01, 0xb1, 'a', 0x01, 'b'};
    assert_int_equal(lwm2m_coap_finish(&w), sizeof want);
    assert_memory_equal(buf, want, sizeof want);
}

/* ------------------------------------------------------------------------------------------ */
/* Message format errors (RFC 7252 §3, §4.2): every case of lwm2m_coap_parse's comment. After
 * a failure past the header, type, code and MID are still filled in (for the RST). */

static void expect_format_error(const uint8_t *bytes, size_t len, bool header_parsed)
{
    lwm2m_coap_msg m;
    memset(&m, 0x5a, sizeof m);
    assert_int_equal(lwm2m_coap_parse(bytes, len, &m), -1);
    if (header_parsed) {
        assert_int_equal(m.type, (bytes[0] >> 4) & 3);
        assert_int_equal(m.code, bytes[1]);
        assert_int_equal(m.mid, (uint16_t)(bytes[2] << 8 | bytes[3]));
    }
}

static void test_format_errors(void **state)
{
    (void)state;
    /* Shorter than the 4-byte header. */
    static const uint8_t hdr[] = {0x40, 0x01, 0x12, 0x34};
    for (size_t len = 0; len < 4; len++)
        expect_format_error(hdr, len, false);
    lwm2m_coap_msg m;
    assert_int_equal(lwm2m_coap_parse(NULL, 0, &m), -1);

    /* Version 0, 2, 3 for every type. */
    for (unsigned ver = 0; ver < 4; ver++)
        for (unsigned type = 0; type < 4; type++) {
            uint8_t b[] = {(uint8_t)(ver << 6 | type << 4), 0x01, 0xab, 0xcd, 0xb1, '0'};
            if (ver == 1) {
                parse_ok(b, sizeof b, &m);
                continue;
            }
            expect_format_error(b, sizeof b, true);
        }

    /* Token length 9-15 (with enough bytes that length is not the reason). */
    for (unsigned tkl = 9; tkl <= 15; tkl++) {
        uint8_t b[4 + 15] = {(uint8_t)(0x40 | tkl), 0x45, 0x00, 0x09};
        expect_format_error(b, sizeof b, true);
    }
    /* Token length 8 with 8 bytes is fine; with 7 bytes it runs past the end. */
    static const uint8_t tk8[] = {0x48, 0x45, 0x00, 0x09, 1, 2, 3, 4, 5, 6, 7, 8};
    parse_ok(tk8, sizeof tk8, &m);
    assert_int_equal(m.token_len, 8);
    expect_format_error(tk8, sizeof tk8 - 1, true);

    /* Empty (code 0.00) with a token, an option or a payload. */
    static const uint8_t empty_token[] = {0x61, 0x00, 0x11, 0x22, 0x7f};
    static const uint8_t empty_option[] = {0x60, 0x00, 0x11, 0x22, 0xb0};
    static const uint8_t empty_payload[] = {0x70, 0x00, 0x11, 0x22, 0xff, 'x'};
    static const uint8_t empty_marker[] = {0x40, 0x00, 0x11, 0x22, 0xff};
    expect_format_error(empty_token, sizeof empty_token, true);
    expect_format_error(empty_option, sizeof empty_option, true);
    expect_format_error(empty_payload, sizeof empty_payload, true);
    expect_format_error(empty_marker, sizeof empty_marker, true);

    /* Nibble 15 in the delta or in the length (not the 0xff marker). */
    for (unsigned other = 0; other < 15; other++) {
        uint8_t delta15[] = {
            0x40, 0x01, 0x00, 0x01, (uint8_t)(0xf0 | other), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        uint8_t len15[] = {
            0x40, 0x01, 0x00, 0x01, (uint8_t)(other << 4 | 0x0f), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0,    0,    0,    0};
        expect_format_error(delta15, sizeof delta15, true);
        expect_format_error(len15, sizeof len15, true);
    }
    /* ... also after a valid option. */
    static const uint8_t late15[] = {0x40, 0x01, 0x00, 0x01, 0xb1, '0', 0x1f, 0, 0};
    expect_format_error(late15, sizeof late15, true);

    /* An option running past the end: its value, or its extended delta or length bytes. */
    static const uint8_t value_past[] = {0x40, 0x01, 0x00, 0x01, 0xb5, 'a', 'b', 'c', 'd'};
    static const uint8_t delta13_past[] = {0x40, 0x01, 0x00, 0x01, 0xd0};
    static const uint8_t delta14_past[] = {0x40, 0x01, 0x00, 0x01, 0xe0, 0x00};
    static const uint8_t len13_past[] = {0x40, 0x01, 0x00, 0x01, 0x0d};
    static const uint8_t len14_past[] = {0x40, 0x01, 0x00, 0x01, 0x0e, 0x00};
    static const uint8_t both_past[] = {0x40, 0x01, 0x00, 0x01, 0xdd, 0x00};
    static const uint8_t len13_value_past[] = {0x40, 0x01, 0x00, 0x01, 0x1d, 0x00, 'a', 'b', 'c',
                                               'd',  'e',  'f',  'g',  'h',  'i',  'j', 'k', 'l'};
    expect_format_error(value_past, sizeof value_past, true);
    expect_format_error(delta13_past, sizeof delta13_past, true);
    expect_format_error(delta14_past, sizeof delta14_past, true);
    expect_format_error(len13_past, sizeof len13_past, true);
    expect_format_error(len14_past, sizeof len14_past, true);
    expect_format_error(both_past, sizeof both_past, true);
    expect_format_error(len13_value_past, sizeof len13_value_past, true);
    /* One more byte makes it whole. */
    uint8_t whole[sizeof len13_value_past + 1];
    memcpy(whole, len13_value_past, sizeof len13_value_past);
    whole[sizeof whole - 1] = 'm';
    parse_ok(whole, sizeof whole, &m);
    assert_int_equal(m.options[0].len, 13);

    /* A payload marker followed by nothing, with and without options and token. */
    static const uint8_t marker_only[] = {0x40, 0x02, 0x00, 0x01, 0xff};
    static const uint8_t marker_after[] = {0x41, 0x02, 0x00, 0x01, 0x99, 0xb1, '0', 0xff};
    expect_format_error(marker_only, sizeof marker_only, true);
    expect_format_error(marker_after, sizeof marker_after, true);

    /* LWM2M_COAP_MAX_OPTIONS options are fine, one more is refused. */
    uint8_t many[4 + 2 * (LWM2M_COAP_MAX_OPTIONS + 1)] = {0x40, 0x01, 0x00, 0x01};
    for (size_t i = 0; i < LWM2M_COAP_MAX_OPTIONS + 1; i++) {
        many[4 + 2 * i] = i == 0 ? 0xb1 : 0x01; /* Uri-Path "x", repeated */
        many[4 + 2 * i + 1] = 'x';
    }
    parse_ok(many, sizeof many - 2, &m);
    assert_int_equal(m.n_options, LWM2M_COAP_MAX_OPTIONS);
    expect_format_error(many, sizeof many, true);
}

static void test_parse_resets_output(void **state)
{
    (void)state;
    /* A message without options or payload after one with them leaves nothing stale. */
    static const uint8_t full[] = {0x42, 0x03, 0x00, 0x01, 0xaa, 0xbb, 0xb1, '0', 0xff, 'x'};
    static const uint8_t bare[] = {0x50, 0x45, 0x00, 0x02};
    lwm2m_coap_msg m;
    parse_ok(full, sizeof full, &m);
    assert_int_equal(m.n_options, 1);
    assert_non_null(m.payload);
    parse_ok(bare, sizeof bare, &m);
    assert_int_equal(m.type, LWM2M_COAP_NON);
    assert_int_equal(m.token_len, 0);
    assert_int_equal(m.n_options, 0);
    assert_null(m.payload);
    assert_int_equal(m.payload_len, 0);
    /* And a failed parse leaves no payload either. */
    parse_ok(full, sizeof full, &m);
    assert_int_equal(lwm2m_coap_parse(full, sizeof full - 1, &m), -1);
    assert_null(m.payload);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc_bytes_con_get_with_token),
        cmocka_unit_test(test_rfc_bytes_appendix_a),
        cmocka_unit_test(test_rfc_bytes_bootstrap_request),
        cmocka_unit_test(test_rfc_bytes_put_tlv),
        cmocka_unit_test(test_rfc_bytes_empty_and_ack),
        cmocka_unit_test(test_round_trip_header),
        cmocka_unit_test(test_option_encodings),
        cmocka_unit_test(test_option_encoding_bytes),
        cmocka_unit_test(test_option_number_and_length_limits),
        cmocka_unit_test(test_repeated_options_find),
        cmocka_unit_test(test_uint),
        cmocka_unit_test(test_join),
        cmocka_unit_test(test_put_path_and_query),
        cmocka_unit_test(test_block_round_trip),
        cmocka_unit_test(test_block_bytes_and_errors),
        cmocka_unit_test(test_writer_overflow),
        cmocka_unit_test(test_writer_misordered),
        cmocka_unit_test(test_format_errors),
        cmocka_unit_test(test_parse_resets_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
