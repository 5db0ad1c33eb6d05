/* The Bootstrap Server's session with one client: Discover, Deletes, Writes, Finish, and the
 * fallback plans after a rejected Finish. Sans-I/O: requests out, responses and time in. */
#include "lwm2m/bs_store.h"
#include "lwm2m/bs_session.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bs_server/bs_plan_select.h"
#include "lwm2m/coap_code.h"
#include "lwm2m/error.h"

typedef enum step {
    STEP_DISCOVER,
    STEP_DELETE,   /* the plan's Deletes */
    STEP_WRITE,    /* the plan's Writes, one unit at a time */
    STEP_FINISH,   /* Bootstrap-Finish */
    STEP_ROLLBACK, /* after a rejected Finish: Delete what this plan wrote */
    STEP_DONE,
} step;

/* One Bootstrap-Write: records [first, first + count) of the prepared plan sent to `base`. */
typedef struct write_unit {
    lwm2m_path base;
    size_t first;
    size_t count;
} write_unit;

struct lwm2m_bs_session {
    lwm2m_bs_session_params params;
    lwm2m_format format;
    lwm2m_bs_session_state state;
    lwm2m_bs_outcome outcome;
    int64_t deadline;
    size_t operations;
    step step;
    size_t index; /* position within the step */
    bool outstanding;
    char sent_uri[LWM2M_PATH_STR_MAX + 4]; /* the outstanding request, for diagnostics */
    unsigned sent_method;
    size_t plan;
    size_t next_plan; /* chosen when Finish is rejected, started after the rollback */
    bool have_info;
    lwm2m_bs_client_info info;
    /* The plan being run: its records (renumbered, sorted), write units, instances written. */
    lwm2m_record *recs;
    size_t rec_count;
    write_unit *units;
    size_t unit_count;
    lwm2m_path *written;
    size_t written_count;
    char diag[256];
};

const char *lwm2m_bs_outcome_name(lwm2m_bs_outcome o)
{
    switch (o) {
    case LWM2M_BS_OUTCOME_NONE:
        return "none";
    case LWM2M_BS_OUTCOME_SUCCESS:
        return "success";
    case LWM2M_BS_OUTCOME_FINISH_REJECTED:
        return "finish-rejected";
    case LWM2M_BS_OUTCOME_NO_PLAN:
        return "no-plan";
    case LWM2M_BS_OUTCOME_REQUEST_FAILED:
        return "request-failed";
    case LWM2M_BS_OUTCOME_TIMEOUT:
        return "timeout";
    case LWM2M_BS_OUTCOME_CANCELLED:
        return "cancelled";
    case LWM2M_BS_OUTCOME_INTERNAL:
        return "internal";
    }
    return "unknown";
}

/* Formats that carry several instances of an object in one message. */
static bool multi_instance_format(lwm2m_format f)
{
    return f == LWM2M_FORMAT_TLV || f == LWM2M_FORMAT_SENML_JSON || f == LWM2M_FORMAT_SENML_CBOR ||
           f == LWM2M_FORMAT_LWM2M_JSON || f == LWM2M_FORMAT_LWM2M_CBOR;
}

lwm2m_format lwm2m_bs_session_format(const lwm2m_bs_config *cfg, lwm2m_format pct)
{
    if (cfg != NULL && cfg->format != LWM2M_FORMAT_NONE)
        return cfg->format;
    if (multi_instance_format(pct))
        return pct;
    return LWM2M_FORMAT_TLV;
}

/* ---- diagnostics ------------------------------------------------------------------------- */

static void set_diag(lwm2m_bs_session *s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void set_diag(lwm2m_bs_session *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->diag, sizeof s->diag, fmt, ap);
    va_end(ap);
}

/* Copies a client's payload as printable text: at most cap - 1 bytes, anything outside
 * printable ASCII replaced by '?', always NUL-terminated. */
static void copy_text(char *dst, size_t cap, const uint8_t *src, size_t len)
{
    if (cap == 0)
        return;
    size_t n = len < cap - 1 ? len : cap - 1;
    for (size_t i = 0; i < n; i++)
        dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? (char)src[i] : '?';
    dst[n] = '\0';
}

static const char *method_name(unsigned method)
{
    static const char *const names[] = {"request", "GET", "POST", "PUT", "DELETE"};
    return method < sizeof names / sizeof names[0] ? names[method] : names[0];
}

