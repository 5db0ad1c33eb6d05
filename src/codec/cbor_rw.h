/* Internal: a bounded, zero-allocation CBOR (RFC 8949) item reader and writer shared by SenML
 * CBOR (112) and LwM2M CBOR (11544).
 *
 * The reader walks a buffer one data item head at a time; definite-length strings are
 * returned as spans of the input, indefinite-length ones are gathered on request (borrowed
 * when they have at most one non-empty chunk, else copied into an arena). Containers are
 * walked with lwm2m_cbor_iter, so callers recurse only as deep as their format allows.
 * Every length is checked against the remaining input before use. The first error is kept in
 * the reader (reason and offset) for the codec's lwm2m_codec_error. */
#ifndef LWM2M_CODEC_CBOR_RW_H
#define LWM2M_CODEC_CBOR_RW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwm2m/buf.h"
#include "lwm2m/value.h"

/* Major types 0-7 as the reader reports them. */
typedef enum lwm2m_cbor_kind {
    LWM2M_CBOR_UINT = 0,   /* val */
    LWM2M_CBOR_NINT = 1,   /* the integer -1 - val */
    LWM2M_CBOR_BYTES = 2,  /* definite: ptr, val bytes; indefinite: chunks follow */
    LWM2M_CBOR_TEXT = 3,   /* the same for text */
    LWM2M_CBOR_ARRAY = 4,  /* definite: val items; indefinite: items up to a break */
    LWM2M_CBOR_MAP = 5,    /* definite: val pairs; indefinite: pairs up to a break */
    LWM2M_CBOR_TAG = 6,    /* tag number val; the tagged item follows */
    LWM2M_CBOR_SIMPLE = 7, /* simple value val (20 false, 21 true, 22 null, 23 undefined) */
    LWM2M_CBOR_FLOAT = 8,  /* f, widened exactly from half, single or double */
} lwm2m_cbor_kind;

#define LWM2M_CBOR_FALSE     20
#define LWM2M_CBOR_TRUE      21
#define LWM2M_CBOR_NULL      22
#define LWM2M_CBOR_UNDEFINED 23

/* RFC 8949 §3.4.2: epoch-based date/time. */
#define LWM2M_CBOR_TAG_EPOCH 1

typedef struct lwm2m_cbor_item {
    lwm2m_cbor_kind kind;
    bool indefinite;    /* strings, arrays and maps only */
    uint64_t val;       /* see lwm2m_cbor_kind */
    double f;           /* LWM2M_CBOR_FLOAT */
    const uint8_t *ptr; /* definite strings: their bytes inside the input */
    size_t offset;      /* input offset of the item's initial byte */
} lwm2m_cbor_item;

typedef struct lwm2m_cbor_reader {
    const uint8_t *in;
    size_t len;
    size_t pos;
    int rc;             /* first error code, 0 while none */
    const char *reason; /* static string of the first error */
    size_t err_pos;
} lwm2m_cbor_reader;

void lwm2m_cbor_reader_init(lwm2m_cbor_reader *r, const uint8_t *in, size_t len);
/* Records an error at `pos` unless one is already recorded; returns the recorded code. */
int lwm2m_cbor_fail(lwm2m_cbor_reader *r, size_t pos, int rc, const char *reason);

/* Reads the head of the next data item (and the bytes of a definite-length string).
 * Accepts non-minimal heads; rejects reserved additional information (28-30), indefinite
 * lengths on major types 0, 1 and 6, two-byte simple values below 32, and a break code
 * (which only lwm2m_cbor_iter_next consumes). Returns 0 or LWM2M_ERR_INVALID. */
int lwm2m_cbor_read(lwm2m_cbor_reader *r, lwm2m_cbor_item *it);

/* Walks the elements of an array or the pairs of a map whose head was just read. */
typedef struct lwm2m_cbor_iter {
    bool indefinite;
    uint64_t left; /* definite: elements (array) or pairs (map) still to read */
} lwm2m_cbor_iter;

