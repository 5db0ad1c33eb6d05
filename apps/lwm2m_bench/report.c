/* The run's report (see report.h). */
#include "report.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/codec.h"

#define TENTHS 10

static const char *format_name(lwm2m_format f)
{
    switch (f) {
    case LWM2M_FORMAT_SENML_CBOR:
        return "senml-cbor";
    case LWM2M_FORMAT_TLV:
        return "tlv";
    default:
        return "senml-json";
    }
}

static const char *io_name(bench_io_kind io)
{
    return io == BENCH_IO_UDP ? "udp" : "libcoap";
}

static double ms(uint64_t us)
{
    return (double)us / 1000.0;
}

/* Completions per second over each tenth of the run (the last, partial second left out of
 * the tenths when the run is long enough), to show a rate that changes along the run. */
static size_t tenths(const bench_stats *s, double out[TENTHS])
{
    size_t secs = s->timeline_len > 1 ? s->timeline_len - 1 : s->timeline_len;
    if (secs < TENTHS)
        return 0;
    for (size_t t = 0; t < TENTHS; t++) {
        size_t from = secs * t / TENTHS, to = secs * (t + 1) / TENTHS;
        uint64_t n = 0;
        for (size_t i = from; i < to; i++)
            n += s->timeline[i];
        out[t] = to > from ? (double)n / (double)(to - from) : 0.0;
    }
    return TENTHS;
}

static double self_cpu(const bench_result *r)
{
    return r->self_after.user_s - r->self_before.user_s + r->self_after.sys_s -
           r->self_before.sys_s;
}

static void text_latency(FILE *f, const char *label, const bench_histogram *h, const char *what)
{
    fprintf(f, "%-14s p50 %.2f  p95 %.2f  p99 %.2f  max %.2f  mean %.2f  (%s)\n", label,
            ms(bench_hist_percentile(h, 0.50)), ms(bench_hist_percentile(h, 0.95)),
            ms(bench_hist_percentile(h, 0.99)), ms(h->max_us), bench_hist_mean(h) / 1000.0, what);
}

static void text_failures(FILE *f, const bench_stats *s)
{
    fprintf(f, "%-14s", "failures");
    if (s->failed == 0) {
        fprintf(f, " none\n");
        return;
    }
    for (int c = 0; c < BENCH_CAUSE_COUNT; c++)
        if (s->causes[c] > 0)
            fprintf(f, " %s %llu", bench_cause_name((bench_cause)c),
                    (unsigned long long)s->causes[c]);
    for (unsigned code = 0; code < 256; code++)
        if (s->refused_codes[code] > 0)
            fprintf(f, " [%u.%02u x%llu]", code >> 5, code & 31,
                    (unsigned long long)s->refused_codes[code]);
    fputc('\n', f);
}

static void text_servers(FILE *f, const bench_result *r)
{
    const bench_opts *o = r->opts;
    uint32_t peak = r->stats->peak_in_flight ? r->stats->peak_in_flight : 1;
    for (size_t i = 0; i < o->n_pids; i++) {
        const bench_proc *b = &r->before[i], *a = &r->after[i];
        if (!b->ok || !a->ok) {
            fprintf(f, "server %-7ld unreadable (/proc/%ld: gone, or not ours?)\n",
                    (long)o->pids[i], (long)o->pids[i]);
            continue;
        }
        double cpu = a->cpu_s - b->cpu_s;
        long grew = a->hwm_kb - b->hwm_kb;
        fprintf(f,
                "server %-7ld cpu %.2f s (%.0f %% of one core), VmHWM %.1f -> %.1f MB (%+.1f MB, "
                "%.1f KB per in-flight session), VmRSS %.1f -> %.1f MB\n",
                (long)o->pids[i], cpu, r->elapsed_s > 0 ? 100.0 * cpu / r->elapsed_s : 0.0,
                b->hwm_kb / 1024.0, a->hwm_kb / 1024.0, grew / 1024.0, (double)grew / peak,
                b->rss_kb / 1024.0, a->rss_kb / 1024.0);
    }
}