/* "PUT /0: 4.00 byte 3: truncated" for an error answer to the outstanding request. */
static void note_error(lwm2m_bs_session *s, unsigned code, const uint8_t *payload, size_t len)
{
    char text[160];
    copy_text(text, sizeof text, payload, len);
    set_diag(s, "%s %s: %u.%02u%s%s", method_name(s->sent_method), s->sent_uri, code >> 5,
             code & 31, text[0] ? " " : "", text);
}

static void end(lwm2m_bs_session *s, lwm2m_bs_session_state state, lwm2m_bs_outcome outcome)
{
    s->state = state;
    s->outcome = outcome;
    s->step = STEP_DONE;
    s->outstanding = false;
}

/* ---- plan preparation -------------------------------------------------------------------- */

static void drop_plan(lwm2m_bs_session *s)
{
    free(s->recs);
    free(s->units);
    free(s->written);
    s->recs = NULL;
    s->units = NULL;
    s->written = NULL;
    s->rec_count = s->unit_count = s->written_count = 0;
}

/* The path a write unit starts at: the object (several instances per message) or the
 * resource (text, opaque, CBOR: one value per message). */
static lwm2m_path unit_base(const lwm2m_path *p, bool multi)
{
    return lwm2m_path_truncate(p, multi ? 1 : (p->len < 3 ? p->len : 3));
}

/* Copies plan `idx`, renumbers /0 for auto-ID, sorts, and cuts it into write units.
 * Returns 0, LWM2M_ERR_NOMEM or LWM2M_ERR_INVALID (diag set). */
static int prepare_plan(lwm2m_bs_session *s, size_t idx)
{
    const lwm2m_bs_plan *plan = &s->params.config->plans[idx];
    size_t n = plan->record_count;
    drop_plan(s);
    s->plan = idx;
    s->step = STEP_DELETE;
    s->index = 0;
    for (size_t i = 0; i < n; i++) {
        if (plan->records[i].path.len < 2) {
            set_diag(s, "plan %zu: record %zu is not below an object instance", idx, i);
            return LWM2M_ERR_INVALID;
        }
    }
    s->recs = malloc((n + 1) * sizeof *s->recs);
    s->units = malloc((n + 1) * sizeof *s->units);
    s->written = malloc((n + 1) * sizeof *s->written);
    if (s->recs == NULL || s->units == NULL || s->written == NULL) {
        drop_plan(s);
        return LWM2M_ERR_NOMEM;
    }
    if (n > 0)
        memcpy(s->recs, plan->records, n * sizeof *s->recs);
    s->rec_count = n;
    if (s->params.config->auto_id_security && s->have_info && s->info.has_bs_account) {
        int rc = lwm2m_bs_auto_id(s->recs, n, s->info.bs_account);
        if (rc != LWM2M_OK) {
            set_diag(s, "auto-ID of the Security instances: %s", lwm2m_strerror(rc));
            return rc == LWM2M_ERR_NOMEM ? rc : LWM2M_ERR_INVALID;
        }
    }
    /* Path order is also the write order: /0, /1, /2, then the other objects ascending. */
    lwm2m_record_sort(s->recs, n);
    bool multi = multi_instance_format(s->format);
    for (size_t i = 0; i < n; i++) {
        lwm2m_path base = unit_base(&s->recs[i].path, multi);
        if (s->unit_count > 0 && lwm2m_path_equal(&s->units[s->unit_count - 1].base, &base)) {
            s->units[s->unit_count - 1].count++;
            continue;
        }
        write_unit *u = &s->units[s->unit_count++];
        u->base = base;
        u->first = i;
        u->count = 1;
    }
    return LWM2M_OK;
}

/* Starts plan `idx`; on failure the session ends as INTERNAL. */
static void start_plan(lwm2m_bs_session *s, size_t idx)
{
    int rc = prepare_plan(s, idx);
    if (rc == LWM2M_ERR_NOMEM)
        set_diag(s, "out of memory preparing plan %zu", idx);
    if (rc != LWM2M_OK)
        end(s, LWM2M_BS_SESSION_FAILED, LWM2M_BS_OUTCOME_INTERNAL);
}

static const lwm2m_bs_client_info *info_of(const lwm2m_bs_session *s)
{
    return s->have_info ? &s->info : NULL;
}

/* ---- life cycle -------------------------------------------------------------------------- */

