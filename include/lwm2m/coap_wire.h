/* CoAP messages on the wire (RFC 7252 §3, block options of RFC 7959), without I/O and without
 * allocation: a parser that points into the datagram and a writer into a caller buffer.
 *
 * The Bootstrap Server's NoSec fast path (src/net/coap_udp.c) and the load generator frame
 * their datagrams with it; everything else goes through libcoap (docs/design.md, "The NoSec
 * fast path"). */
#ifndef LWM2M_COAP_WIRE_H
#define LWM2M_COAP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    LWM2M_COAP_CON = 0,
    LWM2M_COAP_NON = 1,
    LWM2M_COAP_ACK = 2,
    LWM2M_COAP_RST = 3,
};

/* Option numbers used here (RFC 7252 §5.10, RFC 7959, RFC 7641). */
enum {
    LWM2M_COAP_OPT_ETAG = 4,
    LWM2M_COAP_OPT_OBSERVE = 6,
    LWM2M_COAP_OPT_LOCATION_PATH = 8,
    LWM2M_COAP_OPT_URI_PATH = 11,
    LWM2M_COAP_OPT_CONTENT_FORMAT = 12,
    LWM2M_COAP_OPT_URI_QUERY = 15,
    LWM2M_COAP_OPT_ACCEPT = 17,
    LWM2M_COAP_OPT_BLOCK2 = 23,
    LWM2M_COAP_OPT_BLOCK1 = 27,
    LWM2M_COAP_OPT_SIZE2 = 28,
    LWM2M_COAP_OPT_SIZE1 = 60,
};

#define LWM2M_COAP_MAX_OPTIONS 32 /* more in one message is refused as malformed */
#define LWM2M_COAP_TOKEN_MAX   8

typedef struct lwm2m_coap_option {
    uint16_t number;
    uint16_t len;
    const uint8_t *value; /* points into the parsed datagram */
} lwm2m_coap_option;

typedef struct lwm2m_coap_msg {
    uint8_t type; /* LWM2M_COAP_CON .. RST */
    uint8_t code; /* class << 5 | detail; 0 = Empty */
    uint16_t mid;
    uint8_t token_len;
    uint8_t token[LWM2M_COAP_TOKEN_MAX];
    size_t n_options; /* in ascending number order, as on the wire */
    lwm2m_coap_option options[LWM2M_COAP_MAX_OPTIONS];
    const uint8_t *payload; /* NULL when there is none */
    size_t payload_len;
} lwm2m_coap_msg;

/* Parses one datagram. 0, or -1 for a message format error (RFC 7252 §4.2: a CON is then
 * answered with RST, anything else is ignored): too short, version not 1, token length 9-15,
 * an Empty message with a token, options or payload, a reserved option nibble (15 outside the
 * payload marker), an option running past the end, a payload marker followed by nothing, more
 * than LWM2M_COAP_MAX_OPTIONS options. When only the header parsed, *out still holds type,
 * code and mid (for the RST). */
int lwm2m_coap_parse(const uint8_t *data, size_t len, lwm2m_coap_msg *out);

/* The first option `number` at or after index *from (0 to start); NULL when none. *from is
 * set past the match, so repeated calls walk repeated options. */
const lwm2m_coap_option *lwm2m_coap_find(const lwm2m_coap_msg *m, uint16_t number, size_t *from);

/* An unsigned option's value (at most 4 bytes, big-endian, 0 bytes = 0). 1 when present and
 * well-formed, 0 when absent, -1 when longer than 4 bytes. */
int lwm2m_coap_uint(const lwm2m_coap_msg *m, uint16_t number, uint32_t *value);

/* The repeated option `number` joined into `out` as a NUL-terminated string: Uri-Path and
 * Location-Path as "/a/b" ("/" when absent), Uri-Query as "a=1&b=2" ("" when absent). Returns
 * the length, or -1 when it does not fit `cap` or a segment holds a NUL or the separator. */
int lwm2m_coap_join(const lwm2m_coap_msg *m, uint16_t number, char *out, size_t cap);

/* A Block1/Block2 value (RFC 7959 §2.2). */
typedef struct lwm2m_coap_block {
    uint32_t num;
    bool more;
    uint8_t szx; /* size = 16 << szx, szx 0..6 */
} lwm2m_coap_block;

/* 1 when present and valid, 0 when absent, -1 when malformed (longer than 3 bytes, szx 7). */
int lwm2m_coap_get_block(const lwm2m_coap_msg *m, uint16_t number, lwm2m_coap_block *out);
uint32_t lwm2m_coap_block_value(const lwm2m_coap_block *b);

/* Writer: header and token first, then options in ascending number order, then the payload.
 * A write that does not fit sets `overflow` and leaves the message unusable; an option
 * number below the previous one sets `misordered`. */
typedef struct lwm2m_coap_writer {
    uint8_t *buf;
    size_t cap;
    size_t len;
    uint16_t last_option;
    bool overflow;
    bool misordered; /* also: anything written after the payload */
    bool has_payload;
} lwm2m_coap_writer;

void lwm2m_coap_writer_init(lwm2m_coap_writer *w, uint8_t *buf, size_t cap, uint8_t type,
                            uint8_t code, uint16_t mid, const uint8_t *token, size_t token_len);
void lwm2m_coap_put_option(lwm2m_coap_writer *w, uint16_t number, const void *value, size_t len);
/* The shortest encoding of `value` (0 is zero bytes). */
void lwm2m_coap_put_uint(lwm2m_coap_writer *w, uint16_t number, uint32_t value);
/* "/0/1" as Uri-Path (or Location-Path) options "0" and "1"; "/" or "" adds none. */
void lwm2m_coap_put_path(lwm2m_coap_writer *w, uint16_t number, const char *path);
/* "a=1&b=2" as Uri-Query options "a=1" and "b=2"; NULL or "" adds none. */
void lwm2m_coap_put_query(lwm2m_coap_writer *w, const char *query);
/* The payload marker and the payload (nothing when len is 0). No option may follow. */
void lwm2m_coap_put_payload(lwm2m_coap_writer *w, const void *data, size_t len);
/* The message length, or -1 after an overflow or a misordered option. */
int lwm2m_coap_finish(const lwm2m_coap_writer *w);

#ifdef __cplusplus
}
#endif
#endif