const char *bench_security_name(const bench_opts *o)
{
    return o->psk ? "psk" : o->pki != BENCH_PKI_NONE ? bench_pki_mode_name(o->pki) : "nosec";
}

/* How the storm's line names the security mode. */
static const char *security_text(const bench_opts *o)
{
    return o->psk                     ? "DTLS PSK"
           : o->pki == BENCH_PKI_RPK  ? "DTLS RPK"
           : o->pki == BENCH_PKI_X509 ? "DTLS X.509"
                                      : "NoSec";
}

void bench_report_text(FILE *f, const bench_result *r)
{
    const bench_opts *o = r->opts;
    const bench_stats *s = r->stats;
    bool boot = o->mode == BENCH_MODE_BOOTSTRAP;
    double rate = r->elapsed_s > 0 ? (double)s->completed / r->elapsed_s : 0.0;
    if (boot)
        fprintf(f,
                "lwm2m-bench: bootstrap storm against %s (%s, pct %s, io %s), endpoints %s0..%s%u, "
                "concurrency %u, single-server share %.3f%s\n",
                o->server, security_text(o), format_name(o->format), io_name(o->io), o->prefix,
                o->prefix, (unsigned)o->endpoints - 1, (unsigned)o->concurrency,
                o->reject_ppm / 1e6, o->reg ? ", then Register + De-register" : "");
    else
        fprintf(f,
                "lwm2m-bench: ping against %s (%s, io %s), %u CON exchanges per session, "
                "concurrency %u\n",
                o->server, o->psk ? "DTLS PSK, a full handshake per session" : "NoSec",
                io_name(o->io), (unsigned)o->exchanges, (unsigned)o->concurrency);
    fprintf(f,
            "%-14s %llu started, %llu completed, %llu failed in %.2f s: %.1f %s/s (peak %u in "
            "flight)\n",
            "sessions", (unsigned long long)s->started, (unsigned long long)s->completed,
            (unsigned long long)s->failed, r->elapsed_s, rate, boot ? "bootstraps" : "sessions",
            (unsigned)s->peak_in_flight);
    if (s->completed > 0) {
        text_latency(f, "latency ms", &s->latency,
                     boot     ? "Bootstrap-Request sent .. Finish answered"
                     : o->psk ? "session opened (handshake started) .. last answer"
                              : "session opened .. last answer");
        fprintf(f, "%-14s %.2f per %s (min %u, max %u)\n", "exchanges",
                (double)s->exchanges / (double)s->completed, boot ? "bootstrap" : "session",
                (unsigned)s->exchanges_min, (unsigned)s->exchanges_max);
    }
    if (boot)
        fprintf(f,
                "%-14s primary (2 accounts) %llu, fallback (1 account) %llu; Finish answered 4.06 "
                "%llu times, %llu bootstraps recovered\n",
                "plans", (unsigned long long)s->primary, (unsigned long long)s->fallback,
                (unsigned long long)s->answered_406, (unsigned long long)s->recovered);
    if (boot)
        fprintf(f,
                "%-14s %llu server requests answered again (their answer was lost), %llu Finish "
                "repeated after our 2.04 (lingering %u s; %llu sessions cut short for "
                "descriptors)\n",
                "retransmitted", (unsigned long long)s->duplicates,
                (unsigned long long)s->finish_repeated, (unsigned)o->linger_s,
                (unsigned long long)s->linger_cut);
    if (o->io == BENCH_IO_UDP)
        fprintf(f, "%-14s %llu of our requests sent again (no answer within the CoAP timeout)\n",
                "our retries", (unsigned long long)s->retransmitted);
    if (o->reg) {
        fprintf(f, "%-14s %llu Register + De-register, %llu exchanges\n", "registration",
                (unsigned long long)s->reg_latency.count, (unsigned long long)s->reg_exchanges);
        text_latency(f, "reg. latency", &s->reg_latency, "Register sent .. De-register answered");
    }
    text_failures(f, s);
    double t[TENTHS];
    if (tenths(s, t) == TENTHS) {
        fprintf(f, "%-14s", "rate by tenth");
        for (size_t i = 0; i < TENTHS; i++)
            fprintf(f, " %.0f", t[i]);
        fprintf(f, "  (completions/s over each tenth of the run)\n");
    }
    text_servers(f, r);
    double cpu = self_cpu(r);
    fprintf(
        f,
        "generator      cpu %.2f s (user %.2f, sys %.2f; %.0f %% of one core), max RSS %.1f MB\n",
        cpu, r->self_after.user_s - r->self_before.user_s,
        r->self_after.sys_s - r->self_before.sys_s,
        r->elapsed_s > 0 ? 100.0 * cpu / r->elapsed_s : 0.0, r->self_after.maxrss_kb / 1024.0);
}