lwm2m_bs_session *lwm2m_bs_session_new(const lwm2m_bs_session_params *params, int64_t now_ms)
{
    if (params == NULL || params->config == NULL || params->config->plans == NULL ||
        params->config->plan_count == 0)
        return NULL;
    lwm2m_bs_session *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->params = *params;
    /* A stored next_plan beyond a since shortened configuration starts over. */
    if (s->params.first_plan >= params->config->plan_count)
        s->params.first_plan = 0;
    s->format = lwm2m_bs_session_format(params->config, params->pct);
    s->state = LWM2M_BS_SESSION_RUNNING;
    s->deadline =
        now_ms + (params->timeout_ms > 0 ? params->timeout_ms : LWM2M_BS_SESSION_TIMEOUT_MS);
    s->plan = s->params.first_plan;
    if (params->config->discover || params->config->auto_id_security) {
        s->step = STEP_DISCOVER;
        return s;
    }
    int rc = prepare_plan(s, s->plan);
    if (rc == LWM2M_ERR_NOMEM) {
        lwm2m_bs_session_free(s);
        return NULL;
    }
    if (rc != LWM2M_OK) /* an invalid plan: the session reports it as INTERNAL */
        end(s, LWM2M_BS_SESSION_FAILED, LWM2M_BS_OUTCOME_INTERNAL);
    return s;
}

void lwm2m_bs_session_free(lwm2m_bs_session *s)
{
    if (s == NULL)
        return;
    drop_plan(s);
    lwm2m_bs_client_info_free(&s->info);
    free(s);
}

void lwm2m_bs_session_cancel(lwm2m_bs_session *s)
{
    if (s->state == LWM2M_BS_SESSION_RUNNING) {
        set_diag(s, "replaced by a new Bootstrap-Request");
        end(s, LWM2M_BS_SESSION_FAILED, LWM2M_BS_OUTCOME_CANCELLED);
    }
}

lwm2m_bs_session_state lwm2m_bs_session_tick(lwm2m_bs_session *s, int64_t now_ms)
{
    if (s->state == LWM2M_BS_SESSION_RUNNING && now_ms >= s->deadline) {
        set_diag(s, "session not finished within its deadline");
        end(s, LWM2M_BS_SESSION_FAILED, LWM2M_BS_OUTCOME_TIMEOUT);
    }
    return s->state;
}

int64_t lwm2m_bs_session_deadline(const lwm2m_bs_session *s)
{
    return s->deadline;
}

lwm2m_bs_session_state lwm2m_bs_session_state_of(const lwm2m_bs_session *s)
{
    return s->state;
}

lwm2m_bs_outcome lwm2m_bs_session_outcome(const lwm2m_bs_session *s)
{
    return s->outcome;
}

size_t lwm2m_bs_session_plan(const lwm2m_bs_session *s)
{
    return s->plan;
}

size_t lwm2m_bs_session_operations(const lwm2m_bs_session *s)
{
    return s->operations;
}

const char *lwm2m_bs_session_diagnostic(const lwm2m_bs_session *s)
{
    return s->diag;
}

/* ---- requests ---------------------------------------------------------------------------- */

static void set_request(lwm2m_bs_outgoing *out, unsigned method, const lwm2m_path *path,
                        const char *uri)
{
    out->method = method;
    out->format = LWM2M_FORMAT_NONE;
    out->accept = LWM2M_FORMAT_NONE;
    out->payload.len = 0;
    if (path != NULL)
        lwm2m_path_format(path, out->uri_path, sizeof out->uri_path);
    else
        snprintf(out->uri_path, sizeof out->uri_path, "%s", uri ? uri : "/");
}

/* Encodes write unit `u` into out->payload. Returns 1, 0 (the session ended) or
 * LWM2M_ERR_OVERFLOW. */
static int write_request(lwm2m_bs_session *s, const write_unit *u, lwm2m_bs_outgoing *out)
{
    set_request(out, LWM2M_METHOD_PUT, &u->base, NULL);
    out->format = s->format;
    lwm2m_codec_error err = {0, NULL};
    int rc = lwm2m_encode(s->format, &u->base, s->recs + u->first, u->count, &out->payload, &err);
    if (rc == LWM2M_ERR_OVERFLOW)
        return LWM2M_ERR_OVERFLOW;
    if (rc != LWM2M_OK) {
        char p[LWM2M_PATH_STR_MAX];
        size_t bad = u->first + (err.offset < u->count ? err.offset : 0);
        lwm2m_path_format(&s->recs[bad].path, p, sizeof p);
        set_diag(s, "cannot encode %s in %s: %s", p,
                 lwm2m_format_name(s->format) ? lwm2m_format_name(s->format) : "this format",
                 err.reason != NULL ? err.reason : lwm2m_strerror(rc));
        end(s, LWM2M_BS_SESSION_FAILED, LWM2M_BS_OUTCOME_INTERNAL);
        return 0;
    }
    return 1;
}

