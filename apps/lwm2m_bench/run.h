/* The storm's machinery: one loop drives C simulated clients ("sims"), each over links of its
 * own (its own UDP socket, so its own source address and port) through a transport:
 *
 * - libcoap (io_libcoap.c): one coap_context, one client session per link; libcoap's
 *   callbacks decode each message and hand it to the sim;
 * - udp (io_udp.c): one nonblocking connected socket per link in one epoll set, datagrams
 *   framed with lwm2m/coap_wire.h and the CoAP reliability a client needs done here.
 *
 * The LwM2M side of a sim (sim_bootstrap.c, sim_register.c, sim_ping.c) sees neither: it sends
 * a bench_request, gets a bench_reply, and answers the Bootstrap Server's lwm2m_request with an
 * lwm2m_response. Transport callbacks only change a sim's phase and queue it; the loop then
 * sends what is due, counts finished sims and releases them, never inside a callback. Every
 * sim's next deadline (session timeout, retransmission) sits in a min-heap (timers.h). */
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
#include "timers.h"

#define BENCH_LWM2M_VERSION "1.1"
#define BENCH_RESP_MAX      4096 /* our answer's payload at most */

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

/* A sim's links: to the Bootstrap Server (ping: the responder), and to the LwM2M Server. */
typedef enum bench_link { BENCH_LINK_BS, BENCH_LINK_REG, BENCH_LINKS } bench_link;

typedef struct bench_run bench_run;

/* What a libcoap session's app data points to: a running sim, or a finished client's
 * lingering session. */
typedef enum bench_owner { BENCH_OWNER_SIM = 1, BENCH_OWNER_LINGER } bench_owner;

/* One simulated client. */
typedef struct bench_sim {
    bench_owner owner; /* BENCH_OWNER_SIM, first: see bench_owner */
    bench_run *run;
    sim_phase phase;
    bool queued;         /* in the run's to-do list */
    bool awaiting;       /* our request (token) is outstanding */
    bench_link out_link; /* the link it went out on */
    uint32_t ep_index;
    char endpoint[BENCH_NAME_MAX];
    bool single_server; /* announces max one server account: refuses the primary plan */
    lwm2m_model *model; /* this client's configuration; freed when it ends */
    lwm2m_bs_client *bs;
    coap_session_t *session;     /* libcoap: Bootstrap Server (ping: responder) link */
    coap_session_t *reg_session; /* libcoap: LwM2M Server link (--register) */
    uint8_t token[8];
    size_t token_len;
    int64_t start_us, end_us;         /* bootstrap: Request sent .. Finish answered */
    int64_t reg_start_us, reg_end_us; /* Register sent .. De-register answered */
    int64_t deadline_ms;              /* the session's --timeout */
    int64_t retx_ms;                  /* udp: our request's next retransmission (INT64_MAX: none) */
    uint32_t exchanges;     /* bootstrap: the Request and each server command; ping: answers */
    uint32_t reg_exchanges; /* Register, De-register */
    uint32_t answered_406;  /* Finish refused with 4.06 */
    uint32_t op_errors;     /* other commands answered with an error */
    int32_t last_mid;       /* libcoap: the server's last request and our answer's code, to */
    unsigned last_code;     /* answer a retransmission the same way (RFC 7252 4.5) */
    int32_t finish_mid;     /* the Finish we answered 2.04 */
    size_t accounts;        /* server accounts committed */
    bench_cause cause;
    unsigned code; /* the CoAP code of a refusal */
    char why[160]; /* first failure detail, for the log */
    char location[128];
} bench_sim;

#define BENCH_LINGER_ACK_MAX 16 /* a 2.04 ACK: header and a token of up to 8 bytes */

/* A bootstrapped client keeps its Bootstrap-Server link open for --linger seconds, as a real
 * client keeps its port: a Finish the server sends again (our 2.04 was lost) is answered 2.04
 * again and counted. The slot of the sim is free meanwhile. */
