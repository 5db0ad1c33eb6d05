/* The storm's machinery: one libcoap context and one loop drive C simulated clients ("sims"),
 * each over its own client session (its own UDP socket, so its own source port). Callbacks
 * of libcoap only change a sim's phase and queue it; the loop then sends what is due,
 * counts finished sims and releases their sessions and memory, never inside a callback. */
#ifndef LWM2M_BENCH_RUN_H
#define LWM2M_BENCH_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include <coap3/coap.h>

#include "bench.h"
#include "config_doc.h"
#include "endpoint.h"
#include "lwm2m/bs_client.h"
#include "lwm2m/model.h"
#include "lwm2m/registration.h"

#define BENCH_LWM2M_VERSION "1.1"

typedef enum sim_phase {
    SIM_FREE,          /* slot unused */
    SIM_REQUEST,       /* Bootstrap-Request sent, its 2.04 not seen yet */
    SIM_BOOTSTRAP,     /* serving the Bootstrap Server's commands */
    SIM_REGISTER,      /* bootstrapped: Register to send */
    SIM_REGISTERING,   /* Register sent */
    SIM_DEREGISTER,    /* registered: De-register to send */
    SIM_DEREGISTERING, /* De-register sent */
    SIM_PING,          /* ping: next request to send */
    SIM_PINGING,       /* ping: request outstanding */
    SIM_DONE,          /* succeeded: to be counted and released */
    SIM_FAILED,        /* failed (cause set): to be counted and released */
} sim_phase;

typedef struct bench_run bench_run;

/* What a session's app data points to: a running sim, or a finished client's lingering
 * session. */
typedef enum bench_owner { BENCH_OWNER_SIM = 1, BENCH_OWNER_LINGER } bench_owner;

/* One simulated client. */
typedef struct bench_sim {
    bench_owner owner; /* BENCH_OWNER_SIM, first: see bench_owner */
    bench_run *run;
    sim_phase phase;
    bool queued;   /* in the run's to-do list */
    bool awaiting; /* our request (token) is outstanding */
    uint32_t ep_index;
    char endpoint[BENCH_NAME_MAX];
    bool single_server; /* announces max one server account: refuses the primary plan */
    lwm2m_model *model; /* this client's configuration; freed when it ends */
    lwm2m_bs_client *bs;
    coap_session_t *session;     /* Bootstrap Server (ping: responder) link */
    coap_session_t *reg_session; /* LwM2M Server link (--register) */
    uint8_t token[8];
    size_t token_len;
    int64_t start_us, end_us;         /* bootstrap: Request sent .. Finish answered */
    int64_t reg_start_us, reg_end_us; /* Register sent .. De-register answered */
    int64_t deadline_ms;
    uint32_t exchanges;     /* bootstrap: the Request and each server command; ping: answers */
    uint32_t reg_exchanges; /* Register, De-register */
    uint32_t answered_406;  /* Finish refused with 4.06 */
    uint32_t op_errors;     /* other commands answered with an error */
    coap_mid_t last_mid;    /* the server's last request and our answer to it, to answer a */
    unsigned last_code;     /* retransmission the same way (RFC 7252 4.5) */
    coap_mid_t finish_mid;  /* the Finish we answered 2.04 */
    size_t accounts;        /* server accounts committed */
    bench_cause cause;
    unsigned code; /* the CoAP code of a refusal */
    char why[160]; /* first failure detail, for the log */
    char location[128];
} bench_sim;

/* A bootstrapped client keeps its Bootstrap-Server session open for --linger seconds, as a real
 * client keeps its port: a Finish the server sends again (our 2.04 was lost) is answered 2.04
 * again and counted. The slot of the sim is free meanwhile. */
typedef struct bench_lingerer {
    bench_owner owner; /* BENCH_OWNER_LINGER */
    bench_run *run;
    coap_session_t *session;
    int64_t until_ms;
    coap_mid_t finish_mid;
} bench_lingerer;

