/* lwm2m-store-bench: scale of the SQLite Bootstrap Server store (lwm2m_bs_store).
 *   1. batch sweep: imports --sweep-count configurations into a fresh file with batch sizes 1,
 *      100 and 10000 (one lwm2m_bs_store_put, so one transaction and one fsync, per batch);
 *   2. import: --count configurations (default 1,000,000) with --batch (default: the sweep's
 *      fastest), then the file size;
 *   3. lookups at that size: --lookups lwm2m_bs_store_get of random endpoints and
 *      lwm2m_bs_store_find_identity of random PSK identities (p50/p99/max), plus the parse of
 *      fetched documents (lwm2m_bs_config_parse: the CPU a Bootstrap-Request costs on top);
 *   4. the admin path's CPU per document (parse, validate, canonical JSON), which `config
 *      import` spends before its puts.
 * Documents are canonical lwm2m_bs_config JSON (docs/bs-config.md): a Bootstrap-Delete of /0 and
 * /1, one Security and one Server instance; a share of the endpoints (--psk-share, percent) have
 * a PSK on the Bootstrap-Server link (identity = endpoint name) and a PSK DM server, the others
 * a NoSec one. Endpoint names are IMEI URNs inserted in a scrambled order, not sorted. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench_util.h"
#include "lwm2m/bs_config.h"
#include "lwm2m/bs_store.h"
#include "lwm2m/error.h"

#define DOC_MAX      1024
#define NAME_MAX_LEN 32
#define IMEI_BASE    350000000000000ull
#define WARMUP       1000

typedef struct options {
    size_t count, batch, sweep_count, lookups, psk_share;
    const char *path;
    bool json, keep;
} options;

/* ---- documents ----------------------------------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15u;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

static bool has_psk(const options *o, size_t j)
{
    return mix64(j ^ 0x5151) % 100 < o->psk_share;
}

static void endpoint_name(size_t j, char *out, size_t cap)
{
    snprintf(out, cap, "urn:imei:%015llu", IMEI_BASE + (unsigned long long)j);
}

/* 16-byte keys derived from the endpoint number: the BS-link PSK (which 0) and the DM one. */
static void derive_key(size_t j, unsigned which, uint8_t key[16])
{
    uint64_t a = mix64(j * 2 + which), b = mix64(a);
    for (int i = 0; i < 8; i++) {
        key[i] = (uint8_t)(a >> (8 * i));
        key[8 + i] = (uint8_t)(b >> (8 * i));
    }
}

