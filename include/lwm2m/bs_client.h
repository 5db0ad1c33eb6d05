/* The client side of the Bootstrap interface as a sans-I/O transaction: the transport hands it
 * each request of the Bootstrap Server and the current time, and sends back the response it
 * fills. Everything written or deleted goes to a working copy of the configuration; Finish
 * checks it (lwm2m_consistency_check) and answers 2.04 or 4.06 with the failed rule; only a
 * successful Finish lets the caller commit the copy. A failure or a timeout leaves the live
 * configuration, the Bootstrap-Server account included, exactly as it was. */
#ifndef LWM2M_BS_CLIENT_H
#define LWM2M_BS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwm2m/codec.h"
#include "lwm2m/consistency.h"
#include "lwm2m/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* RFC 7252 EXCHANGE_LIFETIME with default parameters: the longest wait for Finish after the
 * last Bootstrap-Server command. */
#define LWM2M_EXCHANGE_LIFETIME_MS 247000

/* A request as the transport decoded it. */
typedef struct lwm2m_request {
    unsigned method;      /* lwm2m_method */
    const char *uri_path; /* "/bs", "/", "/0/1", ... (Uri-Path options joined with '/') */
    size_t uri_path_len;
    const char *query; /* Uri-Query options joined with '&', may be NULL */
    size_t query_len;
    lwm2m_format format; /* Content-Format, LWM2M_FORMAT_NONE when absent */
    lwm2m_format accept; /* Accept, LWM2M_FORMAT_NONE when absent */
    const uint8_t *payload;
    size_t payload_len;
    unsigned observe; /* lwm2m_observe_option: the Observe option of a GET */
} lwm2m_request;

/* The Observe option of a request (RFC 7641): absent, 0 (register) or 1 (deregister). Zero is
 * "absent" so that zero-initialised requests carry none. */
typedef enum lwm2m_observe_option {
    LWM2M_OBSERVE_NONE = 0,
    LWM2M_OBSERVE_REGISTER = 1,
    LWM2M_OBSERVE_CANCEL = 2,
} lwm2m_observe_option;

/* A response, its payload written into caller memory. */
typedef struct lwm2m_response {
    unsigned code;       /* LWM2M_CODE_* */
    lwm2m_format format; /* LWM2M_FORMAT_NONE when there is no payload */
    lwm2m_buf payload;   /* set up by the caller; errors carry a diagnostic text */
} lwm2m_response;

typedef struct lwm2m_bs_client_config {
    lwm2m_capabilities caps;
    const char *lwm2m_version; /* "1.0", "1.1" or "1.2": Discover's lwm2m= and format rules */
    lwm2m_format read_format;  /* Bootstrap-Read without Accept; e.g. SenML JSON */
    int64_t finish_timeout_ms; /* wait for Finish after the last command; 0 means
                                  LWM2M_EXCHANGE_LIFETIME_MS (CoAP's default parameters) */
} lwm2m_bs_client_config;

typedef enum lwm2m_bs_state {
    LWM2M_BS_IDLE,        /* no transaction */
    LWM2M_BS_IN_PROGRESS, /* accepting Bootstrap-Server commands */
    LWM2M_BS_FINISHED,    /* Finish answered 2.04: commit the working copy */
    LWM2M_BS_FAILED,      /* timed out: the working copy was discarded */
} lwm2m_bs_state;

typedef struct lwm2m_bs_client lwm2m_bs_client;

/* `live` is the client's configuration; it is only read until lwm2m_bs_client_commit. */
lwm2m_bs_client *lwm2m_bs_client_new(lwm2m_model *live, const lwm2m_bs_client_config *cfg);
void lwm2m_bs_client_free(lwm2m_bs_client *c);

/* Starts a transaction (at the Bootstrap-Request): the working copy is a clone of `live`. */
int lwm2m_bs_client_begin(lwm2m_bs_client *c, int64_t now_ms);

/* Handles one request from the Bootstrap Server. Answers 4.05 to requests that are not
 * bootstrap operations, and 5.03 when no transaction runs. */