/* ---- JSON -------------------------------------------------------------------------------- */

/* Builders that remember any allocation failure, so that a partial object is never printed. */
typedef struct jb {
    bool ok;
} jb;

static cJSON *add(jb *b, cJSON *obj, const char *key, cJSON *item)
{
    bool added = item != NULL && (key != NULL ? cJSON_AddItemToObject(obj, key, item)
                                              : cJSON_AddItemToArray(obj, item));
    if (!added) {
        cJSON_Delete(item);
        b->ok = false;
        return NULL;
    }
    return item;
}

static void num(jb *b, cJSON *obj, const char *key, double v)
{
    add(b, obj, key, cJSON_CreateNumber(v));
}

static cJSON *latency_json(jb *b, const bench_histogram *h)
{
    cJSON *l = cJSON_CreateObject();
    if (l == NULL) {
        b->ok = false;
        return NULL;
    }
    num(b, l, "count", (double)h->count);
    num(b, l, "p50", ms(bench_hist_percentile(h, 0.50)));
    num(b, l, "p95", ms(bench_hist_percentile(h, 0.95)));
    num(b, l, "p99", ms(bench_hist_percentile(h, 0.99)));
    num(b, l, "max", ms(h->max_us));
    num(b, l, "mean", bench_hist_mean(h) / 1000.0);
    return l;
}

static void add_failures(jb *b, cJSON *j, const bench_stats *s)
{
    cJSON *f = add(b, j, "failures", cJSON_CreateObject());
    for (int c = 0; f != NULL && c < BENCH_CAUSE_COUNT; c++)
        num(b, f, bench_cause_name((bench_cause)c), (double)s->causes[c]);
    cJSON *codes = add(b, j, "refused_codes", cJSON_CreateObject());
    for (unsigned code = 0; codes != NULL && code < 256; code++) {
        if (s->refused_codes[code] == 0)
            continue;
        char name[8];
        snprintf(name, sizeof name, "%u.%02u", code >> 5, code & 31);
        num(b, codes, name, (double)s->refused_codes[code]);
    }
}

static void add_servers(jb *b, cJSON *j, const bench_result *r)
{
    cJSON *arr = add(b, j, "servers", cJSON_CreateArray());
    uint32_t peak = r->stats->peak_in_flight ? r->stats->peak_in_flight : 1;
    for (size_t i = 0; arr != NULL && i < r->opts->n_pids; i++) {
        const bench_proc *bf = &r->before[i], *af = &r->after[i];
        cJSON *p = add(b, arr, NULL, cJSON_CreateObject());
        if (p == NULL)
            return;
        num(b, p, "pid", (double)r->opts->pids[i]);
        add(b, p, "readable", cJSON_CreateBool(bf->ok && af->ok));
        if (!bf->ok || !af->ok)
            continue;
        num(b, p, "cpu_s", af->cpu_s - bf->cpu_s);
        num(b, p, "vmhwm_kb_before", (double)bf->hwm_kb);
        num(b, p, "vmhwm_kb_after", (double)af->hwm_kb);
        num(b, p, "vmrss_kb_before", (double)bf->rss_kb);
        num(b, p, "vmrss_kb_after", (double)af->rss_kb);
        num(b, p, "vmhwm_kb_per_session", (double)(af->hwm_kb - bf->hwm_kb) / peak);
    }
}

