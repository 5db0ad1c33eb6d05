/* Internal: the Registration interface's Uri-Query and link-format payload, read and checked
 * for lwm2m_rd (rd.c). Functions return 0 or the CoAP error code, with a text diagnostic. */
#ifndef LWM2M_DM_SERVER_RD_PARSE_H
#define LWM2M_DM_SERVER_RD_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwm2m/rd.h"

/* Longest diagnostic the parsers write, NUL included. */
#define LWM2M_RD_DIAG_MAX 160

/* A checked query. Borrowed pointers point into the query; the rest is copied. */
typedef struct lwm2m_rd_query {
    bool has_ep, has_lt, has_version, has_binding, has_sms;
    const char *ep; /* ep_len bytes, checked: 1..255 printable, no '&' '=' '?' */
    size_t ep_len;
    int64_t lt;          /* has_lt: min_lifetime_s .. 2^31-1 */
    const char *version; /* static "1.0", "1.1" or "1.2": the query's, else the rules' */
    char binding[8];     /* has_binding: valid for `version` */
    bool binding_queue;  /* has_binding: a 1.0 binding with 'Q' */
    bool queue;          /* the Q flag was present */
    char sms[32];        /* has_sms */
    char extra[256];     /* Register only: the other parameters, '&'-joined, as sent */
} lwm2m_rd_query;

typedef struct lwm2m_rd_query_rules {
    bool update;            /* Update: ep and lwm2m refused, unknown parameters ignored */
    const char *version;    /* Update: the registration's version, for b= */
    int64_t min_lifetime_s; /* >= 1 */
} lwm2m_rd_query_rules;

/* Reads "ep=x&lt=60&b=U&Q" (`q` may be NULL when len is 0). 4.00 for empty or nameless
 * parameters, control characters, duplicates of a known parameter, bad values. */
unsigned lwm2m_rd_query_parse(const char *q, size_t len, const lwm2m_rd_query_rules *rules,
                              lwm2m_rd_query *out, char *diag, size_t diaglen);

/* True when `b` (n bytes) is a binding of LwM2M `version`: 1.0 "U" "UQ" "S" "SQ" "US" "UQS"
 * (*queue: it has 'Q'), later versions distinct letters of "UNST" (*queue false). */
bool lwm2m_rd_binding_ok(const char *version, const char *b, size_t n, bool *queue);

/* What a Register or Update payload says. `objects` is malloc'ed (caller frees). */
typedef struct lwm2m_rd_links {
    char root[64]; /* "/" or the alternate path without a trailing '/' */
    lwm2m_path *objects;
    size_t object_count;
    lwm2m_format formats[LWM2M_RD_FORMATS_MAX];
    size_t format_count;
} lwm2m_rd_links;

/* Parses the payload. The root link is the one with rt="oma.lwm2m" (its target the alternate
 * path), or a link on the root path itself (1.0 `</>;ct=11543`); its ct= (a number or a quoted
 * space-separated list) gives the formats. Every other link must be an object or instance
 * below the root. 4.00 for bad syntax, resource links, links outside the root, no object
 * links, two root links, a bad ct; 5.00 out of memory. On error `out` holds nothing to free. */
unsigned lwm2m_rd_links_parse(const uint8_t *in, size_t len, lwm2m_rd_links *out, char *diag,
                              size_t diaglen);

/* Copies at most 32 bytes of `s` for a diagnostic, non-printable bytes and quotes as '?', with
 * "..." when cut. `out` gets a NUL; cap must be >= 40. */
void lwm2m_rd_excerpt(const char *s, size_t n, char *out, size_t cap);

#endif
