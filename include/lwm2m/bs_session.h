/* The Bootstrap Server's side of one bootstrap session as a sans-I/O state machine, in the
 * style of nghttp2: the transport asks it for the next request to send, hands it each
 * response (or a transport failure) and the current time; it never touches a socket.
 *
 * A session runs: [Bootstrap-Discover /] -> Deletes -> Writes (/0, /1, /2, then the other
 * objects in id order; one message per object when the format can carry several instances)
 * -> Bootstrap-Finish. The Discover result shapes the writes: the first plan that the client
 * can hold is used (no /2 instances for a client without object 2; a single-server plan for
 * a client without Access Control; no objects the client does not list), and with
 * auto_id_security the /0 instances are renumbered around the client's own Bootstrap-Server
 * account. A 4.06 at Finish makes the session delete every instance it wrote and go on with
 * the next fallback plan, then Finish again; after the last plan the session fails. */
#ifndef LWM2M_BS_SESSION_H
#define LWM2M_BS_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwm2m/bs_config.h"
#include "lwm2m/buf.h"
#include "lwm2m/codec.h"
#include "lwm2m/objdef.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LWM2M_BS_SESSION_TIMEOUT_MS 120000 /* a whole session, like Leshan's 2 minutes */

/* ---- Bootstrap-Request (POST /bs) ------------------------------------------------------ */

typedef struct lwm2m_bs_request_info {
    char endpoint[LWM2M_ENDPOINT_MAX + 1]; /* "" when the client sent no ep */
    lwm2m_format pct;                      /* LWM2M_FORMAT_NONE when absent */
} lwm2m_bs_request_info;

/* Parses the Uri-Query of a Bootstrap-Request ("ep=X&pct=112&imei=..."; other parameters
 * are accepted and ignored here, the caller keeps the raw query). Returns 0, or the CoAP
 * code to answer with a one-line diagnostic in `diag`: LWM2M_CODE_BAD_REQUEST for a
 * malformed query, an empty or duplicated ep, a non-numeric pct;
 * LWM2M_CODE_UNSUPPORTED_FORMAT for a pct that cannot carry bootstrap writes. */
unsigned lwm2m_bs_request_parse(const char *query, size_t len, lwm2m_bs_request_info *out,
                                char *diag, size_t diaglen);

/* How the client of a request authenticated, as the transport saw it. */
typedef enum lwm2m_bs_peer_mode {
    LWM2M_BS_PEER_NOSEC = 0,
    LWM2M_BS_PEER_PSK,
    LWM2M_BS_PEER_RPK,
    LWM2M_BS_PEER_X509,
} lwm2m_bs_peer_mode;

typedef struct lwm2m_bs_peer {
    lwm2m_bs_peer_mode mode;
    const uint8_t *psk_identity; /* PSK: the identity it presented */
    size_t psk_identity_len;
    const uint8_t *public_key; /* RPK: its SubjectPublicKeyInfo (DER) */
    size_t public_key_len;
    const char *cn; /* X.509: the subject CN of its certificate (GnuTLS verified the chain);
                       "" or NULL when the certificate has none */
    const char *cn_endpoint; /* X.509: the endpoint the store's cert map gives for the CN;
                                "" or NULL when the CN is not mapped */
} lwm2m_bs_peer;

/* The rule binding the DTLS credentials to the endpoint, for every mode. `cfg` is the
 * endpoint's configuration. The request may go on (0) when the configuration has no
 * credentials and the peer came over NoSec; has PSK credentials and the peer presented that
 * identity; has an RPK and the peer presented that public key; has X.509 and the peer's
 * certificate CN is the endpoint name or is mapped to it. Otherwise LWM2M_CODE_BAD_REQUEST
 * with `diag` naming the cause for the log (the client is told nothing more). */
unsigned lwm2m_bs_request_authorize_peer(const lwm2m_bs_config *cfg, const lwm2m_bs_peer *peer,
                                         char *diag, size_t diaglen);

/* The same rule for NoSec (`identity` NULL) and PSK peers. */
unsigned lwm2m_bs_request_authorize(const lwm2m_bs_config *cfg, const uint8_t *identity,
                                    size_t identity_len, char *diag, size_t diaglen);

/* The content format the session writes in: the configuration's when set, else the
 * client's pct when it offered one, else TLV. */
lwm2m_format lwm2m_bs_session_format(const lwm2m_bs_config *cfg, lwm2m_format pct);

/* ---- The session ----------------------------------------------------------------------- */

typedef enum lwm2m_bs_session_state {
    LWM2M_BS_SESSION_RUNNING,
    LWM2M_BS_SESSION_SUCCEEDED, /* Finish answered 2.04 */
    LWM2M_BS_SESSION_FAILED,
} lwm2m_bs_session_state;

typedef enum lwm2m_bs_outcome {
    LWM2M_BS_OUTCOME_NONE = 0,        /* still running */
    LWM2M_BS_OUTCOME_SUCCESS,         /* Finish 2.04 */
    LWM2M_BS_OUTCOME_FINISH_REJECTED, /* 4.06 (or another error) to Finish with every plan */
    LWM2M_BS_OUTCOME_NO_PLAN,         /* no plan fits what the client's Discover showed */
    LWM2M_BS_OUTCOME_REQUEST_FAILED,  /* a request got no answer, or an error the session
                                         cannot go on after (Discover, Delete /) */
    LWM2M_BS_OUTCOME_TIMEOUT,         /* the session deadline passed */
    LWM2M_BS_OUTCOME_CANCELLED,       /* replaced by a new Bootstrap-Request */
    LWM2M_BS_OUTCOME_INTERNAL,        /* out of memory or a payload that cannot be encoded */
} lwm2m_bs_outcome;

