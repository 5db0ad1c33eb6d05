/* lwm2m-codec-bench: encode and decode throughput of the record codecs (lwm2m_encode /
 * lwm2m_decode) on two payload sets:
 *   bootstrap-write: what a Bootstrap Server writes to one client, object by object: /0 with two
 *                    Security instances (PSK and RPK) and /1 with two Server instances,
 *                    30 records in 2 payloads;
 *   large:           /0 with 25 Security instances, 200 records in one payload.
 * Each row: calibrate (also the warm-up), then 5 timed runs of the same iteration count; the
 * median is reported, with the spread (max - min) / median as a noise indicator. Every payload
 * is checked to decode back to the records it was encoded from before it is timed. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "bench_util.h"
#include "lwm2m/codec.h"
#include "lwm2m/error.h"
#include "lwm2m/objdef.h"

#define RUNS        5
#define MAX_RECORDS 256
#define MAX_MSGS    2
#define POOL_BYTES  16384
#define OUT_CAP     65536
#define ARENA_CAP   65536

typedef struct message {
    lwm2m_path base;
    size_t first, count;
} message;

typedef struct dataset {
    const char *name;
    lwm2m_record recs[MAX_RECORDS];
    size_t nrec;
    message msgs[MAX_MSGS];
    size_t nmsg;
    uint8_t pool[POOL_BYTES]; /* the bytes that string and opaque values borrow */
    size_t pool_used;
} dataset;

static const struct {
    lwm2m_format fmt;
    const char *label;
} formats[] = {
    {LWM2M_FORMAT_TLV, "TLV"},
    {LWM2M_FORMAT_SENML_JSON, "SenML JSON"},
    {LWM2M_FORMAT_SENML_CBOR, "SenML CBOR"},
    {LWM2M_FORMAT_LWM2M_CBOR, "LwM2M CBOR"},
    {LWM2M_FORMAT_LWM2M_JSON, "LwM2M JSON"},
};
#define N_FORMATS (sizeof formats / sizeof formats[0])

/* ---- payload sets ------------------------------------------------------------------------ */

static const uint8_t *pool_take(dataset *d, size_t n)
{
    if (d->pool_used + n > POOL_BYTES) {
        fprintf(stderr, "codec-bench: payload pool too small\n");
        exit(1);
    }
    const uint8_t *p = d->pool + d->pool_used;
    d->pool_used += n;
    return p;
}

static const uint8_t *pool_random(dataset *d, bench_rng *rng, size_t n)
{
    uint8_t *p = (uint8_t *)pool_take(d, n);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)bench_rng_next(rng);
    return p;
}

static lwm2m_value pool_text(dataset *d, const char *fmt, unsigned a)
{
    char tmp[128];
    int n = snprintf(tmp, sizeof tmp, fmt, a);
    uint8_t *p = (uint8_t *)pool_take(d, (size_t)n);
    memcpy(p, tmp, (size_t)n);
    return lwm2m_value_bytes(LWM2M_TYPE_STRING, p, (size_t)n);
}

static void add(dataset *d, lwm2m_path p, lwm2m_value v)
{
    if (d->nrec == MAX_RECORDS) {
        fprintf(stderr, "codec-bench: too many records\n");
        exit(1);
    }
    lwm2m_record *r = &d->recs[d->nrec++];
    r->path = p;
    r->value = v;
    r->time = 0;
}

/* A Security instance (1.1): PSK (24-byte identity, 16-byte key) on even instances, RPK
 * (91-byte DER public keys, 32-byte private key) on odd ones. */
static void add_security(dataset *d, bench_rng *rng, uint16_t iid)
{
    bool rpk = iid % 2 == 1;
    add(d, lwm2m_path_res(0, iid, 0), pool_text(d, "coaps://dm%u.example.com:5684", iid));
    add(d, lwm2m_path_res(0, iid, 1), lwm2m_value_bool(false));
    add(d, lwm2m_path_res(0, iid, 2), lwm2m_value_int(rpk ? 1 : 0));
    if (rpk) {
        add(d, lwm2m_path_res(0, iid, 3),
            lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, pool_random(d, rng, 91), 91));
        add(d, lwm2m_path_res(0, iid, 4),
            lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, pool_random(d, rng, 91), 91));
        add(d, lwm2m_path_res(0, iid, 5),
            lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, pool_random(d, rng, 32), 32));
    } else {
        lwm2m_value id = pool_text(d, "urn:imei:4901542032%05u", iid);
        id.type = LWM2M_TYPE_OPAQUE;
        add(d, lwm2m_path_res(0, iid, 3), id);
        add(d, lwm2m_path_res(0, iid, 4), lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, NULL, 0));
        add(d, lwm2m_path_res(0, iid, 5),
            lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, pool_random(d, rng, 16), 16));
    }
    add(d, lwm2m_path_res(0, iid, 10), lwm2m_value_int(100 + iid));
    add(d, lwm2m_path_res(0, iid, 11), lwm2m_value_int(1));
}