static void hex(const uint8_t *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

typedef struct doc {
    char name[NAME_MAX_LEN];
    char json[DOC_MAX];
    uint8_t key[16];
    bool psk;
} doc;

/* The canonical JSON of endpoint j (what `config add` would store for it). */
static int make_doc(const options *o, size_t j, doc *d)
{
    endpoint_name(j, d->name, sizeof d->name);
    d->psk = has_psk(o, j);
    int n;
    if (d->psk) {
        uint8_t dm_key[16];
        char bs_hex[33], dm_hex[33], id_hex[2 * NAME_MAX_LEN + 1];
        derive_key(j, 0, d->key);
        derive_key(j, 1, dm_key);
        hex(d->key, 16, bs_hex);
        hex(dm_key, 16, dm_hex);
        hex((const uint8_t *)d->name, strlen(d->name), id_hex);
        n = snprintf(d->json, sizeof d->json,
                     "{\"endpoint\":\"%s\",\"psk\":{\"identity\":\"%s\",\"key\":\"%s\"},"
                     "\"discover\":true,\"autoIdForSecurityObject\":false,"
                     "\"delete\":[\"/0\",\"/1\"],\"objects\":{\"0\":{\"1\":{"
                     "\"0\":\"coaps://dm.example.com:5684\",\"1\":false,\"2\":0,"
                     "\"3\":{\"hex\":\"%s\"},\"4\":{\"hex\":\"\"},\"5\":{\"hex\":\"%s\"},"
                     "\"10\":101}},\"1\":{\"1\":{\"0\":101,\"1\":86400,\"6\":true,\"7\":\"U\"}}}}",
                     d->name, d->name, bs_hex, id_hex, dm_hex);
    } else {
        n = snprintf(d->json, sizeof d->json,
                     "{\"endpoint\":\"%s\",\"discover\":true,\"autoIdForSecurityObject\":false,"
                     "\"delete\":[\"/0\",\"/1\"],\"objects\":{\"0\":{\"1\":{"
                     "\"0\":\"coap://dm.example.com:5683\",\"1\":false,\"2\":3,\"10\":101}},"
                     "\"1\":{\"1\":{\"0\":101,\"1\":86400,\"6\":true,\"7\":\"U\"}}}}",
                     d->name);
    }
    return n > 0 && (size_t)n < sizeof d->json ? 0 : -1;
}

static lwm2m_bs_entry entry_of(const doc *d)
{
    lwm2m_bs_entry e;
    memset(&e, 0, sizeof e);
    e.kind = LWM2M_BS_ENTRY_ENDPOINT;
    e.name = d->name;
    e.json = d->json;
    e.match = "";
    if (d->psk) {
        e.psk_identity = (const uint8_t *)d->name;
        e.psk_identity_len = strlen(d->name);
        e.psk_key = d->key;
        e.psk_key_len = sizeof d->key;
    }
    return e;
}

/* The documents must be what the Bootstrap Server's admin path would store: valid,
 * consistent, and already canonical. */
static int check_doc(const doc *d)
{
    lwm2m_bs_config *cfg = NULL;
    char err[256];
    int rc = lwm2m_bs_config_parse(d->json, strlen(d->json), NULL, &cfg, err, sizeof err);
    if (rc != LWM2M_OK) {
        fprintf(stderr, "store-bench: generated document does not parse: %s\n", err);
        return -1;
    }
    lwm2m_consistency_result res;
    int bad = lwm2m_bs_config_validate(cfg, NULL, &res);
    char *canon = lwm2m_bs_config_to_json(cfg);
    int out = 0;
    if (bad >= 0) {
        fprintf(stderr, "store-bench: generated document is inconsistent: %s\n", res.message);
        out = -1;
    } else if (canon == NULL || strcmp(canon, d->json) != 0) {
        fprintf(stderr, "store-bench: generated document is not canonical:\n%s\n%s\n", d->json,
                canon ? canon : "(out of memory)");
        out = -1;
    } else if (cfg->psk_identity_len != (d->psk ? strlen(d->name) : 0)) {
        fprintf(stderr, "store-bench: generated document has the wrong PSK identity\n");
        out = -1;
    }
    free(canon);
    lwm2m_bs_config_free(cfg);
    return out;
}

/* ---- import -------------------------------------------------------------------------------- */

/* A bijection of [0, n): consecutive inserts land far apart in the name index. */
static size_t scramble(size_t i, size_t n)
{
    static const uint64_t primes[] = {1000003u, 999983u, 15485863u};
    for (size_t k = 0; k < sizeof primes / sizeof primes[0]; k++)
        if (n % primes[k] != 0)
            return (size_t)(((uint64_t)i * primes[k]) % n);
    return i;
}

typedef struct import_result {
    double put_s;  /* time inside lwm2m_bs_store_put */
    double wall_s; /* including document generation */
    uint64_t file_bytes;
} import_result;

static uint64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* PATH plus a suffix ("-wal", "-shm", ".sweep"), malloc'ed; NULL when out of memory. */
static char *with_suffix(const char *path, const char *suffix)
{
    size_t n = strlen(path) + strlen(suffix) + 1;
    char *s = malloc(n);
    if (s != NULL)
        snprintf(s, n, "%s%s", path, suffix);
    return s;
}

static void remove_db(const char *path)
{
    unlink(path);
    char *wal = with_suffix(path, "-wal"), *shm = with_suffix(path, "-shm");
    if (wal != NULL)
        unlink(wal);
    if (shm != NULL)
        unlink(shm);
    free(wal);
    free(shm);
}

static int import(const options *o, const char *path, size_t count, size_t batch,
                  import_result *out)
{
    memset(out, 0, sizeof *out);
    remove_db(path);
    lwm2m_bs_store *s = NULL;
    char err[512];
    char *spec = with_suffix("sqlite:", path);
    if (spec == NULL || lwm2m_bs_store_open(spec, &s, err, sizeof err) != LWM2M_OK) {
        fprintf(stderr, "store-bench: cannot open %s: %s\n", path, spec ? err : "no memory");
        free(spec);
        return -1;
    }
    free(spec);
    doc *docs = malloc(batch * sizeof *docs);
    lwm2m_bs_entry *entries = malloc(batch * sizeof *entries);
    int status = 0;
    if (docs == NULL || entries == NULL) {
        fprintf(stderr, "store-bench: out of memory for a batch of %zu\n", batch);
        status = -1;
    }
    int64_t put_ns = 0, t0 = bench_now_ns();
    for (size_t done = 0; done < count && status == 0;) {
        size_t n = count - done < batch ? count - done : batch;
        for (size_t k = 0; k < n && status == 0; k++) {
            status = make_doc(o, scramble(done + k, count), &docs[k]);
            entries[k] = entry_of(&docs[k]);
        }
        if (status != 0)
            break;
        int64_t p0 = bench_now_ns();
        int rc = lwm2m_bs_store_put(s, entries, n, err, sizeof err);
        put_ns += bench_now_ns() - p0;
        if (rc != LWM2M_OK) {
            fprintf(stderr, "store-bench: put of %zu entries failed: %s\n", n, err);
            status = -1;
        }
        done += n;
    }
    lwm2m_bs_store_close(s); /* checkpoints the WAL into the file */
    out->wall_s = (double)(bench_now_ns() - t0) / 1e9;
    out->put_s = (double)put_ns / 1e9;
    char *wal = with_suffix(path, "-wal");
    out->file_bytes = file_size(path) + (wal != NULL ? file_size(wal) : 0);
    free(wal);
    free(docs);
    free(entries);
    return status;
}

/* ---- lookups ------------------------------------------------------------------------------- */

typedef struct latency {
    int64_t p50, p99, max;
    double mean;
} latency;

static latency summarize(int64_t *ns, size_t n)
{
    latency l = {0, 0, 0, 0};
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (double)ns[i];
    bench_sort_i64(ns, n);
    l.p50 = bench_percentile(ns, n, 50);
    l.p99 = bench_percentile(ns, n, 99);
    l.max = n ? ns[n - 1] : 0;
    l.mean = n ? sum / (double)n : 0;
    return l;
}

/* A random endpoint number; with `psk`, one that has a PSK identity. */
static size_t pick(const options *o, bench_rng *rng, bool psk)
{
    for (;;) {
        size_t j = (size_t)(bench_rng_next(rng) % o->count);
        if (!psk || has_psk(o, j))
            return j;
    }
}

typedef struct lookup_result {
    latency get, find, parse;
    size_t parsed;
} lookup_result;

static int lookups(const options *o, lookup_result *out)
{
    lwm2m_bs_store *s = NULL;
    char err[512];
    char *spec = with_suffix("sqlite:", o->path);
    if (spec == NULL || lwm2m_bs_store_open(spec, &s, err, sizeof err) != LWM2M_OK) {
        fprintf(stderr, "store-bench: cannot open %s: %s\n", o->path, spec ? err : "no memory");
        free(spec);
        return -1;
    }
    free(spec);
    int64_t *ns = malloc(o->lookups * sizeof *ns);
    if (ns == NULL) {
        lwm2m_bs_store_close(s);
        fprintf(stderr, "store-bench: out of memory\n");
        return -1;
    }
    bench_rng rng = bench_rng_init(42);
    int status = 0;
    /* get: the first step of every Bootstrap-Request. The warm-up is not recorded. */
    for (size_t i = 0; i < WARMUP + o->lookups && status == 0; i++) {
        char name[NAME_MAX_LEN];
        endpoint_name(pick(o, &rng, false), name, sizeof name);
        char *json = NULL;
        int64_t t0 = bench_now_ns();
        int rc = lwm2m_bs_store_get(s, LWM2M_BS_ENTRY_ENDPOINT, name, &json);
        int64_t dt = bench_now_ns() - t0;
        if (rc != LWM2M_OK || json == NULL) {
            fprintf(stderr, "store-bench: get %s: %s\n", name, lwm2m_strerror(rc));
            status = -1;
        }
        free(json);
        if (i >= WARMUP)
            ns[i - WARMUP] = dt;
    }
    if (status == 0)
        out->get = summarize(ns, o->lookups);
    /* find_identity: the DTLS handshake's PSK callback. */
    for (size_t i = 0; i < WARMUP + o->lookups && status == 0 && o->psk_share > 0; i++) {
        size_t j = pick(o, &rng, true);
        char name[NAME_MAX_LEN];
        endpoint_name(j, name, sizeof name);
        char *ep = NULL;
        uint8_t key[LWM2M_PSK_KEY_MAX], want[16];
        size_t key_len = 0;
        int64_t t0 = bench_now_ns();
        int rc = lwm2m_bs_store_find_identity(s, (const uint8_t *)name, strlen(name), &ep, key,
                                              &key_len);
        int64_t dt = bench_now_ns() - t0;
        derive_key(j, 0, want);
        if (rc != LWM2M_OK || ep == NULL || strcmp(ep, name) != 0 || key_len != 16 ||
            memcmp(key, want, 16) != 0) {
            fprintf(stderr, "store-bench: find identity %s: %s\n", name, lwm2m_strerror(rc));
            status = -1;
        }
        free(ep);
        if (i >= WARMUP)
            ns[i - WARMUP] = dt;
    }
    if (status == 0 && o->psk_share > 0)
        out->find = summarize(ns, o->lookups);
    /* parse of a fetched document: a tenth of the lookups is plenty (pure CPU). */
    out->parsed = o->lookups / 10 > 0 ? o->lookups / 10 : 1;
    for (size_t i = 0; i < out->parsed && status == 0; i++) {
        char name[NAME_MAX_LEN];
        endpoint_name(pick(o, &rng, false), name, sizeof name);
        char *json = NULL;
        lwm2m_bs_config *cfg = NULL;
        int rc = lwm2m_bs_store_get(s, LWM2M_BS_ENTRY_ENDPOINT, name, &json);
        int64_t t0 = bench_now_ns();
        if (rc == LWM2M_OK)
            rc = lwm2m_bs_config_parse(json, strlen(json), NULL, &cfg, err, sizeof err);
        ns[i] = bench_now_ns() - t0;
        if (rc != LWM2M_OK) {
            fprintf(stderr, "store-bench: get+parse %s: %s\n", name, lwm2m_strerror(rc));
            status = -1;
        }
        lwm2m_bs_config_free(cfg);
        free(json);
    }
    if (status == 0)
        out->parse = summarize(ns, out->parsed);
    free(ns);
    lwm2m_bs_store_close(s);
    return status;
}

/* What the admin path (`config add` / `config import`) does to each document before the put:
 * parse, validate every plan, canonicalize. Pure CPU, timed per document. */
static int prepare_cost(const options *o, size_t n, latency *out)
{
    int64_t *ns = malloc(n * sizeof *ns);
    doc *d = malloc(sizeof *d);
    int status = ns != NULL && d != NULL ? 0 : -1;
    for (size_t i = 0; i < n && status == 0; i++) {
        status = make_doc(o, scramble(i, o->count), d);
        lwm2m_bs_config *cfg = NULL;
        lwm2m_consistency_result res;
        char err[256];
        int64_t t0 = bench_now_ns();
        int rc = status == 0
                     ? lwm2m_bs_config_parse(d->json, strlen(d->json), NULL, &cfg, err, sizeof err)
                     : LWM2M_ERR_INVALID;
        char *canon = NULL;
        if (rc == LWM2M_OK && lwm2m_bs_config_validate(cfg, NULL, &res) < 0)
            canon = lwm2m_bs_config_to_json(cfg);
        ns[i] = bench_now_ns() - t0;
        if (canon == NULL)
            status = -1;
        free(canon);
        lwm2m_bs_config_free(cfg);
    }
    if (status == 0)
        *out = summarize(ns, n);
    else
        fprintf(stderr, "store-bench: preparing documents failed\n");
    free(ns);
    free(d);
    return status;
}

/* ---- main ---------------------------------------------------------------------------------- */

static const size_t sweep_batches[] = {1, 100, 10000};
#define N_SWEEP (sizeof sweep_batches / sizeof sweep_batches[0])

static void usage(FILE *f)
{
    fprintf(f,
            "usage: lwm2m-store-bench [options]\n"
            "Import time, file size and lookup latency of the SQLite Bootstrap Server store.\n"
            "  --count N         configurations to import (default 1000000)\n"
            "  --batch N         entries per lwm2m_bs_store_put (default: fastest of the sweep)\n"
            "  --sweep-count N   configurations per batch size in the sweep (default 50000)\n"
            "  --lookups N       random lookups of each kind (default 100000)\n"
            "  --psk-share P     percent of endpoints with a PSK identity (default 50)\n"
            "  --path FILE       database file (default /tmp/lwm2m-store-bench.db; replaced)\n"
            "  --keep            keep the database file afterwards\n"
            "  --json            one JSON document on stdout\n");
}

static int parse_args(int argc, char **argv, options *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        size_t *target = NULL;
        if (strcmp(a, "--count") == 0)
            target = &o->count;
        else if (strcmp(a, "--batch") == 0)
            target = &o->batch;
        else if (strcmp(a, "--sweep-count") == 0)
            target = &o->sweep_count;
        else if (strcmp(a, "--lookups") == 0)
            target = &o->lookups;
        if (target != NULL && i + 1 < argc) {
            if (bench_parse_size(argv[++i], target) != 0) {
                fprintf(stderr, "store-bench: bad %s '%s'\n", a, argv[i]);
                return 2;
            }
        } else if (strcmp(a, "--psk-share") == 0 && i + 1 < argc) {
            char *end = NULL;
            unsigned long v = strtoul(argv[++i], &end, 10);
            if (end == argv[i] || *end != '\0' || v > 100) {
                fprintf(stderr, "store-bench: bad --psk-share '%s'\n", argv[i]);
                return 2;
            }
            o->psk_share = v;
        } else if (strcmp(a, "--path") == 0 && i + 1 < argc) {
            o->path = argv[++i];
        } else if (strcmp(a, "--keep") == 0) {
            o->keep = true;
        } else if (strcmp(a, "--json") == 0) {
            o->json = true;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 1;
        } else {
            usage(stderr);
            return 2;
        }
    }
    return 0;
}

