/* The LwM2M Server's side of the Registration interface, sans-I/O: a directory of the
 * registered clients. The transport hands it each request on /rd (Register, Update,
 * De-register) with who sent it and the time, and sends back the response it fills; events
 * (registered, updated, gone) go to a callback. Registrations expire when their lifetime
 * passes without an Update (lwm2m_rd_expire). Lookups by endpoint name and by registration id
 * are O(1). */
#ifndef LWM2M_RD_H
#define LWM2M_RD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwm2m/bs_client.h"
#include "lwm2m/codec.h"
#include "lwm2m/path.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LWM2M_RD_ENDPOINT_MAX       255 /* bytes of an endpoint name (same as LWM2M_ENDPOINT_MAX) */
#define LWM2M_RD_ID_MAX             16  /* bytes of a registration id, NUL included */
#define LWM2M_RD_FORMATS_MAX        8
#define LWM2M_RD_DEFAULT_LIFETIME_S 86400 /* lt= absent: the spec's default */

/* Who sent a registration request, as the transport knows it. */
typedef struct lwm2m_rd_peer {
    const char *address;     /* "127.0.0.1:56830": where requests to the client go */
    bool secure;             /* came over DTLS */
    const uint8_t *identity; /* DTLS PSK identity, NULL for NoSec */
    size_t identity_len;
} lwm2m_rd_peer;

/* One registered client. Strings are NUL-terminated. */
typedef struct lwm2m_registration {
    char id[LWM2M_RD_ID_MAX]; /* Location-Path is "/rd/<id>"; unique, never reused in a process */
    char endpoint[LWM2M_RD_ENDPOINT_MAX + 1];
    char version[8];    /* lwm2m=, "1.0" when absent */
    int64_t lifetime_s; /* lt= */
    char binding[8];    /* b=, "U" when absent */
    bool queue_mode;    /* 1.1+ "Q" parameter, or 1.0 binding "UQ" */
    char sms[32];       /* sms= (MSISDN), "" when absent */
    char extra[256];    /* other query parameters, as sent ("apn=x&foo"), "" when none */
    char address[64];   /* peer address of the last Register or Update */
    bool secure;
    uint8_t identity[128]; /* DTLS PSK identity of the registration (identity_len 0: NoSec) */
    size_t identity_len;
    char root[64]; /* alternate path ("/lwm2m" from </lwm2m>;rt="oma.lwm2m"), "/" default */
    char *links;   /* the Register (or last Update) payload, NUL-terminated */
    size_t links_len;
    lwm2m_path *objects; /* every object and instance path the links name, in order */
    size_t object_count;
    lwm2m_format formats[LWM2M_RD_FORMATS_MAX]; /* ct= of the root link: formats announced */
    size_t format_count;
    int64_t registered_ms; /* the caller's clock at Register */
    int64_t updated_ms;    /* at the last Register or Update */
    int64_t expires_ms;    /* updated_ms + lifetime + the grace period */
} lwm2m_registration;

typedef enum lwm2m_rd_event {
    LWM2M_RD_REGISTERED,   /* a new registration */
    LWM2M_RD_UPDATED,      /* an Update (lifetime, binding, address or objects may change) */
    LWM2M_RD_DEREGISTERED, /* De-register, or replaced by a new Register of the same endpoint */
    LWM2M_RD_EXPIRED,      /* lifetime passed without an Update */
} lwm2m_rd_event;

typedef struct lwm2m_rd_hooks {
    void *ctx;
    /* Called on every change; `reg` is valid during the call only (for DEREGISTERED and
     * EXPIRED it is freed right after). May be NULL. */
    void (*on_event)(void *ctx, lwm2m_rd_event event, const lwm2m_registration *reg);
    /* May `peer` register as `endpoint`? 0 yes, otherwise the refusal with a reason for the log
     * in `why` (the client only gets 4.03 "forbidden"). May be NULL: everyone may. */
    int (*authorize)(void *ctx, const char *endpoint, const lwm2m_rd_peer *peer, char *why,
                     size_t whylen);
} lwm2m_rd_hooks;

typedef struct lwm2m_rd_options {
    int64_t grace_ms;         /* added to the lifetime before expiry (0: none) */
    int64_t min_lifetime_s;   /* lt= below this is refused with 4.00 (0: 1 s) */
    size_t max_registrations; /* Register beyond this gets 5.03 (0: no limit) */
    uint32_t seed;            /* for the registration ids */
} lwm2m_rd_options;

typedef struct lwm2m_rd lwm2m_rd;

lwm2m_rd *lwm2m_rd_new(const lwm2m_rd_options *opts, const lwm2m_rd_hooks *hooks);
void lwm2m_rd_free(lwm2m_rd *rd);

/* Handles a request whose Uri-Path is "/rd" or "/rd/<id>":
 *   POST /rd?ep=&lt=&lwm2m=&b=&sms=&Q  with a link-format payload  -> Register: 2.01, Location
 *       "rd/<id>" written to `location` (cap >= LWM2M_RD_ID_MAX + 3). A Register of an endpoint
 *       already registered replaces that registration (DEREGISTERED, then REGISTERED).
 *   POST /rd/<id>?lt=&b=&sms=  optional payload  -> Update: 2.04
 *   DELETE /rd/<id>                             -> De-register: 2.02
 * Query parameters other than ep, lt, lwm2m, b, sms and Q are kept in `extra`.
 * Errors carry a text diagnostic in resp->payload: 4.00 for a malformed request (missing or bad
 * ep, bad lt, unknown lwm2m version, bad binding, a Register without object links, malformed
 * link format, a duplicated parameter), 4.15 for a payload whose Content-Format is not link
 * format (40), 4.03 when `authorize` refuses or an Update/De-register comes from another
 * identity than the registration's, 4.04 for an unknown id, 4.05 for other methods, 5.03 when
 * full. Returns the event it caused, or -1 when none (refused). */
int lwm2m_rd_handle(lwm2m_rd *rd, const lwm2m_request *req, const lwm2m_rd_peer *peer,
                    int64_t now_ms, lwm2m_response *resp, char *location, size_t location_cap);

/* Removes every registration whose expires_ms <= now_ms (EXPIRED for each). Returns how many. */
size_t lwm2m_rd_expire(lwm2m_rd *rd, int64_t now_ms);

/* The earliest expires_ms, INT64_MAX when empty. */
int64_t lwm2m_rd_next_expiry(const lwm2m_rd *rd);

/* Removes the registration of `endpoint` (DEREGISTERED). LWM2M_ERR_NOT_FOUND when none. */
int lwm2m_rd_remove(lwm2m_rd *rd, const char *endpoint);

const lwm2m_registration *lwm2m_rd_find(const lwm2m_rd *rd, const char *endpoint);
const lwm2m_registration *lwm2m_rd_find_id(const lwm2m_rd *rd, const char *id);
size_t lwm2m_rd_count(const lwm2m_rd *rd);
/* The i-th registration, i < lwm2m_rd_count; the order changes when registrations go. */
const lwm2m_registration *lwm2m_rd_at(const lwm2m_rd *rd, size_t i);

/* True when the client listed `path` (an object or instance) or anything below it, or lists
 * an instance of the object of a resource path. */
bool lwm2m_rd_has_path(const lwm2m_registration *reg, const lwm2m_path *path);

#ifdef __cplusplus
}
#endif
#endif
