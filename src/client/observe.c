/* Information Reporting, client side: the observation table and when notifications are due. */
#include "lwm2m/observe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "client/response.h"
#include "lwm2m/coap_code.h"
#include "lwm2m/dm_client.h"
#include "lwm2m/error.h"

/* Longest record list a notification is read into (the payload must fit one datagram anyway). */
#define MAX_RECORDS 65536

typedef struct observation {
    uint16_t ssid;
    uint8_t token[LWM2M_OBSERVE_TOKEN_MAX];
    size_t token_len;
    lwm2m_path path;
    lwm2m_format format;
    uint32_t seq;  /* last sequence number sent */
    uint8_t *last; /* last payload sent (a copy: changed = differs from it) */
    size_t last_len;
    int64_t last_ms;
    bool has_number; /* `number` holds the value last sent (numeric single resource) */
    double number;
} observation;

struct lwm2m_observe_table {
    observation *items;
    size_t count;
    size_t cap;
    uint32_t next_seq;
};

lwm2m_observe_table *lwm2m_observe_new(uint32_t first_seq)
{
    lwm2m_observe_table *t = calloc(1, sizeof *t);
    if (t != NULL)
        t->next_seq = first_seq & LWM2M_OBSERVE_SEQ_MASK;
    return t;
}

static void remove_at(lwm2m_observe_table *t, size_t i)
{
    free(t->items[i].last);
    memmove(&t->items[i], &t->items[i + 1], (t->count - i - 1) * sizeof *t->items);
    t->count--;
}

void lwm2m_observe_free(lwm2m_observe_table *t)
{
    if (t == NULL)
        return;
    lwm2m_observe_clear(t);
    free(t->items);
    free(t);
}

static uint32_t take_seq(lwm2m_observe_table *t)
{
    uint32_t seq = t->next_seq;
    t->next_seq = (seq + 1) & LWM2M_OBSERVE_SEQ_MASK;
    return seq;
}

static bool same_token(const observation *o, uint16_t ssid, const uint8_t *token, size_t len)
{
    return o->ssid == ssid && o->token_len == len &&
           (len == 0 || memcmp(o->token, token, len) == 0);
}

/* The value at `path` as a number when it is a numeric single value (a resource or a resource
 * instance; NULL model or anything else: false). */
static bool number_at(const lwm2m_model *m, const lwm2m_path *path, double *out)
{
    const lwm2m_value *v = m != NULL && path->len >= 3 ? lwm2m_model_get(m, path) : NULL;
    if (v == NULL)
        return false;
    switch (v->type) {
    case LWM2M_TYPE_INTEGER:
    case LWM2M_TYPE_TIME:
        *out = (double)v->v.i;
        return true;
    case LWM2M_TYPE_UNSIGNED:
        *out = (double)v->v.u;
        return true;
    case LWM2M_TYPE_FLOAT:
        *out = v->v.f;
        return true;
    default:
        return false;
    }
}

/* Reads `path` into a record list that grows as needed; *recs must be freed by the caller. */
static int read_records(lwm2m_model *m, const lwm2m_path *path, lwm2m_record **recs, size_t *n)
{
    for (size_t cap = 64;; cap *= 4) {
        lwm2m_record *items = malloc(cap * sizeof *items);
        if (items == NULL)
            return LWM2M_ERR_NOMEM;
        lwm2m_record_list l = lwm2m_record_list_init(items, cap);
        int rc = lwm2m_model_read(m, path, &l);
        if (rc == LWM2M_OK) {
            *recs = items;
            *n = l.count;
            return LWM2M_OK;
        }
        free(items);
        if (rc != LWM2M_ERR_NOMEM || cap >= MAX_RECORDS)
            return rc;
    }
}

int lwm2m_observe_add(lwm2m_observe_table *t, const lwm2m_model *m, uint16_t ssid,
                      const uint8_t *token, size_t token_len, const lwm2m_path *path,
                      lwm2m_format format, const uint8_t *payload, size_t len, int64_t now_ms,
                      uint32_t *seq)
{
    if (token_len > LWM2M_OBSERVE_TOKEN_MAX || (token_len > 0 && token == NULL) || path->len < 1 ||
        path->len > LWM2M_PATH_MAX_DEPTH || (len > 0 && payload == NULL))
        return LWM2M_ERR_INVALID;
    uint8_t *copy = malloc(len > 0 ? len : 1);
    if (copy == NULL)
        return LWM2M_ERR_NOMEM;
    if (t->count == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 4;
        observation *grown = realloc(t->items, cap * sizeof *grown);
        if (grown == NULL) {
            free(copy);
            return LWM2M_ERR_NOMEM;
        }
        t->items = grown;
        t->cap = cap;
    }
    /* A new Observe with this token or on this path replaces the server's old observation. */
    for (size_t i = t->count; i-- > 0;) {
        const observation *o = &t->items[i];
        if (same_token(o, ssid, token, token_len) ||
            (o->ssid == ssid && lwm2m_path_equal(&o->path, path)))
            remove_at(t, i);
    }
    observation *o = &t->items[t->count++];
    memset(o, 0, sizeof *o);
    o->ssid = ssid;
    if (token_len > 0)
        memcpy(o->token, token, token_len);
    o->token_len = token_len;
    o->path = *path;
    o->format = format;
    if (len > 0)
        memcpy(copy, payload, len);
    o->last = copy;
    o->last_len = len;
    o->last_ms = now_ms;
    o->has_number = number_at(m, path, &o->number);
    o->seq = take_seq(t);
    *seq = o->seq;
    return LWM2M_OK;
}

