/* `lwm2m-bench seed`: writes N endpoint configurations into a Bootstrap Server store, in
 * batches of one transaction each, and times it (the store-scale measurement). With --rpk DIR
 * or --x509 DIR each endpoint gets a fresh key pair (and certificate) of its own, written to
 * DIR (keys.h) for the storm. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app_options.h"
#include "app_util.h"
#include "bench.h"
#include "config_doc.h"
#include "endpoint.h"
#include "keys.h"
#include "lwm2m/bs_config.h"
#include "lwm2m/bs_store.h"
#include "lwm2m/error.h"
#include "pki.h"

typedef struct seed_opts {
    const char *store, *prefix, *dm_uri;
    int64_t endpoints, batch;
    bool psk, json, quiet;
    bench_pki_mode pki; /* --rpk / --x509 */
    const char *pki_dir;
    char dm2_uri[BENCH_URI_MAX];
} seed_opts;

/* What a seed with --rpk or --x509 works with besides the store. */
typedef struct seed_pki {
    bench_pki_ca *ca;       /* signs the server's and (X.509) the endpoints' certificates */
    bench_pki_pair server;  /* the server's (its spki stands in for keys in check_document) */
    bench_keys_writer keys; /* the bundle being written */
    double keygen_s;        /* spent making keys and certificates */
} seed_pki;

/* One batch's room. */
typedef struct seed_batch {
    char *arena; /* the documents, BENCH_DOC_MAX each */
    lwm2m_bs_entry *entries;
    char (*names)[BENCH_NAME_MAX];
    uint8_t (*keys)[BENCH_PSK_KEY_LEN];
    bench_pki_pair *pairs; /* --rpk / --x509 */
} seed_batch;

enum { OPT_PSK = 256, OPT_DM, OPT_BATCH, OPT_JSON, OPT_RPK, OPT_X509 };

static void usage(FILE *f)
{
    fprintf(f, "Usage: " BENCH_PROG " seed --store sqlite:PATH --endpoints N [options]\n"
               "\n"
               "Writes N endpoint configurations PREFIX0..PREFIX{N-1} into a Bootstrap Server\n"
               "store (replacing those of the same names), BATCH per transaction, and prints the\n"
               "time it took. Each has a primary plan (Delete /, two NoSec server accounts, SSID\n"
               "101 at the LwM2M Server URI and 102 at its port + 1, an ACL on /3/0; no\n"
               "Bootstrap-Discover) and a single-server fallback plan (SSID 101 only), which the\n"
               "server runs after a client refused the primary plan's Finish with 4.06.\n"
               "\n"
               "  -s, --store SPEC          sqlite:PATH (created when absent; required)\n"
               "  -n, --endpoints N         how many (1..100000000; required)\n"
               "  -p, --prefix P            endpoint name prefix (default \"bench-\")\n"
               "      --psk                 DTLS PSK credentials: identity = endpoint name, key =\n"
               "                            first 16 bytes of SHA-256(\"lwm2m-bench-psk:\" NAME)\n"
               "      --rpk DIR             DTLS raw public keys: a fresh EC P-256 key pair per\n"
               "                            endpoint, its public key stored as \"rpk\", the pairs\n"
               "                            written to DIR/rpk-endpoints.bin (for `--rpk DIR`)\n"
               "      --x509 DIR            DTLS certificates: a fresh key pair and a certificate\n"
               "                            with CN = endpoint name per endpoint, \"x509\": {}\n"
               "                            stored, both written to DIR/x509-endpoints.bin\n"
               "                            (for `--x509 DIR`). With either, DIR (created when\n"
               "                            absent) also gets the CA that signs the certificates\n"
               "                            (ca.crt.der, ca.key.der: made unless DIR holds them,\n"
               "                            e.g. from scripts/mkcreds.sh DIR ca) and the\n"
               "                            server's certificate, CN \"lwm2m-bench server\"\n"
               "                            (server.crt.der, server.key.der PKCS#8,\n"
               "                            server.pub.der; made unless present), so:\n"
               "                            lwm2m-bs-server --dtls-listen HOST:PORT --cert\n"
               "                            DIR/server.crt.der --key DIR/server.key.der\n"
               "                            --ca-file DIR/ca.crt.der. One of --psk, --rpk, --x509\n"
               "      --lwm2m-server URI    coap://HOST:PORT of SSID 101 (default\n"
               "                            coap://127.0.0.1:5783; SSID 102 gets PORT + 1)\n"
               "      --batch B             configurations per transaction (default 1000)\n"
               "      --json                the result as one JSON object on stdout\n"
               "  -q, --quiet               no progress lines\n"
               "  -h, --help                this help\n"
               "\n"
               "Exit status: 0 when all were written, 1 on a store or key file error, 2 on bad "
               "options.\n");
}