static void add_server(dataset *d, uint16_t iid)
{
    add(d, lwm2m_path_res(1, iid, 0), lwm2m_value_int(100 + iid));
    add(d, lwm2m_path_res(1, iid, 1), lwm2m_value_int(86400));
    add(d, lwm2m_path_res(1, iid, 2), lwm2m_value_int(10));
    add(d, lwm2m_path_res(1, iid, 3), lwm2m_value_int(3600));
    add(d, lwm2m_path_res(1, iid, 5), lwm2m_value_int(86400));
    add(d, lwm2m_path_res(1, iid, 6), lwm2m_value_bool(true));
    add(d, lwm2m_path_res(1, iid, 7), lwm2m_value_str("U"));
}

static void begin_message(dataset *d, lwm2m_path base)
{
    d->msgs[d->nmsg].base = base;
    d->msgs[d->nmsg].first = d->nrec;
}

static void end_message(dataset *d)
{
    d->msgs[d->nmsg].count = d->nrec - d->msgs[d->nmsg].first;
    d->nmsg++;
}

static void build_bootstrap_write(dataset *d)
{
    bench_rng rng = bench_rng_init(1);
    d->name = "bootstrap-write";
    begin_message(d, lwm2m_path_obj(0));
    add_security(d, &rng, 1);
    add_security(d, &rng, 2);
    end_message(d);
    begin_message(d, lwm2m_path_obj(1));
    add_server(d, 1);
    add_server(d, 2);
    end_message(d);
}

static void build_large(dataset *d)
{
    bench_rng rng = bench_rng_init(2);
    d->name = "large-200";
    begin_message(d, lwm2m_path_obj(0));
    for (uint16_t i = 1; i <= 25; i++)
        add_security(d, &rng, i);
    end_message(d);
}

/* ---- one row ----------------------------------------------------------------------------- */

typedef struct row {
    const dataset *ds;
    lwm2m_format fmt;
    uint8_t *enc[MAX_MSGS]; /* the encoded payloads (decode input) */
    size_t enc_len[MAX_MSGS];
    size_t bytes; /* sum of enc_len */
    uint8_t *out;
    lwm2m_record *recs;
    uint8_t *arena_mem;
    uint64_t sink; /* folds every result so that no call can be optimized away */
} row;

static int encode_all(row *r)
{
    for (size_t m = 0; m < r->ds->nmsg; m++) {
        const message *msg = &r->ds->msgs[m];
        lwm2m_buf b = lwm2m_buf_init(r->out, OUT_CAP);
        int rc = lwm2m_encode(r->fmt, &msg->base, r->ds->recs + msg->first, msg->count, &b, NULL);
        if (rc != LWM2M_OK)
            return rc;
        r->sink += b.len + r->out[b.len / 2];
    }
    return LWM2M_OK;
}

static int decode_all(row *r)
{
    lwm2m_types types = {lwm2m_objdef_type_of, NULL};
    for (size_t m = 0; m < r->ds->nmsg; m++) {
        lwm2m_arena arena = lwm2m_arena_init(r->arena_mem, ARENA_CAP);
        lwm2m_record_list l = lwm2m_record_list_init(r->recs, MAX_RECORDS);
        int rc = lwm2m_decode(r->fmt, &r->ds->msgs[m].base, r->enc[m], r->enc_len[m], &types,
                              &arena, &l, NULL);
        if (rc != LWM2M_OK)
            return rc;
        r->sink += l.count + (uint64_t)l.items[l.count / 2].value.type;
    }
    return LWM2M_OK;
}