int lwm2m_observe_cancel(lwm2m_observe_table *t, uint16_t ssid, const uint8_t *token,
                         size_t token_len)
{
    for (size_t i = 0; i < t->count; i++) {
        if (same_token(&t->items[i], ssid, token, token_len)) {
            remove_at(t, i);
            return LWM2M_OK;
        }
    }
    return LWM2M_ERR_NOT_FOUND;
}

size_t lwm2m_observe_cancel_server(lwm2m_observe_table *t, uint16_t ssid)
{
    size_t removed = 0;
    for (size_t i = t->count; i-- > 0;) {
        if (t->items[i].ssid == ssid) {
            remove_at(t, i);
            removed++;
        }
    }
    return removed;
}

size_t lwm2m_observe_clear(lwm2m_observe_table *t)
{
    size_t n = t->count;
    while (t->count > 0)
        remove_at(t, t->count - 1);
    return n;
}

size_t lwm2m_observe_count(const lwm2m_observe_table *t)
{
    return t->count;
}

bool lwm2m_observe_find(const lwm2m_observe_table *t, uint16_t ssid, const uint8_t *token,
                        size_t token_len, lwm2m_path *path)
{
    for (size_t i = 0; i < t->count; i++) {
        if (same_token(&t->items[i], ssid, token, token_len)) {
            if (path != NULL)
                *path = t->items[i].path;
            return true;
        }
    }
    return false;
}

/* /1/x/2 (pmin) or /1/x/3 (pmax) of the Server instance whose Short Server ID is `ssid`. */
static int server_default(const lwm2m_model *m, uint16_t ssid, uint16_t res, double *out)
{
    size_t n = lwm2m_model_instance_count(m, 1);
    for (size_t i = 0; i < n; i++) {
        uint16_t iid = lwm2m_model_instance_id_at(m, 1, i);
        int64_t id = -1, v = 0;
        lwm2m_path ps = lwm2m_path_res(1, iid, 0), pv = lwm2m_path_res(1, iid, res);
        if (lwm2m_model_get_int(m, &ps, &id) != LWM2M_OK || id != ssid)
            continue;
        if (lwm2m_model_get_int(m, &pv, &v) != LWM2M_OK)
            return LWM2M_ERR_NOT_FOUND;
        *out = (double)v;
        return LWM2M_OK;
    }
    return LWM2M_ERR_NOT_FOUND;
}

int lwm2m_observe_attr(const lwm2m_model *m, uint16_t ssid, const lwm2m_path *path, lwm2m_attr a,
                       double *out)
{
    for (uint8_t len = path->len; len >= 1; len--) {
        lwm2m_path p = lwm2m_path_truncate(path, len);
        if (lwm2m_model_get_attr(m, ssid, &p, a, out) == LWM2M_OK)
            return LWM2M_OK;
    }
    if (a == LWM2M_ATTR_PMIN)
        return server_default(m, ssid, 2, out);
    if (a == LWM2M_ATTR_PMAX)
        return server_default(m, ssid, 3, out);
    return LWM2M_ERR_NOT_FOUND;
}

/* pmin and pmax in ms; *pmax_ms is -1 when there is none (absent, <= 0, or below pmin: the
 * spec says such a pmax is ignored). */
static void periods(const lwm2m_model *m, const observation *o, int64_t *pmin_ms, int64_t *pmax_ms)
{
    double pmin = 0, pmax = 0;
    if (lwm2m_observe_attr(m, o->ssid, &o->path, LWM2M_ATTR_PMIN, &pmin) != LWM2M_OK || !(pmin > 0))
        pmin = 0;
    if (pmin > 1e9)
        pmin = 1e9;
    *pmin_ms = (int64_t)(pmin * 1000);
    *pmax_ms = -1;
    if (lwm2m_observe_attr(m, o->ssid, &o->path, LWM2M_ATTR_PMAX, &pmax) == LWM2M_OK && pmax > 0 &&
        pmax >= pmin)
        *pmax_ms = (int64_t)((pmax > 1e9 ? 1e9 : pmax) * 1000);
}

/* Whether the value moved enough per gt/lt/st; *applies false when none of them concerns it. */
static bool thresholds_crossed(const lwm2m_model *m, const observation *o, double now_value,
                               bool *applies)
{
    double gt = 0, lt = 0, st = 0;
    bool has_gt = lwm2m_observe_attr(m, o->ssid, &o->path, LWM2M_ATTR_GT, &gt) == LWM2M_OK;
    bool has_lt = lwm2m_observe_attr(m, o->ssid, &o->path, LWM2M_ATTR_LT, &lt) == LWM2M_OK;
    bool has_st = lwm2m_observe_attr(m, o->ssid, &o->path, LWM2M_ATTR_ST, &st) == LWM2M_OK;
    *applies = o->has_number && (has_gt || has_lt || has_st);
    if (!*applies)
        return false;
    double before = o->number;
    return (has_gt && (before > gt) != (now_value > gt)) ||
           (has_lt && (before < lt) != (now_value < lt)) ||
           (has_st && fabs(now_value - before) >= st);
}