/* Stable kebab-case name of an outcome ("finish-rejected"). */
const char *lwm2m_bs_outcome_name(lwm2m_bs_outcome o);

typedef struct lwm2m_bs_session_params {
    const lwm2m_bs_config *config; /* must outlive the session */
    const lwm2m_objdef_list *defs; /* extra object definitions, may be NULL */
    size_t first_plan;             /* plan to start with (the endpoint's stored next_plan) */
    lwm2m_format pct;              /* the client's preferred format, LWM2M_FORMAT_NONE */
    int64_t timeout_ms;            /* whole session; 0 means LWM2M_BS_SESSION_TIMEOUT_MS */
} lwm2m_bs_session_params;

/* A request for the transport to send, as CoAP would carry it. */
typedef struct lwm2m_bs_outgoing {
    unsigned method;                       /* LWM2M_METHOD_* */
    char uri_path[LWM2M_PATH_STR_MAX + 4]; /* "/", "/0", "/0/1", "/1/0/2" or "/bs" */
    lwm2m_format format;                   /* Content-Format of the payload, or NONE */
    lwm2m_format accept;                   /* Accept (Discover: link format), or NONE */
    lwm2m_buf payload;                     /* set up by the caller before lwm2m_bs_session_next */
} lwm2m_bs_outgoing;

typedef struct lwm2m_bs_session lwm2m_bs_session;

/* NULL on allocation failure or when params->config has no plans. */
lwm2m_bs_session *lwm2m_bs_session_new(const lwm2m_bs_session_params *params, int64_t now_ms);
void lwm2m_bs_session_free(lwm2m_bs_session *s);

/* Fills `out` with the next request. Returns 1 when there is one, 0 when the session waits
 * for the answer to the previous one or has ended, LWM2M_ERR_OVERFLOW when out->payload is
 * too small (out->payload.len says how much is needed; call again with a bigger buffer).
 * At most one request is outstanding at a time. */
int lwm2m_bs_session_next(lwm2m_bs_session *s, lwm2m_bs_outgoing *out, int64_t now_ms);

/* The client's answer to the outstanding request. Writes answered 2.01 instead of 2.04 are
 * accepted; an error to a Write or a plan's Delete is recorded and the session goes on (as
 * Leshan), an error to Discover or Finish is handled as described at the top. */
void lwm2m_bs_session_on_response(lwm2m_bs_session *s, unsigned code, lwm2m_format format,
                                  const uint8_t *payload, size_t len, int64_t now_ms);
/* The outstanding request could not be delivered or was never answered. */
void lwm2m_bs_session_on_failure(lwm2m_bs_session *s, int64_t now_ms);
/* Ends a running session as CANCELLED (a new Bootstrap-Request for the same endpoint). */
void lwm2m_bs_session_cancel(lwm2m_bs_session *s);

/* Advances time: past the deadline a running session fails with TIMEOUT. */
lwm2m_bs_session_state lwm2m_bs_session_tick(lwm2m_bs_session *s, int64_t now_ms);
int64_t lwm2m_bs_session_deadline(const lwm2m_bs_session *s);

lwm2m_bs_session_state lwm2m_bs_session_state_of(const lwm2m_bs_session *s);
lwm2m_bs_outcome lwm2m_bs_session_outcome(const lwm2m_bs_session *s);
/* The plan in use (or the last one tried). */
size_t lwm2m_bs_session_plan(const lwm2m_bs_session *s);
/* Requests answered so far. */
size_t lwm2m_bs_session_operations(const lwm2m_bs_session *s);
/* The client's last error payload (4.06 diagnostic) or the failure cause; "" when none. */
const char *lwm2m_bs_session_diagnostic(const lwm2m_bs_session *s);

/* ---- After a session ------------------------------------------------------------------- */

struct lwm2m_bs_endpoint_status;
/* Updates what the server remembers of an endpoint once its session ended (not called for
 * CANCELLED): success starts the next bootstrap with the plan that worked; every plan refused
 * (FINISH_REJECTED, NO_PLAN) marks the endpoint failed until its configuration changes;
 * anything else (timeout, no answer) resumes at the plan in use. */
void lwm2m_bs_status_after_session(struct lwm2m_bs_endpoint_status *st, lwm2m_bs_outcome outcome,
                                   size_t plan, const char *diagnostic, int64_t now_s);

/* ---- Bootstrap-Pack (1.2, GET /bspack) ------------------------------------------------- */

/* Encodes plan `plan` of `cfg` as one Bootstrap-Pack in `fmt` (SenML CBOR or SenML JSON):
 * every instance of the plan, which the client applies by replacing each object present.
 * Returns 0; LWM2M_ERR_NOT_ALLOWED with `diag` when the configuration needs a session
 * (auto_id_security, Access Control instances, Deletes of objects the pack does not carry);
 * LWM2M_ERR_UNSUPPORTED for another format; LWM2M_ERR_OVERFLOW when `out` is too small. */
int lwm2m_bs_pack_encode(const lwm2m_bs_config *cfg, size_t plan, lwm2m_format fmt, lwm2m_buf *out,
                         char *diag, size_t diaglen);

#ifdef __cplusplus
}
#endif
#endif