static int take(void *ctx, int opt, const char *arg)
{
    seed_opts *o = ctx;
    switch (opt) {
    case 's':
        o->store = arg;
        return 0;
    case 'n':
        if (lwm2m_app_parse_int(arg, 1, 100000000, &o->endpoints))
            return 0;
        fprintf(stderr, BENCH_PROG ": seed: bad --endpoints '%s' (1..100000000)\n", arg);
        return 2;
    case 'p':
        o->prefix = arg;
        return 0;
    case OPT_PSK:
        o->psk = true;
        return 0;
    case OPT_RPK:
    case OPT_X509:
        return bench_parse_pki("seed: ", opt == OPT_X509, arg, &o->pki, &o->pki_dir);
    case OPT_DM:
        o->dm_uri = arg;
        return 0;
    case OPT_BATCH:
        if (lwm2m_app_parse_int(arg, 1, 100000, &o->batch))
            return 0;
        fprintf(stderr, BENCH_PROG ": seed: bad --batch '%s' (1..100000)\n", arg);
        return 2;
    case OPT_JSON:
        o->json = true;
        return 0;
    case 'q':
        o->quiet = true;
        return 0;
    default:
        return 2;
    }
}

static int parse(int argc, char **argv, seed_opts *o)
{
    static const struct option longopts[] = {
        {"store", required_argument, NULL, 's'},
        {"endpoints", required_argument, NULL, 'n'},
        {"prefix", required_argument, NULL, 'p'},
        {"psk", no_argument, NULL, OPT_PSK},
        {"rpk", required_argument, NULL, OPT_RPK},
        {"x509", required_argument, NULL, OPT_X509},
        {"lwm2m-server", required_argument, NULL, OPT_DM},
        {"batch", required_argument, NULL, OPT_BATCH},
        {"json", no_argument, NULL, OPT_JSON},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->prefix = "bench-";
    o->dm_uri = "coap://127.0.0.1:5783";
    o->batch = 1000;
    int rc =
        lwm2m_app_options(BENCH_PROG " seed", argc, argv, "s:n:p:qh", longopts, usage, take, o);
    if (rc != LWM2M_APP_GO_ON)
        return rc;
    if (o->store == NULL || o->endpoints == 0) {
        fprintf(stderr, BENCH_PROG ": seed: --store and --endpoints are required (try --help)\n");
        return 2;
    }
    if (o->psk && o->pki != BENCH_PKI_NONE) {
        fprintf(stderr, BENCH_PROG ": seed: --psk and --%s exclude each other\n",
                bench_pki_mode_name(o->pki));
        return 2;
    }
    if (!bench_prefix_ok(o->prefix)) {
        fprintf(stderr,
                BENCH_PROG ": seed: bad --prefix '%s' (1..%d printable bytes, none of "
                           "space \" \\ & = ? # %%)\n",
                o->prefix, BENCH_PREFIX_MAX);
        return 2;
    }
    if (bench_dm_uris(o->dm_uri, o->dm2_uri) != 0) {
        fprintf(stderr, BENCH_PROG ": seed: bad --lwm2m-server '%s' (coap://HOST:PORT)\n",
                o->dm_uri);
        return 2;
    }
    return LWM2M_APP_GO_ON;
}

/* Endpoint `name`'s credentials member (PSK: its key into `key`; RPK: the public key of
 * `pair`) into creds ("" for NoSec): 0, or -1 when it does not fit. */
static int credentials(const seed_opts *o, const char *name, const bench_pki_pair *pair,
                       uint8_t key[BENCH_PSK_KEY_LEN], char creds[BENCH_CREDS_MAX])
{
    creds[0] = '\0';
    if (o->psk) {
        bench_psk_key(name, key);
        bench_psk_member(name, key, creds);
    } else if (o->pki == BENCH_PKI_RPK) {
        return bench_rpk_member(pair->spki, pair->spki_len, creds);
    } else if (o->pki == BENCH_PKI_X509) {
        snprintf(creds, BENCH_CREDS_MAX, "%s", BENCH_X509_MEMBER);
    }
    return 0;
}

/* The document of endpoint `index` into `out`: its length, or -1. */
static int document(const seed_opts *o, uint32_t index, const bench_pki_pair *pair, char *name,
                    char *out, size_t cap, uint8_t key[BENCH_PSK_KEY_LEN])
{
    char creds[BENCH_CREDS_MAX];
    bench_endpoint_name(o->prefix, index, name);
    if (credentials(o, name, pair, key, creds) != 0)
        return -1;
    return bench_config_doc(name, creds[0] != '\0' ? creds : NULL, o->dm_uri, o->dm2_uri, out, cap);
}

/* The first document must be what `config put` would store: it parses, every plan passes
 * the consistency check, and it is its own canonical form. The others differ only in the
 * name and key (`stand_in`: a public key of the same kind for RPK). 0, or 1 with the cause on
 * stderr. */
static int check_document(const seed_opts *o, const bench_pki_pair *stand_in)
{
    char name[BENCH_NAME_MAX], doc[BENCH_DOC_MAX], err[320];
    uint8_t key[BENCH_PSK_KEY_LEN];
    int n = document(o, 0, stand_in, name, doc, sizeof doc, key);
    lwm2m_bs_config *cfg = NULL;
    if (n < 0 || lwm2m_bs_config_parse(doc, (size_t)n, NULL, &cfg, err, sizeof err) != LWM2M_OK) {
        fprintf(stderr, BENCH_PROG ": seed: document does not parse: %s\n",
                n < 0 ? "too long" : err);
        return 1;
    }
    lwm2m_consistency_result res;
    int bad = lwm2m_bs_config_validate(cfg, NULL, &res);
    char *canon = bad < 0 ? lwm2m_bs_config_to_json(cfg) : NULL;
    int rc = 0;
    if (bad >= 0) {
        fprintf(stderr, BENCH_PROG ": seed: plan %d is inconsistent: %s\n", bad, res.message);
        rc = 1;
    } else if (canon == NULL || strcmp(canon, doc) != 0) {
        fprintf(stderr, BENCH_PROG ": seed: document is not canonical:\n  %s\n  %s\n", doc,
                canon ? canon : "(out of memory)");
        rc = 1;
    }
    free(canon);
    lwm2m_bs_config_free(cfg);
    return rc;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* ---- the key directory (--rpk, --x509) ---------------------------------------------------- */

static bool exists(const char *dir, const char *file)
{
    char path[BENCH_PATH_MAX];
    return bench_pki_path(dir, file, path, sizeof path) == 0 && access(path, F_OK) == 0;
}

static int write_file(const char *dir, const char *file, const uint8_t *data, size_t len)
{
    char path[BENCH_PATH_MAX], err[BENCH_PATH_MAX + 80];
    if (bench_pki_path(dir, file, path, sizeof path) == 0 &&
        bench_file_write(path, data, len, err, sizeof err) == 0)
        return 0;
    fprintf(stderr, BENCH_PROG ": seed: cannot write %s/%s: %s\n", dir, file, err);
    return 1;
}

static uint8_t *read_file(const char *dir, const char *file, size_t *len)
{
    char path[BENCH_PATH_MAX], err[BENCH_PATH_MAX + 80] = "path too long";
    uint8_t *data = bench_pki_path(dir, file, path, sizeof path) == 0
                        ? bench_file_read(path, 65536, len, err, sizeof err)
                        : NULL;
    if (data == NULL)
        fprintf(stderr, BENCH_PROG ": seed: %s\n", err);
    return data;
}

/* The CA of DIR (ca.crt.der and ca.key.der), made and written when DIR has neither; *made
 * says which. 0, or 1 with the cause on stderr. */
static int open_ca(const char *dir, seed_pki *p, bool *made)
{
    char err[300];
    bool has_cert = exists(dir, BENCH_PKI_CA_CERT), has_key = exists(dir, BENCH_PKI_CA_KEY);
    *made = !has_cert && !has_key;
    if (has_cert != has_key) {
        fprintf(stderr, BENCH_PROG ": seed: %s holds %s but not %s\n", dir,
                has_cert ? BENCH_PKI_CA_CERT : BENCH_PKI_CA_KEY,
                has_cert ? BENCH_PKI_CA_KEY : BENCH_PKI_CA_CERT);
        return 1;
    }
    if (*made) {
        bench_pki_pair ca;
        if (bench_pki_issue(NULL, BENCH_PKI_CA, BENCH_PKI_CA_CN, &ca, err, sizeof err) != 0) {
            fprintf(stderr, BENCH_PROG ": seed: the CA: %s\n", err);
            return 1;
        }
        if (write_file(dir, BENCH_PKI_CA_CERT, ca.cert, ca.cert_len) != 0 ||
            write_file(dir, BENCH_PKI_CA_KEY, ca.key, ca.key_len) != 0)
            return 1;
        p->ca = bench_pki_ca_open(ca.cert, ca.cert_len, ca.key, ca.key_len, err, sizeof err);
    } else {
        size_t cert_len = 0, key_len = 0;
        uint8_t *cert = read_file(dir, BENCH_PKI_CA_CERT, &cert_len);
        uint8_t *key = cert != NULL ? read_file(dir, BENCH_PKI_CA_KEY, &key_len) : NULL;
        snprintf(err, sizeof err, "cannot be read");
        if (key != NULL)
            p->ca = bench_pki_ca_open(cert, cert_len, key, key_len, err, sizeof err);
        free(cert);
        free(key);
    }
    if (p->ca != NULL)
        return 0;
    fprintf(stderr, BENCH_PROG ": seed: the CA of %s: %s\n", dir, err);
    return 1;
}

/* The server's certificate, key and public key in DIR: kept when all three are there (and the
 * CA was not just made), else made. Its public key into p->server either way. */
static int server_files(const char *dir, seed_pki *p, bool ca_made)
{
    bench_pki_pair *s = &p->server;
    if (!ca_made && exists(dir, BENCH_PKI_SRV_CERT) && exists(dir, BENCH_PKI_SRV_KEY) &&
        exists(dir, BENCH_PKI_SRV_PUB)) {
        size_t len = 0;
        uint8_t *pub = read_file(dir, BENCH_PKI_SRV_PUB, &len);
        if (pub == NULL || len > sizeof s->spki) {
            free(pub);
            fprintf(stderr, BENCH_PROG ": seed: %s/%s is not a P-256 public key\n", dir,
                    BENCH_PKI_SRV_PUB);
            return 1;
        }
        memcpy(s->spki, pub, len);
        s->spki_len = len;
        free(pub);
        return 0;
    }
    char err[300];
    if (bench_pki_issue(p->ca, BENCH_PKI_SERVER, BENCH_PKI_SERVER_CN, s, err, sizeof err) != 0) {
        fprintf(stderr, BENCH_PROG ": seed: the server's certificate: %s\n", err);
        return 1;
    }
    return write_file(dir, BENCH_PKI_SRV_CERT, s->cert, s->cert_len) ||
           write_file(dir, BENCH_PKI_SRV_KEY, s->key, s->key_len) ||
           write_file(dir, BENCH_PKI_SRV_PUB, s->spki, s->spki_len);
}

/* DIR with its CA and server files, and the bundle begun. 0, or 1 with the cause on stderr. */
static int open_dir(const seed_opts *o, seed_pki *p)
{
    const char *dir = o->pki_dir;
    struct stat st;
    if (mkdir(dir, 0700) != 0 && (errno != EEXIST || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))) {
        fprintf(stderr, BENCH_PROG ": seed: cannot make the directory %s: %s\n", dir,
                errno == EEXIST ? "a file of that name exists" : strerror(errno));
        return 1;
    }
    bool ca_made = false;
    if (open_ca(dir, p, &ca_made) != 0 || server_files(dir, p, ca_made) != 0)
        return 1;
    char err[BENCH_PATH_MAX + 80];
    if (bench_keys_begin(&p->keys, dir, o->pki, o->prefix, (uint32_t)o->endpoints, err,
                         sizeof err) != 0) {
        fprintf(stderr, BENCH_PROG ": seed: %s\n", err);
        return 1;
    }
    return 0;
}

/* Endpoint `name`'s key pair (and certificate) into *pair and the bundle. */
static int issue_keys(const seed_opts *o, seed_pki *p, const char *name, bench_pki_pair *pair)
{
    char err[BENCH_PATH_MAX + 80];
    bool rpk = o->pki == BENCH_PKI_RPK;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = bench_pki_issue(p->ca, rpk ? BENCH_PKI_BARE : BENCH_PKI_CLIENT, name, pair, err,
                             sizeof err);
    p->keygen_s += seconds_since(&t0);
    if (rc == 0)
        rc = bench_keys_add(&p->keys, pair->key, pair->key_len, rpk ? pair->spki : pair->cert,
                            rpk ? pair->spki_len : pair->cert_len, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, BENCH_PROG ": seed: the keys of %s: %s\n", name, err);
    return rc != 0;
}

/* ---- the store ---------------------------------------------------------------------------- */

/* One batch: entries [first, first + count) in one transaction. 0, or 1 with the error. */
static int put_batch(const seed_opts *o, seed_pki *p, lwm2m_bs_store *store, uint32_t first,
                     uint32_t count, seed_batch *b)
{
    for (uint32_t i = 0; i < count; i++) {
        char *doc = b->arena + (size_t)i * BENCH_DOC_MAX;
        bench_pki_pair *pair = b->pairs != NULL ? &b->pairs[i] : NULL;
        if (pair != NULL) {
            bench_endpoint_name(o->prefix, first + i, b->names[i]);
            if (issue_keys(o, p, b->names[i], pair) != 0)
                return 1;
        }
        if (document(o, first + i, pair, b->names[i], doc, BENCH_DOC_MAX, b->keys[i]) < 0) {
            fprintf(stderr, BENCH_PROG ": seed: document of %s too long\n", b->names[i]);
            return 1;
        }
        lwm2m_bs_entry *e = &b->entries[i];
        memset(e, 0, sizeof *e);
        e->kind = LWM2M_BS_ENTRY_ENDPOINT;
        e->name = b->names[i];
        e->json = doc;
        e->match = "";
        if (o->psk) {
            e->psk_identity = (const uint8_t *)b->names[i];
            e->psk_identity_len = strlen(b->names[i]);
            e->psk_key = b->keys[i];
            e->psk_key_len = BENCH_PSK_KEY_LEN;
        } else if (o->pki == BENCH_PKI_RPK) {
            e->public_key = pair->spki;
            e->public_key_len = pair->spki_len;
        }
    }
    char err[300];
    if (lwm2m_bs_store_put(store, b->entries, count, err, sizeof err) != LWM2M_OK) {
        fprintf(stderr, BENCH_PROG ": seed: store: %s\n", err);
        return 1;
    }
    return 0;
}

/* Size of the store's file, 0 when unknown. */
static long long store_bytes(const char *spec)
{
    const char *path = strncmp(spec, "sqlite:", 7) == 0 ? spec + 7 : spec;
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

static int batch_alloc(const seed_opts *o, size_t batch, seed_batch *b)
{
    memset(b, 0, sizeof *b);
    b->arena = malloc(batch * BENCH_DOC_MAX);
    b->entries = malloc(batch * sizeof *b->entries);
    b->names = malloc(batch * sizeof *b->names);
    b->keys = malloc(batch * sizeof *b->keys);
    if (o->pki != BENCH_PKI_NONE)
        b->pairs = malloc(batch * sizeof *b->pairs);
    if (b->arena != NULL && b->entries != NULL && b->names != NULL && b->keys != NULL &&
        (o->pki == BENCH_PKI_NONE || b->pairs != NULL))
        return 0;
    fprintf(stderr, BENCH_PROG ": seed: out of memory for a batch of %zu\n", batch);
    return 1;
}

static void batch_free(seed_batch *b)
{
    free(b->arena);
    free(b->entries);
    free(b->names);
    free(b->keys);
    free(b->pairs);
}

/* Writes every batch; the seconds it took into *seconds. 0, or 1 with the cause on stderr. */
static int seed_all(const seed_opts *o, seed_pki *p, lwm2m_bs_store *store, double *seconds)
{
    size_t batch = (size_t)o->batch;
    seed_batch b;
    int rc = batch_alloc(o, batch, &b);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint32_t total = (uint32_t)o->endpoints, done = 0, report = 100000;
    while (rc == 0 && done < total) {
        uint32_t n = total - done < batch ? total - done : (uint32_t)batch;
        rc = put_batch(o, p, store, done, n, &b);
        done += rc == 0 ? n : 0;
        if (rc == 0 && !o->quiet && done >= report && done < total) {
            double s = seconds_since(&t0);
            fprintf(stderr, BENCH_PROG ": seed: %u of %u in %.1f s (%.0f/s)\n", done, total, s,
                    s > 0 ? done / s : 0.0);
            report += 100000;
        }
    }
    *seconds = seconds_since(&t0);
    batch_free(&b);
    return rc;
}

static const char *security_name(const seed_opts *o)
{
    return o->psk ? "psk" : o->pki != BENCH_PKI_NONE ? bench_pki_mode_name(o->pki) : "nosec";
}

static void print_result(const seed_opts *o, const seed_pki *p, double s)
{
    uint32_t total = (uint32_t)o->endpoints;
    long long bytes = store_bytes(o->store);
    long long batches = (o->endpoints + o->batch - 1) / o->batch;
    bool pki = o->pki != BENCH_PKI_NONE;
    if (o->json) {
        printf("{\"seeded\":%u,\"prefix\":\"%s\",\"psk\":%s,\"security\":\"%s\",\"batch\":%lld,"
               "\"transactions\":%lld,\"seconds\":%.3f,\"per_second\":%.1f,\"store_bytes\":%lld",
               total, o->prefix, o->psk ? "true" : "false", security_name(o), (long long)o->batch,
               batches, s, s > 0 ? total / s : 0.0, bytes);
        if (pki)
            printf(",\"keys\":\"%s\",\"keygen_seconds\":%.3f", p->keys.path, p->keygen_s);
        printf("}\n");
        return;
    }
    static const char *const names[] = {"NoSec", "PSK", "RPK", "X.509"};
    printf("seeded %u endpoint configurations (%s0..%s%u, %s) into %s in %.3f s: %.0f per "
           "second, %lld transactions, store file %.1f MB\n",
           total, o->prefix, o->prefix, total - 1,
           names[o->psk ? 1
                 : pki  ? 1 + o->pki
                        : 0],
           o->store, s, s > 0 ? total / s : 0.0, batches, (double)bytes / 1e6);
    if (pki)
        printf("keys in %s (%.3f s of it making them); the server: --cert %s/%s --key %s/%s "
               "--ca-file %s/%s\n",
               p->keys.path, p->keygen_s, o->pki_dir, BENCH_PKI_SRV_CERT, o->pki_dir,
               BENCH_PKI_SRV_KEY, o->pki_dir, BENCH_PKI_CA_CERT);
}

int bench_seed_main(int argc, char **argv)
{
    seed_opts o;
    int rc = parse(argc, argv, &o);
    if (rc != LWM2M_APP_GO_ON)
        return rc;
    seed_pki p;
    memset(&p, 0, sizeof p);
    lwm2m_bs_store *store = NULL;
    char err[300];
    rc = o.pki != BENCH_PKI_NONE ? open_dir(&o, &p) : 0;
    if (rc == 0)
        rc = check_document(&o, &p.server);
    if (rc == 0 && lwm2m_bs_store_open(o.store, &store, err, sizeof err) != LWM2M_OK) {
        fprintf(stderr, BENCH_PROG ": seed: store %s: %s\n", o.store, err);
        rc = 1;
    }
    double seconds = 0;
    if (rc == 0)
        rc = seed_all(&o, &p, store, &seconds);
    /* Closing checkpoints the WAL: the file size printed is the store's. */
    if (store != NULL)
        lwm2m_bs_store_close(store);
    char kerr[BENCH_PATH_MAX + 80];
    if (bench_keys_end(&p.keys, rc == 0, kerr, sizeof kerr) != 0) {
        fprintf(stderr, BENCH_PROG ": seed: %s\n", kerr);
        rc = 1;
    }
    if (rc == 0)
        print_result(&o, &p, seconds);
    bench_pki_ca_free(p.ca);
    return rc;
}
