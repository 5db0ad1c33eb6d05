/* Helpers shared by the client's request handlers (bootstrap and device management). */
#ifndef LWM2M_CLIENT_RESPONSE_H
#define LWM2M_CLIENT_RESPONSE_H

#include <stddef.h>

#include "lwm2m/bs_client.h"
#include "lwm2m/model.h"

/* Sets code and, when fmt is not NULL, a text diagnostic payload cut to the buffer. */
void lwm2m_reply(lwm2m_response *resp, unsigned code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The CoAP error code for an lwm2m_error of the model or a codec. */
unsigned lwm2m_code_of_error(int err);

/* Value of `key` in the request's '&'-separated query, or NULL. */
const char *lwm2m_query_param(const lwm2m_request *req, const char *key, size_t *len);

/* Type resolver over a model's own object definitions (ctx: const lwm2m_model *). */
lwm2m_type lwm2m_model_type_of(void *ctx, const lwm2m_path *res);

/* Decodes the request's payload at `base` with `m`'s types and writes it in `mode`.
 * Answers errors itself (4.00/4.04/4.05/4.15/5.00 with diagnostic) and returns non-zero;
 * on success leaves `resp` untouched and calls `on_written` (may be NULL) with the records. */
int lwm2m_decode_and_write(lwm2m_model *m, const lwm2m_request *req, const lwm2m_path *base,
                           lwm2m_write_mode mode, lwm2m_response *resp,
                           void (*on_written)(void *ctx, const lwm2m_record *recs, size_t n),
                           void *ctx);

/* Reads `path` from `m` and encodes it in `fmt` into resp (2.05), or answers the error. */
void lwm2m_read_and_encode(lwm2m_model *m, const lwm2m_path *path, lwm2m_format fmt,
                           lwm2m_response *resp);

#endif
