/* A key directory of `seed --rpk DIR` / `seed --x509 DIR`, which the storm's --rpk DIR /
 * --x509 DIR reads:
 *
 *   ca.crt.der, ca.key.der            the CA (made by the first seed, or one put there before,
 *                                     e.g. by scripts/mkcreds.sh DIR ca)
 *   server.crt.der, server.key.der,   the server's certificate (CN "lwm2m-bench server", signed
 *   server.pub.der                    by the CA), its key (PKCS#8) and public key (SPKI): for
 *                                     lwm2m-bs-server --cert --key (or --rpk-key) --ca-file
 *   rpk-endpoints.bin,                every endpoint's key pair (and certificate), in one
 *   x509-endpoints.bin                bundle per mode (below)
 *
 * The bundle, big-endian: "LWBKEYS1", mode (1 byte: 1 RPK, 2 X.509), the prefix (length byte,
 * bytes), the count (4 bytes), then for endpoint PREFIX0, PREFIX1, ... in turn its private key
 * (PKCS#8 DER) and its SubjectPublicKeyInfo (RPK) or certificate (X.509) DER, each as a 2-byte
 * length and the bytes. One read and one pass index it. */
#ifndef LWM2M_BENCH_KEYS_H
#define LWM2M_BENCH_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "endpoint.h"

#define BENCH_PKI_CA_CN     "lwm2m-bench CA"
#define BENCH_PKI_SERVER_CN "lwm2m-bench server"
#define BENCH_PKI_CA_CERT   "ca.crt.der"
#define BENCH_PKI_CA_KEY    "ca.key.der"
#define BENCH_PKI_SRV_CERT  "server.crt.der"
#define BENCH_PKI_SRV_KEY   "server.key.der"
#define BENCH_PKI_SRV_PUB   "server.pub.der"
#define BENCH_PATH_MAX      4096

typedef enum bench_pki_mode {
    BENCH_PKI_NONE = 0,
    BENCH_PKI_RPK = 1,  /* DTLS with raw public keys (Security Mode 1) */
    BENCH_PKI_X509 = 2, /* DTLS with X.509 certificates (Security Mode 2) */
} bench_pki_mode;

/* "rpk", "x509" ("" for none). */
const char *bench_pki_mode_name(bench_pki_mode mode);

/* DIR/FILE into out[cap]: 0, or -1 when it does not fit. */
int bench_pki_path(const char *dir, const char *file, char *out, size_t cap);
/* The bundle of `mode` in `dir`. */
int bench_keys_path(const char *dir, bench_pki_mode mode, char *out, size_t cap);

/* A whole file of at most `max` bytes: malloc'ed (caller frees), its size in *len; NULL with
 * `err` set. */
uint8_t *bench_file_read(const char *path, size_t max, size_t *len, char *err, size_t errlen);
/* Writes `path` through a temporary file renamed over it (mode 0600): 0, or -1 with `err`. */
int bench_file_write(const char *path, const uint8_t *data, size_t len, char *err, size_t errlen);

/* Writing a bundle: begin (a temporary file next to it), one add per endpoint in index order,
 * then end, which renames it into place when `commit` and all `count` were added, else
 * removes it. 0, or -1 with `err` set. */
typedef struct bench_keys_writer {
    FILE *f;
    uint32_t count, added;
    char path[BENCH_PATH_MAX], tmp[BENCH_PATH_MAX];
} bench_keys_writer;

int bench_keys_begin(bench_keys_writer *w, const char *dir, bench_pki_mode mode, const char *prefix,
                     uint32_t count, char *err, size_t errlen);
int bench_keys_add(bench_keys_writer *w, const uint8_t *key, size_t key_len, const uint8_t *own,
                   size_t own_len, char *err, size_t errlen);
int bench_keys_end(bench_keys_writer *w, bool commit, char *err, size_t errlen);

typedef struct bench_key_ref {
    uint32_t key_off, own_off;
    uint16_t key_len, own_len;
} bench_key_ref;

/* What the storm reads of a key directory. */
typedef struct bench_keys {
    bench_pki_mode mode;
    uint32_t count;      /* endpoints indexed (those the storm uses) */
    uint8_t *bundle;     /* the bundle file */
    bench_key_ref *ref;  /* per endpoint index */
    uint8_t *server_pub; /* server.pub.der: the server's public key, pinned (RPK: /0/0/4) */
    size_t server_pub_len;
    uint8_t *ca_cert; /* ca.crt.der: an X.509 client's trust anchor (/0/0/4) */
    size_t ca_cert_len;
} bench_keys;

/* Loads `dir` for endpoints PREFIX0 .. PREFIX{endpoints-1} of `mode`, each key checked to
 * parse and to be the pair of its public key or certificate, whose CN must be the endpoint's
 * name: 0, or -1 with `err` naming the file and what is wrong. */
int bench_keys_load(const char *dir, bench_pki_mode mode, const char *prefix, uint32_t endpoints,
                    bench_keys *out, char *err, size_t errlen);
void bench_keys_free(bench_keys *k);

/* Endpoint `index`'s private key and its SPKI (RPK) or certificate (X.509). */
static inline const uint8_t *bench_keys_key(const bench_keys *k, uint32_t index, size_t *len)
{
    *len = k->ref[index].key_len;
    return k->bundle + k->ref[index].key_off;
}

static inline const uint8_t *bench_keys_own(const bench_keys *k, uint32_t index, size_t *len)
{
    *len = k->ref[index].own_len;
    return k->bundle + k->ref[index].own_off;
}

#endif