static void add_options(jb *b, cJSON *j, const bench_opts *o)
{
    bool boot = o->mode == BENCH_MODE_BOOTSTRAP;
    add(b, j, "mode", cJSON_CreateString(boot ? "bootstrap" : "ping"));
    add(b, j, "io", cJSON_CreateString(io_name(o->io)));
    add(b, j, "server", cJSON_CreateString(o->server));
    add(b, j, "security", cJSON_CreateString(bench_security_name(o)));
    num(b, j, "concurrency", o->concurrency);
    if (!boot) {
        num(b, j, "exchanges_per_session", o->exchanges);
        return;
    }
    add(b, j, "format", cJSON_CreateString(format_name(o->format)));
    add(b, j, "prefix", cJSON_CreateString(o->prefix));
    num(b, j, "endpoints", o->endpoints);
    num(b, j, "reject_share", o->reject_ppm / 1e6);
    num(b, j, "linger_s", o->linger_s);
    add(b, j, "register", cJSON_CreateBool(o->reg));
}

static void add_counts(jb *b, cJSON *j, const bench_result *r)
{
    const bench_stats *s = r->stats;
    num(b, j, "started", (double)s->started);
    num(b, j, "completed", (double)s->completed);
    num(b, j, "failed", (double)s->failed);
    num(b, j, "elapsed_s", r->elapsed_s);
    num(b, j, "rate_per_s", r->elapsed_s > 0 ? (double)s->completed / r->elapsed_s : 0.0);
    num(b, j, "peak_in_flight", s->peak_in_flight);
    if (r->opts->io == BENCH_IO_UDP)
        num(b, j, "requests_retransmitted", (double)s->retransmitted);
    add(b, j, "latency_ms", latency_json(b, &s->latency));
    add_failures(b, j, s);
    cJSON *ex = add(b, j, "exchanges", cJSON_CreateObject());
    if (ex != NULL) {
        num(b, ex, "total", (double)s->exchanges);
        num(b, ex, "mean", s->completed ? (double)s->exchanges / (double)s->completed : 0.0);
        num(b, ex, "min", s->exchanges_min);
        num(b, ex, "max", s->exchanges_max);
    }
    if (r->opts->mode == BENCH_MODE_BOOTSTRAP) {
        num(b, j, "finish_406", (double)s->answered_406);
        num(b, j, "recovered", (double)s->recovered);
        num(b, j, "primary_plan", (double)s->primary);
        num(b, j, "fallback_plan", (double)s->fallback);
        num(b, j, "duplicates", (double)s->duplicates);
        num(b, j, "finish_repeated", (double)s->finish_repeated);
        num(b, j, "linger_cut", (double)s->linger_cut);
    }
    if (!r->opts->reg)
        return;
    cJSON *reg = add(b, j, "registration", cJSON_CreateObject());
    if (reg != NULL) {
        num(b, reg, "completed", (double)s->reg_latency.count);
        num(b, reg, "exchanges", (double)s->reg_exchanges);
        add(b, reg, "latency_ms", latency_json(b, &s->reg_latency));
    }
}

static void add_generator(jb *b, cJSON *j, const bench_result *r)
{
    cJSON *gen = add(b, j, "generator", cJSON_CreateObject());
    if (gen == NULL)
        return;
    num(b, gen, "cpu_s", self_cpu(r));
    num(b, gen, "user_s", r->self_after.user_s - r->self_before.user_s);
    num(b, gen, "sys_s", r->self_after.sys_s - r->self_before.sys_s);
    num(b, gen, "maxrss_kb", (double)r->self_after.maxrss_kb);
}

int bench_report_json(FILE *f, const bench_result *r)
{
    jb b = {true};
    cJSON *j = cJSON_CreateObject();
    if (j == NULL)
        return -1;
    add_options(&b, j, r->opts);
    add_counts(&b, j, r);
    add_servers(&b, j, r);
    add_generator(&b, j, r);
    cJSON *tl = add(&b, j, "timeline", cJSON_CreateArray());
    for (size_t i = 0; tl != NULL && i < r->stats->timeline_len; i++)
        num(&b, tl, NULL, r->stats->timeline[i]);
    char *text = b.ok ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    if (text == NULL) {
        fprintf(stderr, BENCH_PROG ": out of memory writing the report\n");
        return -1;
    }
    fprintf(f, "%s\n", text);
    free(text);
    return 0;
}