static void print_latency(FILE *f, const char *what, const latency *l)
{
    fprintf(f, "%-32s p50 %7.1f us  p99 %7.1f us  max %8.1f us  mean %7.1f us\n", what,
            (double)l->p50 / 1e3, (double)l->p99 / 1e3, (double)l->max / 1e3, l->mean / 1e3);
}

static void json_latency(const char *name, const latency *l)
{
    printf("\"%s\":{\"p50_us\":%.2f,\"p99_us\":%.2f,\"max_us\":%.2f,\"mean_us\":%.2f}", name,
           (double)l->p50 / 1e3, (double)l->p99 / 1e3, (double)l->max / 1e3, l->mean / 1e3);
}

typedef struct report {
    size_t sweep_n[N_SWEEP];
    import_result sweep[N_SWEEP];
    size_t batch;
    import_result full;
    lookup_result look;
    latency prepare;
    size_t prepared;
    size_t doc_bytes_psk, doc_bytes_nosec;
} report;

static void print_text(const options *o, const report *r)
{
    printf("store: SQLite (WAL, synchronous=FULL); psk share %zu %%; documents %zu B (PSK) / "
           "%zu B (NoSec)\n",
           o->psk_share, r->doc_bytes_psk, r->doc_bytes_nosec);
    for (size_t k = 0; k < N_SWEEP; k++) {
        if (r->sweep_n[k] == 0)
            continue;
        printf("sweep batch %-6zu %8zu entries in %7.2f s: %9.0f entries/s (put only %9.0f/s)\n",
               sweep_batches[k], r->sweep_n[k], r->sweep[k].wall_s,
               (double)r->sweep_n[k] / r->sweep[k].wall_s,
               (double)r->sweep_n[k] / r->sweep[k].put_s);
    }
    printf("import %zu entries, batch %zu: %.2f s wall (%.0f entries/s), %.2f s in put; file "
           "%.1f MB (%.0f B/entry)\n",
           o->count, r->batch, r->full.wall_s, (double)o->count / r->full.wall_s, r->full.put_s,
           (double)r->full.file_bytes / 1e6, (double)r->full.file_bytes / (double)o->count);
    printf("lookups at %zu entries (%zu each, after %d warm-up; page cache warm):\n", o->count,
           o->lookups, WARMUP);
    print_latency(stdout, "  lwm2m_bs_store_get", &r->look.get);
    if (o->psk_share > 0)
        print_latency(stdout, "  lwm2m_bs_store_find_identity", &r->look.find);
    char what[64];
    snprintf(what, sizeof what, "  bs_config_parse (%zu)", r->look.parsed);
    print_latency(stdout, what, &r->look.parse);
    printf("admin path per document (parse + validate + to_json, %zu documents):\n", r->prepared);
    print_latency(stdout, "  prepare", &r->prepare);
    printf("  -> %.1f s of CPU for %zu documents before any put\n",
           r->prepare.mean * (double)o->count / 1e9, o->count);
}

