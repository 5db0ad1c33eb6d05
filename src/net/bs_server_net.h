/* The Bootstrap Server's transport: the NoSec listener (our own CoAP over UDP, coap_udp.h, or
 * libcoap's), the DTLS listener (libcoap: PSK, RPK and X.509 clients), the handling of
 * Bootstrap-Request and Bootstrap-Pack-Request with the identity binding of every mode, and
 * the sessions (lwm2m_bs_session) driven over the client's transport. Configurations and identities
 * come from the caller's hooks, the outcome of each session goes to the store's endpoint status.
 * Single-threaded: the caller's loop calls lwm2m_bs_runtime_process. */
#ifndef LWM2M_NET_BS_SERVER_NET_H
#define LWM2M_NET_BS_SERVER_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/select.h>

#include "lwm2m/bs_config.h"
#include "lwm2m/bs_store.h"
#include "net/net_pki.h"

typedef struct lwm2m_bs_runtime_hooks {
    void *ctx;
    /* The configuration for `endpoint` (LWM2M_ERR_NOT_FOUND when it has none). */
    int (*resolve)(void *ctx, const char *endpoint, lwm2m_bs_config **out, char *err,
                   size_t errlen);
    /* The endpoint owning a PSK identity and its key (LWM2M_ERR_NOT_FOUND when none). */
    int (*lookup_identity)(void *ctx, const uint8_t *id, size_t len, char **endpoint, uint8_t *key,
                           size_t *key_len);
    /* The endpoint whose configuration holds an RPK (a SubjectPublicKeyInfo), malloc'ed
     * (LWM2M_ERR_NOT_FOUND when none). May be NULL. */
    int (*lookup_public_key)(void *ctx, const uint8_t *key, size_t len, char **endpoint);
    /* The endpoint the cert map gives for a certificate's subject CN, malloc'ed
     * (LWM2M_ERR_NOT_FOUND when unmapped). May be NULL. */
    int (*lookup_cn)(void *ctx, const char *cn, char **endpoint);
} lwm2m_bs_runtime_hooks;

typedef struct lwm2m_bs_runtime_options {
    const char *listen;         /* "HOST:PORT" for coap://, NULL for none */
    bool libcoap_nosec;         /* coap:// through libcoap instead of our own UDP endpoint */
    bool reuseport;             /* our UDP endpoint binds with SO_REUSEPORT (worker processes) */
    const char *dtls_listen;    /* "HOST:PORT" for coaps://, NULL for none */
    lwm2m_net_pki *pki;         /* RPK and X.509 clients on dtls_listen too (the caller's;
                                   outlives the runtime); NULL: PSK only */
    int64_t session_timeout_ms; /* 0: LWM2M_BS_SESSION_TIMEOUT_MS */
    size_t max_sessions;        /* 0: 10000 */
    bool verbose;               /* log every request of every session */
    lwm2m_bs_store *store;      /* endpoint status (next plan, failed, last outcome) */
    const lwm2m_objdef_list *defs;
} lwm2m_bs_runtime_options;

typedef struct lwm2m_bs_runtime lwm2m_bs_runtime;

/* NULL with `err` set when an address does not parse or cannot be bound. */
lwm2m_bs_runtime *lwm2m_bs_runtime_new(const lwm2m_bs_runtime_options *opts,
                                       const lwm2m_bs_runtime_hooks *hooks, char *err,
                                       size_t errlen);
void lwm2m_bs_runtime_free(lwm2m_bs_runtime *r);

/* The bound port of the NoSec (dtls false) or DTLS listener, 0 when none. */
uint16_t lwm2m_bs_runtime_port(const lwm2m_bs_runtime *r, bool dtls);

/* Waits up to timeout_ms for CoAP traffic (and for the extra descriptors, as select(2) would:
 * the sets are updated in place; may be NULL), handles it, and drives the sessions. */
void lwm2m_bs_runtime_process(lwm2m_bs_runtime *r, uint32_t timeout_ms, int nfds, fd_set *rfds,
                              fd_set *wfds, fd_set *efds);

/* 1.0-style server-initiated bootstrap: runs a session towards a client at "HOST:PORT" (NoSec)
 * without its Bootstrap-Request. 0, or -1 with `err`. */
int lwm2m_bs_runtime_trigger(lwm2m_bs_runtime *r, const char *endpoint, const char *host_port,
                             char *err, size_t errlen);

/* Sessions still running. */
size_t lwm2m_bs_runtime_active(const lwm2m_bs_runtime *r);

/* Outcome of the last session that ended for `endpoint` ("" when none yet in this process). */
const char *lwm2m_bs_runtime_last_outcome(const lwm2m_bs_runtime *r, const char *endpoint);

/* {"active":N,"outcomes":{"success":N,...},"refused":{"unknown-endpoint":N,...}}, malloc'ed. */
char *lwm2m_bs_runtime_stats_json(const lwm2m_bs_runtime *r);

#endif
