/* The LwM2M Server's transport: libcoap endpoints (NoSec, and DTLS with PSK, RPK and X.509
 * clients), the Registration interface on /rd (through lwm2m_rd) with the identity binding of
 * every mode, and the Device Management requests the caller sends to registered clients over
 * the CoAP session each client registered from, with their answers, Observe notifications and
 * timeouts handed back through callbacks. Single-threaded: the caller's loop calls
 * lwm2m_srv_runtime_process. */
#ifndef LWM2M_NET_SERVER_NET_H
#define LWM2M_NET_SERVER_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/select.h>

#include "lwm2m/dm_server.h"
#include "lwm2m/rd.h"
#include "net/net_pki.h"

/* What binds an endpoint (the answer of credentials_of). */
typedef enum lwm2m_srv_creds {
    LWM2M_SRV_CREDS_NONE = 0, /* NoSec */
    LWM2M_SRV_CREDS_PSK,      /* its PSK identity */
    LWM2M_SRV_CREDS_RPK,      /* its raw public key */
    LWM2M_SRV_CREDS_X509,     /* a certificate whose CN is the endpoint name or maps to it */
} lwm2m_srv_creds;

typedef struct lwm2m_srv_hooks {
    void *ctx;
    /* The key of the endpoint owning PSK identity `id`, and that endpoint's name (copied into
     * endpoint[0..256)). LWM2M_ERR_NOT_FOUND when none. */
    int (*lookup_identity)(void *ctx, const uint8_t *id, size_t len, char *endpoint, uint8_t *key,
                           size_t *key_len);
    /* The endpoint whose RPK (a SubjectPublicKeyInfo) this is, copied into endpoint[0..256).
     * LWM2M_ERR_NOT_FOUND when none. May be NULL. */
    int (*lookup_public_key)(void *ctx, const uint8_t *key, size_t len, char *endpoint);
    /* The endpoint the cert map gives for a certificate's subject CN, copied into
     * endpoint[0..256). LWM2M_ERR_NOT_FOUND when unmapped. May be NULL. */
    int (*lookup_cn)(void *ctx, const char *cn, char *endpoint);
    /* The kind of DTLS credentials `endpoint` has (lwm2m_srv_creds); anything but
     * LWM2M_SRV_CREDS_NONE keeps it off NoSec, so a store failure should not answer NONE. */
    int (*credentials_of)(void *ctx, const char *endpoint);
    /* Registration events (lwm2m_rd semantics: `reg` valid during the call). May be NULL. */
    void (*on_registration)(void *ctx, lwm2m_rd_event event, const lwm2m_registration *reg);
    /* A notification of observation `obs_id` (see lwm2m_srv_send), after its first answer.
     * May be NULL. */
    void (*on_notify)(void *ctx, uint64_t obs_id, const char *endpoint, const lwm2m_path *path,
                      unsigned code, lwm2m_format format, const uint8_t *payload, size_t len);
} lwm2m_srv_hooks;

typedef struct lwm2m_srv_options {
    const char *listen;         /* "HOST:PORT" for coap://, NULL for none */
    const char *dtls_listen;    /* "HOST:PORT" for coaps://, NULL for none */
    lwm2m_net_pki *pki;         /* RPK and X.509 clients on dtls_listen too (the caller's;
                                   outlives the runtime); NULL: PSK only */
    int64_t request_timeout_ms; /* no answer from the client within this: code 0 (0: 30 s) */
    int64_t grace_ms;           /* added to registration lifetimes (0: none) */
    size_t max_registrations;   /* 0: no limit */
    bool verbose;               /* log every request */
} lwm2m_srv_options;

typedef struct lwm2m_srv_runtime lwm2m_srv_runtime;

/* Called once per lwm2m_srv_send: the client's answer (`code` 0 when it never came: timeout,
 * reset, or the registration went away, `error` then says which), its Content-Format and
 * payload (valid during the call). */
typedef void (*lwm2m_srv_done)(void *arg, unsigned code, lwm2m_format format,
                               const uint8_t *payload, size_t len, const char *error);

/* NULL with `err` set when an address does not parse or cannot be bound. */
lwm2m_srv_runtime *lwm2m_srv_runtime_new(const lwm2m_srv_options *opts,
                                         const lwm2m_srv_hooks *hooks, char *err, size_t errlen);
void lwm2m_srv_runtime_free(lwm2m_srv_runtime *r);

/* The bound port of the NoSec (dtls false) or DTLS listener, 0 when none. */
uint16_t lwm2m_srv_runtime_port(const lwm2m_srv_runtime *r, bool dtls);

/* Waits up to timeout_ms for CoAP traffic (and for the extra descriptors, as select(2) would;
 * the sets may be NULL), handles it, expires registrations and times out requests. */
void lwm2m_srv_runtime_process(lwm2m_srv_runtime *r, uint32_t timeout_ms, int nfds, fd_set *rfds,
                               fd_set *wfds, fd_set *efds);

/* Sends `args` to the client registered as `endpoint`; `done` is called exactly once, later
 * (never from inside this call). For OBSERVE, *obs_id (may be NULL) receives the id later
 * notifications carry; OBSERVE_CANCEL cancels the observation of the same endpoint and path.
 * Returns 0, LWM2M_ERR_NOT_FOUND (not registered; `err` says so) or the codes of
 * lwm2m_dm_build with `err`. */
int lwm2m_srv_send(lwm2m_srv_runtime *r, const char *endpoint, const lwm2m_dm_args *args,
                   lwm2m_srv_done done, void *arg, uint64_t *obs_id, char *err, size_t errlen);

/* Forgets every pending `done` whose arg is `arg` (its requester went away): they are not
 * called. */
void lwm2m_srv_forget(lwm2m_srv_runtime *r, void *arg);

/* The registrations, for listing. */
const lwm2m_rd *lwm2m_srv_rd(const lwm2m_srv_runtime *r);

/* Observations in place: calls `fn` for each. */
void lwm2m_srv_observations(const lwm2m_srv_runtime *r,
                            void (*fn)(void *ctx, uint64_t obs_id, const char *endpoint,
                                       const lwm2m_path *path),
                            void *ctx);

#endif