static void print_json(const options *o, const report *r)
{
    char cpu[256];
    struct utsname u;
    bench_cpu_model(cpu, sizeof cpu);
    if (uname(&u) != 0)
        memset(&u, 0, sizeof u);
    printf("{\"bench\":\"store\",\"cpu\":");
    bench_json_string(stdout, cpu);
    printf(",\"kernel\":");
    bench_json_string(stdout, u.release);
    printf(",\"psk_share\":%zu,\"doc_bytes_psk\":%zu,\"doc_bytes_nosec\":%zu,\"sweep\":[",
           o->psk_share, r->doc_bytes_psk, r->doc_bytes_nosec);
    bool first = true;
    for (size_t k = 0; k < N_SWEEP; k++) {
        if (r->sweep_n[k] == 0)
            continue;
        printf("%s{\"batch\":%zu,\"count\":%zu,\"wall_s\":%.3f,\"put_s\":%.3f,"
               "\"entries_per_s\":%.0f}",
               first ? "" : ",", sweep_batches[k], r->sweep_n[k], r->sweep[k].wall_s,
               r->sweep[k].put_s, (double)r->sweep_n[k] / r->sweep[k].wall_s);
        first = false;
    }
    printf("],\"import\":{\"count\":%zu,\"batch\":%zu,\"wall_s\":%.3f,\"put_s\":%.3f,"
           "\"entries_per_s\":%.0f,\"file_bytes\":%llu},\"lookups\":{\"count\":%zu,",
           o->count, r->batch, r->full.wall_s, r->full.put_s, (double)o->count / r->full.wall_s,
           (unsigned long long)r->full.file_bytes, o->lookups);
    json_latency("get", &r->look.get);
    if (o->psk_share > 0) {
        printf(",");
        json_latency("find_identity", &r->look.find);
    }
    printf(",");
    json_latency("parse", &r->look.parse);
    printf("},\"prepared\":%zu,", r->prepared);
    json_latency("prepare", &r->prepare);
    printf("}\n");
}

