/* `lwm2m-bench seed`: writes N endpoint configurations into a Bootstrap Server store, in
 * batches of one transaction each, and times it (the store-scale measurement). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "app_options.h"
#include "app_util.h"
#include "bench.h"
#include "config_doc.h"
#include "endpoint.h"
#include "lwm2m/bs_config.h"
#include "lwm2m/bs_store.h"
#include "lwm2m/error.h"

typedef struct seed_opts {
    const char *store, *prefix, *dm_uri;
    int64_t endpoints, batch;
    bool psk, json, quiet;
    char dm2_uri[BENCH_URI_MAX];
} seed_opts;

enum { OPT_PSK = 256, OPT_DM, OPT_BATCH, OPT_JSON };

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
               "      --lwm2m-server URI    coap://HOST:PORT of SSID 101 (default\n"
               "                            coap://127.0.0.1:5783; SSID 102 gets PORT + 1)\n"
               "      --batch B             configurations per transaction (default 1000)\n"
               "      --json                the result as one JSON object on stdout\n"
               "  -q, --quiet               no progress lines\n"
               "  -h, --help                this help\n"
               "\n"
               "Exit status: 0 when all were written, 1 on a store error, 2 on bad options.\n");
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

/* The document of endpoint `index` into `out`: its length, or -1. */
static int document(const seed_opts *o, uint32_t index, char *name, char *out, size_t cap,
                    uint8_t key[BENCH_PSK_KEY_LEN])
{
    bench_endpoint_name(o->prefix, index, name);
    if (o->psk)
        bench_psk_key(name, key);
    return bench_config_doc(name, o->psk ? key : NULL, o->dm_uri, o->dm2_uri, out, cap);
}

/* The first document must be what `config put` would store: it parses, every plan passes
 * the consistency check, and it is its own canonical form. The others differ only in the
 * name and key. 0, or 1 with the cause on stderr. */
static int check_document(const seed_opts *o)
{
    char name[BENCH_NAME_MAX], doc[BENCH_DOC_MAX], err[320];
    uint8_t key[BENCH_PSK_KEY_LEN];
    int n = document(o, 0, name, doc, sizeof doc, key);
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

/* One batch: entries [first, first + count) in one transaction. 0, or 1 with the error. */
static int put_batch(const seed_opts *o, lwm2m_bs_store *store, uint32_t first, uint32_t count,
                     char *arena, lwm2m_bs_entry *entries, char (*names)[BENCH_NAME_MAX],
                     uint8_t (*keys)[BENCH_PSK_KEY_LEN])
{
    for (uint32_t i = 0; i < count; i++) {
        char *doc = arena + (size_t)i * BENCH_DOC_MAX;
        if (document(o, first + i, names[i], doc, BENCH_DOC_MAX, keys[i]) < 0) {
            fprintf(stderr, BENCH_PROG ": seed: document of %s too long\n", names[i]);
            return 1;
        }
        lwm2m_bs_entry *e = &entries[i];
        memset(e, 0, sizeof *e);
        e->kind = LWM2M_BS_ENTRY_ENDPOINT;
        e->name = names[i];
        e->json = doc;
        e->match = "";
        if (o->psk) {
            e->psk_identity = (const uint8_t *)names[i];
            e->psk_identity_len = strlen(names[i]);
            e->psk_key = keys[i];
            e->psk_key_len = BENCH_PSK_KEY_LEN;
        }
    }
    char err[300];
    if (lwm2m_bs_store_put(store, entries, count, err, sizeof err) != LWM2M_OK) {
        fprintf(stderr, BENCH_PROG ": seed: store: %s\n", err);
        return 1;
    }
    return 0;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Size of the store's file, 0 when unknown. */
static long long store_bytes(const char *spec)
{
    const char *path = strncmp(spec, "sqlite:", 7) == 0 ? spec + 7 : spec;
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

/* Writes every batch; the seconds it took into *seconds. 0, or 1 with the cause on stderr. */
static int seed_all(const seed_opts *o, lwm2m_bs_store *store, double *seconds)
{
    size_t batch = (size_t)o->batch;
    char *arena = malloc(batch * BENCH_DOC_MAX);
    lwm2m_bs_entry *entries = malloc(batch * sizeof *entries);
    char(*names)[BENCH_NAME_MAX] = malloc(batch * sizeof *names);
    uint8_t(*keys)[BENCH_PSK_KEY_LEN] = malloc(batch * sizeof *keys);
    int rc = 0;
    if (arena == NULL || entries == NULL || names == NULL || keys == NULL) {
        fprintf(stderr, BENCH_PROG ": seed: out of memory for a batch of %zu\n", batch);
        rc = 1;
    }
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint32_t total = (uint32_t)o->endpoints, done = 0, report = 100000;
    while (rc == 0 && done < total) {
        uint32_t n = total - done < batch ? total - done : (uint32_t)batch;
        rc = put_batch(o, store, done, n, arena, entries, names, keys);
        done += rc == 0 ? n : 0;
        if (rc == 0 && !o->quiet && done >= report && done < total) {
            double s = seconds_since(&t0);
            fprintf(stderr, BENCH_PROG ": seed: %u of %u in %.1f s (%.0f/s)\n", done, total, s,
                    s > 0 ? done / s : 0.0);
            report += 100000;
        }
    }
    *seconds = seconds_since(&t0);
    free(arena);
    free(entries);
    free(names);
    free(keys);
    return rc;
}

static void print_result(const seed_opts *o, double s)
{
    uint32_t total = (uint32_t)o->endpoints;
    long long bytes = store_bytes(o->store);
    long long batches = (o->endpoints + o->batch - 1) / o->batch;
    if (o->json)
        printf("{\"seeded\":%u,\"prefix\":\"%s\",\"psk\":%s,\"batch\":%lld,\"transactions\":%lld,"
               "\"seconds\":%.3f,\"per_second\":%.1f,\"store_bytes\":%lld}\n",
               total, o->prefix, o->psk ? "true" : "false", (long long)o->batch, batches, s,
               s > 0 ? total / s : 0.0, bytes);
    else
        printf("seeded %u endpoint configurations (%s0..%s%u, %s) into %s in %.3f s: %.0f per "
               "second, %lld transactions, store file %.1f MB\n",
               total, o->prefix, o->prefix, total - 1, o->psk ? "PSK" : "NoSec", o->store, s,
               s > 0 ? total / s : 0.0, batches, (double)bytes / 1e6);
}

int bench_seed_main(int argc, char **argv)
{
    seed_opts o;
    int rc = parse(argc, argv, &o);
    if (rc != LWM2M_APP_GO_ON)
        return rc;
    if (check_document(&o) != 0)
        return 1;
    lwm2m_bs_store *store = NULL;
    char err[300];
    if (lwm2m_bs_store_open(o.store, &store, err, sizeof err) != LWM2M_OK) {
        fprintf(stderr, BENCH_PROG ": seed: store %s: %s\n", o.store, err);
        return 1;
    }
    double seconds = 0;
    rc = seed_all(&o, store, &seconds);
    /* Closing checkpoints the WAL: the file size printed is the store's. */
    lwm2m_bs_store_close(store);
    if (rc == 0)
        print_result(&o, seconds);
    return rc;
}
