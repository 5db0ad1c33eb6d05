/* The client side of the Information Reporting interface as a sans-I/O table: the observations
 * LwM2M Servers hold (GET with Observe 0), keyed by (Short Server ID, token), and when each is
 * due a notification. The transport answers the Observe request, adds the observation with the
 * payload it answered, calls lwm2m_observe_tick from its loop and sends what comes out (CON 2.05
 * with the token and the Observe sequence number), and cancels observations on Observe 1, on a
 * RST, on too many retransmissions, and when a server de-registers, registers again or a
 * bootstrap starts.
 *
 * A notification is due when pmax elapsed since the last one, or when the value changed and pmin
 * elapsed. Changed means: the encoded payload differs from the last one sent; for a numeric single
 * resource with gt, lt or st set, the value crossed gt or lt, or moved by st or more since the last
 * notification. Attributes are those of the observing server, inherited resource instance ->
 * resource -> instance -> object; pmin and pmax default to the Default Minimum / Maximum Period
 * (/1/x/2, /1/x/3) of that server's Server instance (absent: pmin 0, no pmax). */
#ifndef LWM2M_OBSERVE_H
#define LWM2M_OBSERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwm2m/buf.h"
#include "lwm2m/codec.h"
#include "lwm2m/model.h"
#include "lwm2m/path.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LWM2M_OBSERVE_TOKEN_MAX 8
/* The Observe option holds 24 bits (RFC 7641 §4.4): sequence numbers wrap to 0 after this. */
#define LWM2M_OBSERVE_SEQ_MASK 0xFFFFFFu

typedef struct lwm2m_observe_table lwm2m_observe_table;

/* One notification to send. `payload` is set up by the caller before lwm2m_observe_tick. */
typedef struct lwm2m_notification {
    uint16_t ssid;
    uint8_t token[LWM2M_OBSERVE_TOKEN_MAX];
    size_t token_len;
    lwm2m_path path;
    uint32_t seq;        /* the Observe option (only for a 2.05) */
    unsigned code;       /* 2.05, or an error that ended the observation (see `ended`) */
    lwm2m_format format; /* of the payload; LWM2M_FORMAT_NONE without one */
    lwm2m_buf payload;
    /* The observation is gone: 4.04 (path deleted), 4.01 (read right withdrawn), 5.00 (the
     * payload did not fit `payload`: `needed` tells its size) or another read error. Send the
     * error as the last notification (no Observe option). */
    bool ended;
    size_t needed;
} lwm2m_notification;

/* `first_seq` is the first Observe sequence number handed out (any value, masked to 24 bits).
 * NULL when out of memory. */
lwm2m_observe_table *lwm2m_observe_new(uint32_t first_seq);
void lwm2m_observe_free(lwm2m_observe_table *t);

/* Records the observation of `path` by server `ssid` with `token` (0..8 bytes), answered at
 * `now_ms` with `payload` in `format` (the 2.05 of the Observe request); `m` (may be NULL) gives
 * the value answered, the reference of gt/lt/st. An observation of the same server with the same
 * token or the same path is replaced. `*seq` receives the Observe sequence number for that
 * 2.05. Returns 0, LWM2M_ERR_INVALID (bad token or path) or LWM2M_ERR_NOMEM (the table is
 * unchanged). */
int lwm2m_observe_add(lwm2m_observe_table *t, const lwm2m_model *m, uint16_t ssid,
                      const uint8_t *token, size_t token_len, const lwm2m_path *path,
                      lwm2m_format format, const uint8_t *payload, size_t len, int64_t now_ms,
                      uint32_t *seq);

/* Ends the observation (ssid, token): 0 or LWM2M_ERR_NOT_FOUND. */
int lwm2m_observe_cancel(lwm2m_observe_table *t, uint16_t ssid, const uint8_t *token,
                         size_t token_len);
/* Ends every observation of server `ssid`; returns how many. */
size_t lwm2m_observe_cancel_server(lwm2m_observe_table *t, uint16_t ssid);
/* Ends every observation; returns how many. */
size_t lwm2m_observe_clear(lwm2m_observe_table *t);

size_t lwm2m_observe_count(const lwm2m_observe_table *t);
/* True when (ssid, token) is observed; `path` (may be NULL) receives its path. */
bool lwm2m_observe_find(const lwm2m_observe_table *t, uint16_t ssid, const uint8_t *token,
                        size_t token_len, lwm2m_path *path);

/* Finds the next observation due at `now_ms` and fills `out` (whose payload buffer the caller
 * set up; its capacity is the largest payload allowed, e.g. what fits one datagram). The
 * observation counts as notified at `now_ms` (sequence number, payload and time recorded); an
 * `ended` one is removed. Returns 1 when `out` holds a notification, 0 when none is due, or
 * LWM2M_ERR_NOMEM (that observation is tried again at the next call). Call it until it returns
 * 0. Read hooks of the model run for each observation checked. */
int lwm2m_observe_tick(lwm2m_observe_table *t, lwm2m_model *m, int64_t now_ms,
                       lwm2m_notification *out);

/* The earliest time (ms) after `now_ms` at which lwm2m_observe_tick may have something to send
 * that it would not have now: a pmin ending (a changed value may then go out) or a pmax ending.
 * Value changes themselves are found by calling lwm2m_observe_tick; INT64_MAX when no
 * observation has a timer pending. */
int64_t lwm2m_observe_deadline(const lwm2m_observe_table *t, const lwm2m_model *m, int64_t now_ms);

/* The effective attribute `a` (pmin, pmax, gt, lt, st) of server `ssid` on `path`: the nearest
 * one set on the path or its ancestors; for pmin and pmax otherwise the server's /1/x/2 or /1/x/3.
 * Returns 0 or LWM2M_ERR_NOT_FOUND. */
int lwm2m_observe_attr(const lwm2m_model *m, uint16_t ssid, const lwm2m_path *path, lwm2m_attr a,
                       double *out);

#ifdef __cplusplus
}
#endif
#endif