int main(int argc, char **argv)
{
    options o = {1000000, 0, 50000, 100000, 50, "/tmp/lwm2m-store-bench.db", false, false};
    int rc = parse_args(argc, argv, &o);
    if (rc != 0)
        return rc == 1 ? 0 : rc;
    report *r = calloc(1, sizeof *r);
    doc *d = malloc(sizeof *d);
    if (r == NULL || d == NULL) {
        fprintf(stderr, "store-bench: out of memory\n");
        free(r);
        free(d);
        return 1;
    }
    int status = 0;
    /* One document of each kind is checked in full before anything is timed. */
    for (size_t j = 0; j < o.count && status == 0; j++) {
        bool psk = has_psk(&o, j);
        size_t *len = psk ? &r->doc_bytes_psk : &r->doc_bytes_nosec;
        if (*len != 0)
            continue;
        if (make_doc(&o, j, d) != 0 || check_doc(d) != 0)
            status = 1;
        *len = strlen(d->json);
        if (r->doc_bytes_psk != 0 && (r->doc_bytes_nosec != 0 || o.psk_share == 100))
            break;
    }
    char *sweep_path = with_suffix(o.path, ".sweep");
    if (sweep_path == NULL) {
        fprintf(stderr, "store-bench: out of memory\n");
        status = 1;
    }
    double best = 0;
    for (size_t k = 0; k < N_SWEEP && status == 0; k++) {
        size_t n = o.sweep_count;
        if (n == 0)
            continue;
        r->sweep_n[k] = n;
        if (import(&o, sweep_path, n, sweep_batches[k], &r->sweep[k]) != 0)
            status = 1;
        double rate = (double)n / r->sweep[k].wall_s;
        if (rate > best) {
            best = rate;
            r->batch = sweep_batches[k];
        }
        remove_db(sweep_path);
        if (!o.json)
            fprintf(stderr, "store-bench: sweep batch %zu done\n", sweep_batches[k]);
    }
    if (o.batch != 0)
        r->batch = o.batch;
    if (status == 0 && import(&o, o.path, o.count, r->batch, &r->full) != 0)
        status = 1;
    if (status == 0 && lookups(&o, &r->look) != 0)
        status = 1;
    r->prepared = o.count < 10000 ? o.count : 10000;
    if (status == 0 && prepare_cost(&o, r->prepared, &r->prepare) != 0)
        status = 1;
    if (status == 0) {
        if (o.json)
            print_json(&o, r);
        else
            print_text(&o, r);
    }
    if (!o.keep)
        remove_db(o.path);
    free(sweep_path);
    free(r);
    free(d);
    return status;
}