/* Encodes every payload once and checks that it decodes back to the same records. */
static int prepare_row(row *r, const dataset *ds, lwm2m_format fmt, const char *label)
{
    memset(r, 0, sizeof *r);
    r->ds = ds;
    r->fmt = fmt;
    r->out = malloc(OUT_CAP);
    r->recs = malloc(MAX_RECORDS * sizeof *r->recs);
    r->arena_mem = malloc(ARENA_CAP);
    if (r->out == NULL || r->recs == NULL || r->arena_mem == NULL) {
        fprintf(stderr, "codec-bench: out of memory\n");
        return -1;
    }
    lwm2m_types types = {lwm2m_objdef_type_of, NULL};
    for (size_t m = 0; m < ds->nmsg; m++) {
        const message *msg = &ds->msgs[m];
        lwm2m_buf b = lwm2m_buf_init(r->out, OUT_CAP);
        lwm2m_codec_error err = {0, NULL};
        int rc = lwm2m_encode(fmt, &msg->base, ds->recs + msg->first, msg->count, &b, &err);
        if (rc != LWM2M_OK) {
            fprintf(stderr, "codec-bench: %s encode of %s failed: %s (%s)\n", label, ds->name,
                    lwm2m_strerror(rc), err.reason ? err.reason : "");
            return -1;
        }
        r->enc[m] = malloc(b.len);
        if (r->enc[m] == NULL) {
            fprintf(stderr, "codec-bench: out of memory\n");
            return -1;
        }
        memcpy(r->enc[m], r->out, b.len);
        r->enc_len[m] = b.len;
        r->bytes += b.len;
        lwm2m_arena arena = lwm2m_arena_init(r->arena_mem, ARENA_CAP);
        lwm2m_record_list l = lwm2m_record_list_init(r->recs, MAX_RECORDS);
        rc = lwm2m_decode(fmt, &msg->base, r->enc[m], b.len, &types, &arena, &l, &err);
        if (rc != LWM2M_OK || l.count != msg->count) {
            fprintf(stderr, "codec-bench: %s decode of %s failed: %s at byte %zu (%s)\n", label,
                    ds->name, lwm2m_strerror(rc), err.offset, err.reason ? err.reason : "");
            return -1;
        }
        lwm2m_record_sort(l.items, l.count);
        for (size_t i = 0; i < l.count; i++) {
            const lwm2m_record *want = &ds->recs[msg->first + i];
            if (!lwm2m_path_equal(&l.items[i].path, &want->path) ||
                !lwm2m_value_equal(&l.items[i].value, &want->value)) {
                char p[LWM2M_PATH_STR_MAX];
                lwm2m_path_format(&want->path, p, sizeof p);
                fprintf(stderr, "codec-bench: %s round trip of %s differs at %s\n", label, ds->name,
                        p);
                return -1;
            }
        }
    }
    return 0;
}

static void free_row(row *r)
{
    for (size_t m = 0; m < MAX_MSGS; m++)
        free(r->enc[m]);
    free(r->out);
    free(r->recs);
    free(r->arena_mem);
}

typedef struct timing {
    double ns_per_pass; /* median: one pass = every payload of the set once */
    double spread;      /* (max - min) / median of the runs */
    uint64_t iters;     /* per run */
} timing;

static int run_iters(row *r, bool decode, uint64_t iters, int64_t *elapsed)
{
    int64_t t0 = bench_now_ns();
    for (uint64_t i = 0; i < iters; i++) {
        int rc = decode ? decode_all(r) : encode_all(r);
        if (rc != LWM2M_OK)
            return rc;
    }
    *elapsed = bench_now_ns() - t0;
    return LWM2M_OK;
}

static int measure(row *r, bool decode, double seconds, timing *out)
{
    /* Calibration doubles the count until one run lasts a tenth of the target; it doubles as
     * the warm-up (caches, branch predictors, CPU frequency). */
    int64_t target = (int64_t)(seconds * 1e9);
    uint64_t iters = 1;
    int64_t el = 0;
    for (;;) {
        if (run_iters(r, decode, iters, &el) != LWM2M_OK)
            return -1;
        if (el >= target / 10 || iters >= (UINT64_C(1) << 40))
            break;
        iters *= 2;
    }
    double per = (double)el / (double)iters;
    iters = (uint64_t)((double)target / (per > 0 ? per : 1)) + 1;
    double runs[RUNS];
    for (int k = 0; k < RUNS; k++) {
        if (run_iters(r, decode, iters, &el) != LWM2M_OK)
            return -1;
        runs[k] = (double)el / (double)iters;
    }
    out->ns_per_pass = bench_median(runs, RUNS); /* sorts runs */
    out->spread = (runs[RUNS - 1] - runs[0]) / out->ns_per_pass;
    out->iters = iters;
    return 0;
}

/* ---- output ------------------------------------------------------------------------------ */

typedef struct result {
    const char *format;
    const char *payload;
    size_t records, bytes, messages;
    timing enc, dec;
} result;

static double mb_s(const result *x, const timing *t)
{
    return (double)x->bytes / t->ns_per_pass * 1e3; /* bytes/ns * 1e9 / 1e6 */
}

static double krec_s(const result *x, const timing *t)
{
    return (double)x->records / t->ns_per_pass * 1e6;
}

static void print_table(const result *res, size_t n, double seconds, uint64_t sink)
{
    printf("codec throughput: median of %d runs of >= %.2f s each; MB = 1e6 bytes of payload\n",
           RUNS, seconds);
    printf("%-16s %-11s %5s %6s | %9s %10s %7s %6s | %9s %10s %7s %6s\n", "payload", "format",
           "recs", "bytes", "enc MB/s", "enc krec/s", "enc us", "spread", "dec MB/s", "dec krec/s",
           "dec us", "spread");
    for (size_t i = 0; i < n; i++) {
        const result *x = &res[i];
        printf("%-16s %-11s %5zu %6zu | %9.1f %10.0f %7.2f %5.1f%% | %9.1f %10.0f %7.2f %5.1f%%\n",
               x->payload, x->format, x->records, x->bytes, mb_s(x, &x->enc), krec_s(x, &x->enc),
               x->enc.ns_per_pass / 1e3, x->enc.spread * 100, mb_s(x, &x->dec), krec_s(x, &x->dec),
               x->dec.ns_per_pass / 1e3, x->dec.spread * 100);
    }
    printf("(checksum %llu)\n", (unsigned long long)sink);
}