/* A destination resolved once. */
typedef struct bench_dest {
    char uri[BENCH_URI_MAX];
    coap_address_t addr;
    bool secure;    /* coaps:// */
    bool loopback4; /* 127.0.0.0/8: sources are spread */
} bench_dest;

#define BENCH_MAX_DESTS 4

struct bench_run {
    const bench_opts *opts;
    coap_context_t *ctx;
    lwm2m_model *base; /* the factory model every client clones */
    bench_sim *sims;
    uint32_t *ready; /* sims with work for the loop to do (indices into sims) */
    size_t ready_len;
    uint32_t *free_slots;
    size_t free_len;
    uint8_t *busy; /* per endpoint: one of its sessions runs (never two at once) */
    uint32_t next_ep;
    uint32_t in_flight;
    int64_t t0_us;
    bench_stats stats;
    uint32_t logged; /* failures written to stderr so far */
    bench_dest dests[BENCH_MAX_DESTS];
    size_t n_dests;
    uint32_t next_source;   /* sessions opened from a source address of their own */
    bench_lingerer *linger; /* a ring, oldest first (all linger equally long) */
    size_t linger_cap, linger_head, linger_len;
    uint8_t resp_buf[4096];
};

int64_t bench_now_us(void);
int64_t bench_now_ms(void);

/* A client session towards "coap://HOST:PORT" (NoSec) or, with a PSK, "coaps://HOST:PORT";
 * NULL when the URI does not resolve or its scheme does not match (session.c). */
coap_session_t *bench_session_open(bench_run *r, const char *uri, const uint8_t *identity,
                                   size_t identity_len, const uint8_t *key, size_t key_len);

/* Block mode, the response, NACK and event handlers and the unknown-resource handler that
 * serves the Bootstrap Server's requests: 0, or -1 when out of memory (sim.c). */
int bench_sim_install(coap_context_t *ctx);

/* Marks `s` for the loop (its next send, or its end). */
void bench_sim_queue(bench_sim *s);
/* Ends `s` as failed (only the first cause counts); `why` may be NULL. */
void bench_sim_fail(bench_sim *s, bench_cause cause, unsigned code, const char *why);
/* A new request on `session`: a fresh token into s->token; NULL when out of memory. */
coap_pdu_t *bench_sim_request(bench_sim *s, coap_session_t *session, unsigned method,
                              const char *path, lwm2m_format format, const char *query,
                              const uint8_t *payload, size_t len);
/* Sends `pdu` (built by bench_sim_request) as the outstanding request: 0, or -1 with `s`
 * failed. */
int bench_sim_send(bench_sim *s, coap_session_t *session, coap_pdu_t *pdu);

/* Lingering sessions (linger.c). 0, or -1 when out of memory. */
int bench_linger_init(bench_run *r, size_t cap);
/* Takes over `session` (its reference); the oldest lingerer goes when the ring is full. */
void bench_linger_add(bench_run *r, coap_session_t *session, coap_mid_t finish_mid);
/* Releases the sessions whose time is over (all of them with `all`). */
void bench_linger_expire(bench_run *r, int64_t now_ms, bool all);
void bench_linger_request(bench_lingerer *l, const coap_pdu_t *pdu, coap_pdu_t *response);

/* The bootstrap client (sim_bootstrap.c). */
lwm2m_model *bench_client_base_model(void);
int bench_client_start(bench_sim *s);
void bench_client_response(bench_sim *s, const coap_pdu_t *received);
void bench_client_request(bench_sim *s, const coap_pdu_t *pdu, const coap_string_t *query,
                          coap_pdu_t *response);
/* Registration after the bootstrap (sim_register.c). */
void bench_register_step(bench_sim *s);
void bench_register_response(bench_sim *s, const coap_pdu_t *received);
/* Ping sessions (sim_ping.c). */
int bench_ping_start(bench_sim *s);
void bench_ping_step(bench_sim *s);
void bench_ping_response(bench_sim *s, const coap_pdu_t *received);

#endif