void lwm2m_cbor_iter_init(lwm2m_cbor_iter *it, const lwm2m_cbor_item *container);
/* Reads the head of the next element (for a map: the next key; the caller then reads its
 * value with lwm2m_cbor_read). Returns 1 when there is one, 0 at the end of the container
 * (a break is consumed), or LWM2M_ERR_INVALID. */
int lwm2m_cbor_iter_next(lwm2m_cbor_reader *r, lwm2m_cbor_iter *iter, lwm2m_cbor_item *it);

/* The content of a byte or text string whose head was just read. Text must be valid UTF-8
 * (each chunk of an indefinite one on its own, RFC 8949 §3.2.3). The bytes are borrowed
 * from the input when the string is definite or has at most one non-empty chunk, else they
 * are copied into `arena` (LWM2M_ERR_NOMEM when it is NULL or full).
 * Returns 0, LWM2M_ERR_INVALID or LWM2M_ERR_NOMEM. */
int lwm2m_cbor_read_string(lwm2m_cbor_reader *r, const lwm2m_cbor_item *it, lwm2m_arena *arena,
                           lwm2m_bytes *out);

/* Skips the rest of the item whose head was just read: its chunks, elements or tagged item,
 * nested at most `depth` more containers or tags deep. Tags are an error unless `allow_tags`.
 * Returns 0 or LWM2M_ERR_INVALID. */
int lwm2m_cbor_skip(lwm2m_cbor_reader *r, const lwm2m_cbor_item *it, unsigned depth,
                    bool allow_tags);

/* A number item as a value: INTEGER, UNSIGNED above INT64_MAX, or FLOAT.
 * Returns 0, LWM2M_ERR_TYPE (not a number) or LWM2M_ERR_RANGE (below INT64_MIN). */
int lwm2m_cbor_number(const lwm2m_cbor_item *it, lwm2m_value *out);
/* A number item as a double (integers rounded to nearest); LWM2M_ERR_TYPE when not one. */
int lwm2m_cbor_number_double(const lwm2m_cbor_item *it, double *out);

/* Writer: heads use the shortest encoding of their argument. */
void lwm2m_cbor_put_head(lwm2m_buf *b, unsigned major, uint64_t v);
void lwm2m_cbor_put_uint(lwm2m_buf *b, uint64_t v);
void lwm2m_cbor_put_int(lwm2m_buf *b, int64_t v);
void lwm2m_cbor_put_bytes(lwm2m_buf *b, const void *p, size_t n);
void lwm2m_cbor_put_text(lwm2m_buf *b, const void *p, size_t n);
void lwm2m_cbor_put_array(lwm2m_buf *b, uint64_t n);
void lwm2m_cbor_put_map(lwm2m_buf *b, uint64_t n);
void lwm2m_cbor_put_tag(lwm2m_buf *b, uint64_t tag);
void lwm2m_cbor_put_bool(lwm2m_buf *b, bool v);
/* The shortest of half, single and double that holds `d` bit-for-bit (NaN payloads too). */
void lwm2m_cbor_put_float(lwm2m_buf *b, double d);
/* Integral values in int64 range (except -0) as integers, others as lwm2m_cbor_put_float:
 * for SenML times, which read back as the same double either way. */
void lwm2m_cbor_put_number(lwm2m_buf *b, double d);

/* Helpers both CBOR codecs share. */
/* "o:i" with decimal IDs up to 65535, or "FFFF:FFFF" (the null link as the spec's examples
 * write it). Returns 0 or LWM2M_ERR_INVALID. */
int lwm2m_cbor_objlnk_parse(const uint8_t *s, size_t len, lwm2m_objlnk *out);
/* "o:i" into buf (at least 12 bytes); returns the length. */
size_t lwm2m_cbor_objlnk_format(lwm2m_objlnk l, char *buf);

#endif