static void fill_ended(lwm2m_notification *out, unsigned code)
{
    out->ended = true;
    out->code = code;
    out->seq = 0;
    out->format = LWM2M_FORMAT_NONE;
    out->payload.len = 0;
}

/* Reads and encodes observation `o` into `out` and decides whether it is due at `now_ms`;
 * *numeric / *value tell the value of a numeric single resource. Returns 1 (due: `out` filled),
 * 0 (not due) or LWM2M_ERR_NOMEM. */
static int check(lwm2m_model *m, const observation *o, int64_t now_ms, lwm2m_notification *out,
                 bool *numeric, double *value)
{
    out->ended = false;
    out->needed = 0;
    out->payload.len = 0;
    *numeric = false;
    if (o->path.len >= 2 &&
        !(lwm2m_dm_access_rights(m, o->ssid, o->path.id[0], o->path.id[1]) & LWM2M_ACL_READ)) {
        fill_ended(out, LWM2M_CODE_UNAUTHORIZED);
        return 1;
    }
    lwm2m_record *recs = NULL;
    size_t n = 0;
    int rc = read_records(m, &o->path, &recs, &n);
    if (rc == LWM2M_ERR_NOMEM)
        return rc;
    if (rc != LWM2M_OK) {
        fill_ended(out, lwm2m_code_of_error(rc));
        return 1;
    }
    lwm2m_codec_error err;
    rc = lwm2m_encode(o->format, &o->path, recs, n, &out->payload, &err);
    free(recs);
    *numeric = number_at(m, &o->path, value);
    if (rc == LWM2M_ERR_OVERFLOW) {
        size_t needed = out->payload.len;
        fill_ended(out, LWM2M_CODE_INTERNAL_ERROR);
        out->needed = needed;
        return 1;
    }
    if (rc != LWM2M_OK) {
        fill_ended(out, lwm2m_code_of_error(rc));
        return 1;
    }
    int64_t pmin_ms, pmax_ms;
    periods(m, o, &pmin_ms, &pmax_ms);
    int64_t elapsed = now_ms - o->last_ms;
    bool due = pmax_ms >= 0 && elapsed >= pmax_ms;
    if (!due && elapsed >= pmin_ms) {
        bool applies = false;
        bool crossed = *numeric && thresholds_crossed(m, o, *value, &applies);
        due = applies ? crossed
                      : out->payload.len != o->last_len ||
                            (o->last_len > 0 && memcmp(out->payload.data, o->last, o->last_len));
    }
    if (!due)
        return 0;
    out->code = LWM2M_CODE_CONTENT;
    out->format = o->format;
    return 1;
}

int lwm2m_observe_tick(lwm2m_observe_table *t, lwm2m_model *m, int64_t now_ms,
                       lwm2m_notification *out)
{
    for (size_t i = 0; i < t->count; i++) {
        observation *o = &t->items[i];
        bool numeric = false;
        double value = 0;
        int rc = check(m, o, now_ms, out, &numeric, &value);
        if (rc == 0)
            continue;
        if (rc < 0)
            return rc;
        out->ssid = o->ssid;
        memcpy(out->token, o->token, o->token_len);
        out->token_len = o->token_len;
        out->path = o->path;
        if (out->ended) {
            remove_at(t, i);
            return 1;
        }
        /* Commit: this is now the last notification sent. */
        size_t len = out->payload.len;
        uint8_t *copy = malloc(len > 0 ? len : 1);
        if (copy == NULL)
            return LWM2M_ERR_NOMEM;
        if (len > 0)
            memcpy(copy, out->payload.data, len);
        free(o->last);
        o->last = copy;
        o->last_len = len;
        o->last_ms = now_ms;
        o->has_number = numeric;
        o->number = value;
        o->seq = take_seq(t);
        out->seq = o->seq;
        return 1;
    }
    return 0;
}

int64_t lwm2m_observe_deadline(const lwm2m_observe_table *t, const lwm2m_model *m, int64_t now_ms)
{
    int64_t soonest = INT64_MAX;
    for (size_t i = 0; i < t->count; i++) {
        const observation *o = &t->items[i];
        int64_t pmin_ms, pmax_ms, at = INT64_MAX;
        periods(m, o, &pmin_ms, &pmax_ms);
        if (o->last_ms + pmin_ms > now_ms)
            at = o->last_ms + pmin_ms;
        else if (pmax_ms >= 0)
            at = o->last_ms + pmax_ms > now_ms ? o->last_ms + pmax_ms : now_ms;
        if (at < soonest)
            soonest = at;
    }
    return soonest;
}