/* Fills `out` for the current step without sending. Returns 1, 0 or LWM2M_ERR_OVERFLOW. */
static int build_request(lwm2m_bs_session *s, lwm2m_bs_outgoing *out)
{
    const lwm2m_bs_plan *plan = &s->params.config->plans[s->plan];
    switch (s->step) {
    case STEP_DISCOVER:
        set_request(out, LWM2M_METHOD_GET, NULL, "/");
        out->accept = LWM2M_FORMAT_LINK;
        return 1;
    case STEP_DELETE:
        set_request(out, LWM2M_METHOD_DELETE, &plan->deletes[s->index], NULL);
        return 1;
    case STEP_WRITE:
        return write_request(s, &s->units[s->index], out);
    case STEP_FINISH:
        set_request(out, LWM2M_METHOD_POST, NULL, "/bs");
        return 1;
    case STEP_ROLLBACK:
        set_request(out, LWM2M_METHOD_DELETE, &s->written[s->index], NULL);
        return 1;
    case STEP_DONE:
        break;
    }
    return 0;
}

/* Moves past empty steps (no Deletes, no Writes, nothing written). */
static void skip_empty(lwm2m_bs_session *s)
{
    for (;;) {
        const lwm2m_bs_plan *plan = &s->params.config->plans[s->plan];
        if (s->step == STEP_DELETE && s->index >= plan->delete_count) {
            s->step = STEP_WRITE;
            s->index = 0;
        } else if (s->step == STEP_WRITE && s->index >= s->unit_count) {
            s->step = STEP_FINISH;
            s->index = 0;
        } else if (s->step == STEP_ROLLBACK && s->index >= s->written_count) {
            start_plan(s, s->next_plan);
            if (s->state != LWM2M_BS_SESSION_RUNNING)
                return;
        } else {
            return;
        }
    }
}

int lwm2m_bs_session_next(lwm2m_bs_session *s, lwm2m_bs_outgoing *out, int64_t now_ms)
{
    if (lwm2m_bs_session_tick(s, now_ms) != LWM2M_BS_SESSION_RUNNING || s->outstanding)
        return 0;
    skip_empty(s);
    if (s->state != LWM2M_BS_SESSION_RUNNING)
        return 0;
    int rc = build_request(s, out);
    if (rc == 1) {
        s->outstanding = true;
        s->sent_method = out->method;
        memcpy(s->sent_uri, out->uri_path, sizeof s->sent_uri);
    }
    return rc;
}

/* ---- responses --------------------------------------------------------------------------- */

static bool is_success(unsigned code)
{
    return (code >> 5) == 2;
}

static void on_discover(lwm2m_bs_session *s, unsigned code, lwm2m_format format,
                        const uint8_t *payload, size_t len)
{
    const lwm2m_bs_config *cfg = s->params.config;
    if (code == LWM2M_CODE_CONTENT &&
        (format == LWM2M_FORMAT_LINK || format == LWM2M_FORMAT_NONE)) {
        char why[160];
        int rc = lwm2m_bs_client_info_parse(payload, len, &s->info, why, sizeof why);
        if (rc == LWM2M_OK) {
            s->have_info = true;
            size_t idx = lwm2m_bs_plan_select(cfg, s->params.first_plan, &s->info, why, sizeof why);
            if (idx >= cfg->plan_count) {
                set_diag(s, "no plan fits the client: %s", why);
                s->plan = cfg->plan_count - 1;
                end(s, LWM2M_BS_SESSION_FAILED, LWM2M_BS_OUTCOME_NO_PLAN);
                return;
            }
            start_plan(s, idx);
            return;
        }
        set_diag(s, "%s", why);
        if (rc == LWM2M_ERR_NOMEM) {
            end(s, LWM2M_BS_SESSION_FAILED, LWM2M_BS_OUTCOME_INTERNAL);
            return;
        }
    } else if (is_success(code)) {
        set_diag(s, "Bootstrap-Discover answered %u.%02u in content format %u", code >> 5,
                 code & 31, (unsigned)format);
    } else {
        note_error(s, code, payload, len);
    }
    /* Auto-ID cannot place the Security instances without knowing the client's account. */
    if (cfg->auto_id_security) {
        end(s, LWM2M_BS_SESSION_FAILED, LWM2M_BS_OUTCOME_REQUEST_FAILED);
        return;
    }
    start_plan(s, s->params.first_plan);
}