typedef struct bench_lingerer {
    bench_owner owner; /* BENCH_OWNER_LINGER */
    bench_run *run;
    coap_session_t *session; /* libcoap */
    int fd;                  /* udp: the socket; -1 when unused */
    int64_t until_ms;
    int32_t finish_mid;
    uint8_t ack[BENCH_LINGER_ACK_MAX]; /* udp: the bytes of our 2.04 to that Finish */
    size_t ack_len;
} bench_lingerer;

/* A destination resolved once. */
typedef struct bench_dest {
    char uri[BENCH_URI_MAX];
    coap_address_t addr;
    bool secure;    /* coaps:// */
    bool loopback4; /* 127.0.0.0/8: sources are spread */
} bench_dest;

#define BENCH_MAX_DESTS 4

/* A request of ours, whichever transport carries it. */
typedef struct bench_request {
    unsigned method;
    const char *path;    /* "/bs" */
    lwm2m_format format; /* Content-Format; LWM2M_FORMAT_NONE for none */
    const char *query;   /* "a=1&b=2", may be NULL */
    const uint8_t *payload;
    size_t len;
} bench_request;

/* The answer to our outstanding request, as the transport decoded it. */
typedef struct bench_reply {
    unsigned code;
    const uint8_t *payload;
    size_t payload_len;
    const char *location; /* Location-Path "/rd/5a3f" (asked of Register's answer only), or "" */
} bench_reply;

/* What the Bootstrap Server's request was to the client (bench_client_request). */
typedef enum bench_answer {
    BENCH_ANSWER_STRAY,   /* not part of a transaction (answered 5.03): nothing to remember */
    BENCH_ANSWER_COMMAND, /* a command answered: its answer is what a retransmission gets */
    BENCH_ANSWER_FINISH,  /* the Finish that ended the transaction: remember it for lingering */
} bench_answer;

/* A transport. Functions a transport does not need are NULL. */
typedef struct bench_io {
    /* After the run's own set-up, before any sim: 0, or -1 with the message printed. */
    int (*setup)(bench_run *r, int signal_fd);
    void (*teardown)(bench_run *r);
    /* Opens `link` of `s` towards `uri` (DTLS PSK when the run has --psk and it is the
     * Bootstrap-Server link): 0, or -1 (the caller fails the sim unless the transport did). */
    int (*open)(bench_sim *s, bench_link link, const char *uri);
    /* Sends `req` on the open `link` as the sim's outstanding request (s->token set): 0, or -1
     * with `s` failed. */
    int (*send)(bench_sim *s, bench_link link, const bench_request *req);
    /* Closes the sim's links; with `keep_bs`, the Bootstrap-Server link lingers instead. */
    void (*close)(bench_sim *s, bool keep_bs);
    void (*linger_close)(bench_lingerer *l);
    /* One turn of I/O: waits up to timeout_ms (0: not at all) and handles what arrived. */
    void (*turn)(bench_run *r, int timeout_ms);
    /* The sim's retransmission is due. */
    void (*retransmit)(bench_sim *s, int64_t now_ms);
    /* The link's DTLS handshake has not finished (what a timeout is blamed on). */
    bool (*handshaking)(const bench_sim *s);
    bool watches_signals; /* turn() sets r->signal_ready (else the loop polls every tick) */
} bench_io;

extern const bench_io bench_io_libcoap, bench_io_udp;

struct bench_run {
    const bench_opts *opts;
    const bench_io *io;
    void *io_state;         /* the transport's own */
    coap_context_t *ctx;    /* libcoap */
    lwm2m_model *base;      /* the factory model every client clones */
    const bench_keys *keys; /* --rpk / --x509: the seed's keys; NULL otherwise */
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
    bench_timers timers; /* per sim: min(deadline_ms, retx_ms) */
    uint32_t logged;     /* failures written to stderr so far */
    bench_dest dests[BENCH_MAX_DESTS];
    size_t n_dests;
    uint32_t next_source;   /* sessions opened from a source address of their own */
    bench_lingerer *linger; /* a ring, oldest first (all linger equally long) */
    size_t linger_cap, linger_head, linger_len;
    bool signal_ready; /* the signal descriptor is readable (transports that watch it) */
    uint64_t rng;      /* tokens, message IDs, retransmission jitter */
    uint8_t resp_buf[BENCH_RESP_MAX];
};