void lwm2m_bs_client_handle(lwm2m_bs_client *c, const lwm2m_request *req, int64_t now_ms,
                            lwm2m_response *resp);

/* Time by which Finish must arrive (ms), or INT64_MAX when no transaction runs. */
int64_t lwm2m_bs_client_deadline(const lwm2m_bs_client *c);
/* Advances time: past the deadline the transaction fails and the working copy is dropped. */
lwm2m_bs_state lwm2m_bs_client_tick(lwm2m_bs_client *c, int64_t now_ms);
lwm2m_bs_state lwm2m_bs_client_state(const lwm2m_bs_client *c);
/* The diagnostic of the last 4.06 (empty when none). */
const char *lwm2m_bs_client_last_diagnostic(const lwm2m_bs_client *c);
/* The configuration being bootstrapped (NULL when no transaction runs). */
const lwm2m_model *lwm2m_bs_client_working(const lwm2m_bs_client *c);

/* After FINISHED: makes the working copy the live configuration, sets Last Bootstrapped
 * (/1/x/12, seconds `now_s`) on every Server instance the session wrote, and returns to IDLE.
 * The caller then persists `live` (lwm2m_state_save). */
int lwm2m_bs_client_commit(lwm2m_bs_client *c, int64_t now_s);
/* Applies a 1.2 Bootstrap-Pack (the payload of GET /bspack, SenML CBOR or SenML JSON) as a
 * whole transaction: begins one, replaces every object present in the pack (keeping the
 * Bootstrap-Server account, and /3/0, whose records are ignored), and runs the Finish check.
 * Returns 0 with the state FINISHED (the caller commits), or an error with the transaction
 * aborted and `diag` naming the cause (decode error, write error, or the failed consistency
 * rule) so that the caller falls back to a Bootstrap-Request. */
int lwm2m_bs_client_apply_pack(lwm2m_bs_client *c, lwm2m_format fmt, const uint8_t *payload,
                               size_t len, int64_t now_ms, char *diag, size_t diaglen);

/* Drops a transaction in any state; `live` is untouched. */
void lwm2m_bs_client_abort(lwm2m_bs_client *c);

/* Bootstrap-Server Account Timeout (/0/x/12): when to purge the account after a successful
 * bootstrap that ended at `finished_ms`; INT64_MAX when absent or 0 (keep it forever). */
int64_t lwm2m_bs_account_purge_at(const lwm2m_model *live, int64_t finished_ms);
/* Removes the Bootstrap-Server account(s) from `live`. Returns how many were removed. */
size_t lwm2m_bs_account_purge(lwm2m_model *live);

/* ---- Client-initiated Bootstrap-Request ---------------------------------------------- */

/* The Bootstrap-Request's Uri-Query: "ep=NAME", plus "&pct=F" for LwM2M 1.1 and later when
 * `pct` is not LWM2M_FORMAT_NONE (TLV, SenML JSON, SenML CBOR or, 1.2, LwM2M CBOR).
 * LWM2M_ERR_INVALID for an empty endpoint or one with '&', '=', spaces or control
 * characters; LWM2M_ERR_UNSUPPORTED for a pct the spec does not allow. */
int lwm2m_bs_request_query(const char *endpoint, const char *lwm2m_version, lwm2m_format pct,
                           lwm2m_buf *out);

/* When the first Bootstrap-Request may go out: `now_ms` plus the Client Hold Off Time
 * (/0/x/11, seconds) of the Bootstrap-Server account, 0 when absent or negative. */
int64_t lwm2m_bs_request_not_before(const lwm2m_model *live, int64_t now_ms);

/* Delay before retry number `attempt` (0 for the first retry): base_s * 2^attempt, capped at
 * max_s, plus a jitter of up to half of it taken from `random` (any 32-bit value). */
int64_t lwm2m_bs_retry_delay_ms(uint32_t attempt, uint32_t base_s, uint32_t max_s, uint32_t random);

#ifdef __cplusplus
}
#endif
#endif