static void print_timing_json(const char *name, const result *x, const timing *t)
{
    printf("\"%s\":{\"mb_per_s\":%.3f,\"records_per_s\":%.0f,\"us_per_set\":%.4f,"
           "\"spread\":%.4f,\"iterations_per_run\":%llu}",
           name, mb_s(x, t), krec_s(x, t) * 1e3, t->ns_per_pass / 1e3, t->spread,
           (unsigned long long)t->iters);
}

static void print_json(const result *res, size_t n, double seconds, uint64_t sink)
{
    char cpu[256];
    struct utsname u;
    bench_cpu_model(cpu, sizeof cpu);
    if (uname(&u) != 0)
        memset(&u, 0, sizeof u);
    printf("{\"bench\":\"codec\",\"cpu\":");
    bench_json_string(stdout, cpu);
    printf(",\"kernel\":");
    bench_json_string(stdout, u.release);
    printf(",\"runs\":%d,\"seconds_per_run\":%g,\"sink\":%llu,\"rows\":[", RUNS, seconds,
           (unsigned long long)sink);
    for (size_t i = 0; i < n; i++) {
        const result *x = &res[i];
        printf("%s{\"payload\":\"%s\",\"format\":\"%s\",\"records\":%zu,\"bytes\":%zu,"
               "\"payloads\":%zu,",
               i ? "," : "", x->payload, x->format, x->records, x->bytes, x->messages);
        print_timing_json("encode", x, &x->enc);
        printf(",");
        print_timing_json("decode", x, &x->dec);
        printf("}");
    }
    printf("]}\n");
}

static void usage(FILE *f)
{
    fprintf(f, "usage: lwm2m-codec-bench [--seconds S] [--format NAME] [--json]\n"
               "Encode/decode throughput of TLV, SenML JSON, SenML CBOR, LwM2M CBOR and LwM2M\n"
               "JSON on a Bootstrap-Write payload set (30 records) and a 200-record payload.\n"
               "  --seconds S  length of each of the 5 timed runs per row (default 0.25)\n"
               "  --format F   only this format (tlv, senml-json, senml-cbor, cbor, json)\n"
               "  --json       one JSON document on stdout instead of the table\n");
}

int main(int argc, char **argv)
{
    double seconds = 0.25;
    bool json = false;
    lwm2m_format only = LWM2M_FORMAT_NONE;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
            if (lwm2m_format_from_name(argv[++i], &only) != LWM2M_OK) {
                fprintf(stderr, "codec-bench: unknown format '%s'\n", argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
            if (bench_parse_seconds(argv[++i], &seconds) != 0) {
                fprintf(stderr, "codec-bench: bad --seconds '%s'\n", argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    dataset *sets = calloc(2, sizeof *sets);
    result *res = calloc(2 * N_FORMATS, sizeof *res);
    if (sets == NULL || res == NULL) {
        fprintf(stderr, "codec-bench: out of memory\n");
        free(sets);
        free(res);
        return 1;
    }
    build_bootstrap_write(&sets[0]);
    build_large(&sets[1]);
    size_t n = 0;
    uint64_t sink = 0;
    int status = 0;
    for (size_t s = 0; s < 2 && status == 0; s++) {
        for (size_t f = 0; f < N_FORMATS && status == 0; f++) {
            if (only != LWM2M_FORMAT_NONE && formats[f].fmt != only)
                continue;
            row r;
            result *x = &res[n];
            if (prepare_row(&r, &sets[s], formats[f].fmt, formats[f].label) != 0 ||
                measure(&r, false, seconds, &x->enc) != 0 ||
                measure(&r, true, seconds, &x->dec) != 0) {
                fprintf(stderr, "codec-bench: %s on %s failed\n", formats[f].label, sets[s].name);
                status = 1;
            }
            x->format = formats[f].label;
            x->payload = sets[s].name;
            x->records = sets[s].nrec;
            x->messages = sets[s].nmsg;
            x->bytes = r.bytes;
            sink += r.sink;
            free_row(&r);
            n++;
        }
    }
    if (status == 0) {
        if (json)
            print_json(res, n, seconds, sink);
        else
            print_table(res, n, seconds, sink);
    }
    free(sets);
    free(res);
    return status;
}