int64_t bench_now_us(void);
int64_t bench_now_ms(void);
/* 32 random bits of the run's generator (not for secrets). */
uint32_t bench_random(bench_run *r);

/* libcoap: a client session towards "coap://HOST:PORT" (NoSec) or, with a PSK,
 * "coaps://HOST:PORT"; NULL when the URI does not resolve or its scheme does not match
 * (session.c). */
coap_session_t *bench_session_open(bench_run *r, const char *uri, const uint8_t *identity,
                                   size_t identity_len, const uint8_t *key, size_t key_len);
/* libcoap: a DTLS client session towards "coaps://HOST:PORT" with endpoint `ep_index`'s key
 * and public key (RPK) or certificate (X.509) from r->keys; NULL when the URI does not resolve,
 * is not coaps:// or libcoap refuses the keys (session.c). */
coap_session_t *bench_session_open_pki(bench_run *r, const char *uri, uint32_t ep_index);
/* Destinations (session.c): the one for `uri`, resolved once; NULL when it does not resolve
 * or is not coap:// or coaps://. */
const bench_dest *bench_dest_of(bench_run *r, const char *uri);
/* Whether links towards `d` bind a source address of their own (bench_next_source). */
bool bench_spread_sources(const bench_run *r, const bench_dest *d);
/* The next source address of its own in 127.1.0.1 .. 127.254.255.254 (port 0). */
void bench_next_source(bench_run *r, coap_address_t *local);

/* Marks `s` for the loop (its next send, or its end). */
void bench_sim_queue(bench_sim *s);
/* Ends `s` as failed (only the first cause counts); `why` may be NULL. */
void bench_sim_fail(bench_sim *s, bench_cause cause, unsigned code, const char *why);
/* Puts the sim's next deadline, min(deadline_ms, retx_ms), in the run's timers. */
void bench_sim_schedule(bench_sim *s);
/* Opens `link` towards `uri`: 0, or -1 with `s` failed (`what` names the peer). */
int bench_sim_open(bench_sim *s, bench_link link, const char *uri, const char *what);
/* Sends a request on `link` as the outstanding one: 0, or -1 with `s` failed. */
int bench_sim_send(bench_sim *s, bench_link link, const bench_request *req);
/* The answer to the outstanding request (the transport matched it and cleared `awaiting`). */
void bench_sim_response(bench_sim *s, const bench_reply *reply);
/* `code` with `diag` as a text/plain payload in the run's response buffer. */
void bench_reply_text(bench_run *r, lwm2m_response *resp, unsigned code, const char *diag);

/* Lingering links (linger.c). 0, or -1 when out of memory. */
int bench_linger_init(bench_run *r, size_t cap);
/* A place for a finished client's Bootstrap-Server link answering Finish `finish_mid` (the
 * oldest lingerer is closed when the ring is full); NULL when nothing lingers (--linger 0). */
bench_lingerer *bench_linger_add(bench_run *r, int32_t finish_mid);
/* Releases the links whose time is over (all of them with `all`). */
void bench_linger_expire(bench_run *r, int64_t now_ms, bool all);
/* When the oldest lingerer's time is over (INT64_MAX: none lingers). */
int64_t bench_linger_next(const bench_run *r);

/* The bootstrap client (sim_bootstrap.c). */
lwm2m_model *bench_client_base_model(void);
int bench_client_start(bench_sim *s);
void bench_client_response(bench_sim *s, const bench_reply *reply);
/* The Bootstrap Server's request `req` (NULL: the transport could not decode it) answered
 * into `resp` (its payload in the run's response buffer). */
bench_answer bench_client_request(bench_sim *s, const lwm2m_request *req, lwm2m_response *resp);
/* Registration after the bootstrap (sim_register.c). */
void bench_register_step(bench_sim *s);
void bench_register_response(bench_sim *s, const bench_reply *reply);
/* Ping sessions (sim_ping.c). */
int bench_ping_start(bench_sim *s);
void bench_ping_step(bench_sim *s);
void bench_ping_response(bench_sim *s, const bench_reply *reply);

#endif