static void on_delete(lwm2m_bs_session *s, unsigned code, const uint8_t *payload, size_t len)
{
    const lwm2m_path *p = s->step == STEP_DELETE
                              ? &s->params.config->plans[s->plan].deletes[s->index]
                              : &s->written[s->index];
    s->index++;
    /* 4.04: nothing there to delete, which is what the Delete wanted. */
    if (is_success(code) || code == LWM2M_CODE_NOT_FOUND)
        return;
    note_error(s, code, payload, len);
    /* A failed Delete / leaves unknown instances the plan's writes would mix with. */
    if (s->step == STEP_DELETE && p->len == 0)
        end(s, LWM2M_BS_SESSION_FAILED, LWM2M_BS_OUTCOME_REQUEST_FAILED);
}

static void note_written(lwm2m_bs_session *s, const write_unit *u)
{
    for (size_t i = u->first; i < u->first + u->count; i++) {
        lwm2m_path inst = lwm2m_path_truncate(&s->recs[i].path, 2);
        if (s->written_count > 0 && lwm2m_path_equal(&s->written[s->written_count - 1], &inst))
            continue; /* records are sorted: an instance's records are adjacent */
        s->written[s->written_count++] = inst;
    }
}

static void on_write(lwm2m_bs_session *s, unsigned code, const uint8_t *payload, size_t len)
{
    const write_unit *u = &s->units[s->index++];
    if (code == LWM2M_CODE_CHANGED || code == LWM2M_CODE_CREATED)
        note_written(s, u);
    else
        note_error(s, code, payload, len);
}

static void on_finish(lwm2m_bs_session *s, unsigned code, const uint8_t *payload, size_t len)
{
    if (code == LWM2M_CODE_CHANGED) {
        end(s, LWM2M_BS_SESSION_SUCCEEDED, LWM2M_BS_OUTCOME_SUCCESS);
        return;
    }
    if (len > 0)
        copy_text(s->diag, sizeof s->diag, payload, len);
    else
        set_diag(s, "Bootstrap-Finish answered %u.%02u", code >> 5, code & 31);
    /* Plans are only ever taken forward, so none is tried twice. */
    size_t next = lwm2m_bs_plan_select(s->params.config, s->plan + 1, info_of(s), NULL, 0);
    if (next >= s->params.config->plan_count) {
        end(s, LWM2M_BS_SESSION_FAILED, LWM2M_BS_OUTCOME_FINISH_REJECTED);
        return;
    }
    s->next_plan = next;
    s->step = STEP_ROLLBACK;
    s->index = 0;
}

void lwm2m_bs_session_on_response(lwm2m_bs_session *s, unsigned code, lwm2m_format format,
                                  const uint8_t *payload, size_t len, int64_t now_ms)
{
    if (lwm2m_bs_session_tick(s, now_ms) != LWM2M_BS_SESSION_RUNNING || !s->outstanding)
        return;
    s->outstanding = false;
    s->operations++;
    static const uint8_t nothing[1] = {0};
    if (payload == NULL) {
        payload = nothing; /* the parsers below never see a NULL buffer */
        len = 0;
    }
    switch (s->step) {
    case STEP_DISCOVER:
        on_discover(s, code, format, payload, len);
        break;
    case STEP_DELETE:
    case STEP_ROLLBACK:
        on_delete(s, code, payload, len);
        break;
    case STEP_WRITE:
        on_write(s, code, payload, len);
        break;
    case STEP_FINISH:
        on_finish(s, code, payload, len);
        break;
    case STEP_DONE:
        break;
    }
}

void lwm2m_bs_session_on_failure(lwm2m_bs_session *s, int64_t now_ms)
{
    if (lwm2m_bs_session_tick(s, now_ms) != LWM2M_BS_SESSION_RUNNING || !s->outstanding)
        return;
    set_diag(s, "%s %s: no answer", method_name(s->sent_method), s->sent_uri);
    end(s, LWM2M_BS_SESSION_FAILED, LWM2M_BS_OUTCOME_REQUEST_FAILED);
}

void lwm2m_bs_status_after_session(struct lwm2m_bs_endpoint_status *st, lwm2m_bs_outcome outcome,
                                   size_t plan, const char *diagnostic, int64_t now_s)
{
    st->sessions++;
    st->updated_s = now_s;
    snprintf(st->outcome, sizeof st->outcome, "%s", lwm2m_bs_outcome_name(outcome));
    snprintf(st->diagnostic, sizeof st->diagnostic, "%s", diagnostic ? diagnostic : "");
    st->next_plan = (uint32_t)plan;
    if (outcome == LWM2M_BS_OUTCOME_SUCCESS)
        st->failed = false;
    else if (outcome == LWM2M_BS_OUTCOME_FINISH_REJECTED || outcome == LWM2M_BS_OUTCOME_NO_PLAN)
        st->failed = true;
}
