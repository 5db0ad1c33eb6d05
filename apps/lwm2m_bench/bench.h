/* lwm2m-bench: what the storm and ping runs share — their options, the failure causes and the
 * counters a run fills. */
#ifndef LWM2M_BENCH_BENCH_H
#define LWM2M_BENCH_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "endpoint.h"
#include "histogram.h"
#include "keys.h"
#include "lwm2m/codec.h"

#define BENCH_PROG     "lwm2m-bench"
#define BENCH_MAX_PIDS 8

typedef enum bench_mode {
    BENCH_MODE_BOOTSTRAP, /* simulated clients bootstrap (and register) */
    BENCH_MODE_PING,      /* plain CON exchanges against `responder` (NoSec or DTLS PSK) */
} bench_mode;

/* How the sims talk: through libcoap (one session each), or over plain UDP sockets framed with
 * lwm2m/coap_wire.h (NoSec only; io_udp.c). */
typedef enum bench_io_kind {
    BENCH_IO_LIBCOAP,
    BENCH_IO_UDP,
} bench_io_kind;

typedef struct bench_opts {
    bench_mode mode;
    bench_io_kind io;
    const char *server; /* coap:// or coaps:// */
    const char *prefix;
    uint32_t endpoints;
    uint32_t concurrency;
    uint64_t count;      /* sessions to run; 0 with duration_s */
    uint32_t duration_s; /* start sessions for this long; 0 with count */
    uint32_t timeout_s;  /* bound on one session */
    uint32_t linger_s;   /* keep a bootstrapped client's session open this long */
    bool psk;
    bench_pki_mode pki;  /* --rpk DIR / --x509 DIR: the endpoints' keys from `seed` */
    const char *pki_dir; /* (BENCH_PKI_NONE: none) */
    uint8_t psk_key[BENCH_PSK_KEY_MAX]; /* ping --psk-key: every session's key; */
    size_t psk_key_len;                 /* 0: bench_psk_key of the identity */
    lwm2m_format format;
    uint32_t reject_ppm; /* single-server share, parts per million */
    bool reg;
    uint32_t exchanges; /* ping: CON exchanges per session */
    pid_t pids[BENCH_MAX_PIDS];
    size_t n_pids;
    bool single_source; /* all sessions from the default source address */
    bool json, quiet;
} bench_opts;

/* Why a session did not end as it should. */
typedef enum bench_cause {
    BENCH_CAUSE_TIMEOUT,       /* not done within --timeout */
    BENCH_CAUSE_DTLS,          /* DTLS handshake failed (or never finished) */
    BENCH_CAUSE_NO_ANSWER,     /* a request of ours got no answer (CoAP retries exhausted) */
    BENCH_CAUSE_UNREACHABLE,   /* ICMP error, RST or cannot send */
    BENCH_CAUSE_REFUSED,       /* the Bootstrap-Request (or ping) answered with an error */
    BENCH_CAUSE_NOT_RECOVERED, /* the client answered Finish 4.06 and no plan followed */
    BENCH_CAUSE_OP_REFUSED,    /* the client answered a server command with an error */
    BENCH_CAUSE_WRONG_CONFIG,  /* committed configuration without the expected account */
    BENCH_CAUSE_REGISTER,      /* Register not answered 2.01 with a location */
    BENCH_CAUSE_DEREGISTER,    /* De-register not answered 2.02 */
    BENCH_CAUSE_INTERNAL,      /* out of memory, cannot build a message */
    BENCH_CAUSE_COUNT
} bench_cause;

/* Stable kebab-case name ("not-recovered"). */
const char *bench_cause_name(bench_cause c);

typedef struct bench_stats {
    uint64_t started, completed, failed;
    uint64_t causes[BENCH_CAUSE_COUNT];
    uint64_t refused_codes[256]; /* per CoAP code, of BENCH_CAUSE_REFUSED */
    uint64_t answered_406;       /* Finish answered 4.06 (the single-server clients) */
    uint64_t recovered;          /* bootstraps that succeeded after a 4.06 */
    uint64_t duplicates;         /* server requests received again (our answer was lost) */
    uint64_t finish_repeated;    /* Finish received again after we answered 2.04 */
    uint64_t linger_cut;         /* lingering sessions released early (descriptors) */
    uint64_t retransmitted;      /* --io udp: our requests sent again (no answer in time) */
    uint64_t primary, fallback;  /* committed with two accounts / with one */
    uint64_t exchanges;          /* of the completed sessions (bootstrap part) */
    uint32_t exchanges_min, exchanges_max;
    uint64_t reg_exchanges; /* Register + De-register */
    uint32_t peak_in_flight;
    bench_histogram latency;     /* bootstrap: Request sent .. Finish answered; ping: session */
    bench_histogram reg_latency; /* Register sent .. De-register answered */
    uint32_t *timeline;          /* completions per second of the run */
    size_t timeline_len, timeline_cap;
} bench_stats;

int bench_stats_init(bench_stats *s);
void bench_stats_free(bench_stats *s);
/* A completion at `second` of the run (grows the timeline; silently capped when out of
 * memory). */
void bench_stats_tick(bench_stats *s, size_t second);

/* Whether the Bootstrap-Server link is DTLS (coaps://): --psk, --rpk or --x509. */
static inline bool bench_dtls(const bench_opts *o)
{
    return o->psk || o->pki != BENCH_PKI_NONE;
}

/* "nosec", "psk", "rpk" or "x509". */
const char *bench_security_name(const bench_opts *o);

/* The help of every form of the command. */
void bench_usage(FILE *f);
/* "libcoap" or "udp" into *io: 0, or 2 with the message printed. */
int bench_parse_io(const char *arg, bench_io_kind *io);
/* --rpk DIR (x509 false) or --x509 DIR into *mode and *mode_dir: 0, or 2 with the message
 * printed (prefixed by `where`, e.g. "seed: ") when one of them was given before. */
int bench_parse_pki(const char *where, bool x509, const char *dir, bench_pki_mode *mode,
                    const char **mode_dir);
/* --psk-key HEX (1..BENCH_PSK_KEY_MAX bytes) into key, *len: 0, or 2 with the message printed. */
int bench_parse_psk_key(const char *arg, uint8_t key[BENCH_PSK_KEY_MAX], size_t *len);

/* Subcommands: exit status 0, 1 or 2. */
int bench_seed_main(int argc, char **argv);
int bench_responder_main(int argc, char **argv);
/* `responder --io udp` on "HOST:PORT" until a signal arrives on `sfd`: 0, or 1 when it cannot
 * start (responder_udp.c). */
int bench_responder_udp(const char *listen, int sfd);
/* Options of a storm (mode bootstrap) or of `ping`: LWM2M_APP_GO_ON or an exit status. */
int bench_parse_run(int argc, char **argv, bench_mode mode, bench_opts *o);
int bench_run_main(const bench_opts *o);

#endif
