/* `observe` and `events`: commands that follow the server's event stream until a count, a
 * duration, or SIGINT/SIGTERM ends them. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "app_loop.h"
#include "cli_internal.h"

static int open_events(cli *o, const char *ep, lwm2m_http_stream **st)
{
    char target[TARGET_MAX] = "/api/events", enc[3 * EP_MAX + 1];
    if (ep != NULL) {
        cli_pct_encode(ep, enc);
        snprintf(target, sizeof target, "/api/events?endpoint=%s", enc);
    }
    char err[300];
    lwm2m_http_response head;
    lwm2m_http_request req = {"GET", target, "text/event-stream",   NULL,
                              NULL,  0,      cli_wait_ms(o, false), o->cancel_fd};
    int rc = lwm2m_http_stream_open(&o->url, &req, st, &head, err, sizeof err);
    if (rc == LWM2M_HTTP_CANCELLED)
        return 0; /* Ctrl-C while connecting: *st stays NULL, nothing more to do */
    if (rc != 0)
        return cli_transport_error(o, rc, err, req.timeout_ms);
    if (*st == NULL) {
        cJSON *j = cJSON_ParseWithLength(head.body ? head.body : "", head.body_len);
        rc = cli_status_error(o, head.status, j, head.body ? head.body : "", head.body_len);
        cJSON_Delete(j);
        lwm2m_http_response_free(&head);
        return rc;
    }
    if (strncmp(head.content_type, "text/event-stream", 17) != 0) {
        cli_fail(o, "bad answer from the API at %s: '%s' is not an event stream", o->api,
                 head.content_type);
        lwm2m_http_stream_close(*st);
        *st = NULL;
        return EXIT_UNREACHABLE;
    }
    return 0;
}

/* How a stream ended, as an exit status (0 for the endings the user asked for). */
static int stream_end(const cli *o, int rc, const char *err)
{
    switch (rc) {
    case LWM2M_HTTP_STOPPED:
    case LWM2M_HTTP_CANCELLED:
    case LWM2M_HTTP_DEADLINE:
        return 0;
    case LWM2M_HTTP_END:
        cli_fail(o, "the API at %s closed the event stream", o->api);
        return EXIT_UNREACHABLE;
    default:
        return cli_transport_error(o, rc, err, 0);
    }
}

typedef struct events_ctx {
    int64_t count, seen;
} events_ctx;

static int on_event(void *ctx, const char *event, const char *data, size_t len)
{
    events_ctx *e = ctx;
    cJSON *j = cJSON_ParseWithLength(data, len);
    const char *ep = cli_json_str(j, "endpoint");
    printf("%s %s ", event, ep ? ep : "-");
    if (memchr(data, '\n', len) == NULL)
        fwrite(data, 1, len, stdout);
    else if (j != NULL)
        cli_print_compact(stdout, j);
    else
        for (size_t k = 0; k < len; k++)
            fputc(data[k] == '\n' ? ' ' : data[k], stdout);
    fputc('\n', stdout);
    fflush(stdout);
    cJSON_Delete(j);
    e->seen++;
    return e->count >= 0 && e->seen >= e->count;
}

/* SIGINT and SIGTERM on o->cancel_fd while a stream runs, so that it can stop cleanly: the
 * descriptor, or -1 with the failure printed. */
static int watch_signals(cli *o, sigset_t *old)
{
    int sfd = lwm2m_app_signals_open(old);
    if (sfd < 0)
        cli_fail(o, "cannot set up signals: %s", strerror(errno));
    o->cancel_fd = sfd;
    return sfd;
}

/* Hands the stream's events to `fn` until it stops, --duration passes or a signal comes: the
 * result of lwm2m_http_stream_sse. */
static int follow(const cli *o, lwm2m_http_stream *st, lwm2m_http_sse_fn fn, void *ctx, char *err,
                  size_t errlen)
{
    int64_t deadline = o->duration_s >= 0 ? lwm2m_http_now_ms() + o->duration_s * 1000 : -1;
    return lwm2m_http_stream_sse(st, deadline, o->cancel_fd, fn, ctx, err, errlen);
}

int cli_cmd_events(cli *o, char **args, int nargs)
{
    (void)args;
    (void)nargs;
    snprintf(o->what, sizeof o->what, "events");
    if (o->endpoint != NULL && !cli_parse_ep_arg(o->endpoint)) {
        cli_fail(o, "bad --endpoint (1 to %d bytes)", EP_MAX - 1);
        return EXIT_USAGE;
    }
    sigset_t old;
    int sfd = watch_signals(o, &old);
    if (sfd < 0)
        return EXIT_FAILED;
    lwm2m_http_stream *st = NULL;
    int rc = open_events(o, o->endpoint, &st);
    if (rc == 0 && st != NULL) {
        char err[300];
        events_ctx e = {o->count, 0};
        rc = stream_end(o, follow(o, st, on_event, &e, err, sizeof err), err);
    }
    lwm2m_http_stream_close(st);
    o->cancel_fd = -1;
    lwm2m_app_signals_close(sfd, &old);
    return rc;
}

typedef struct observe_ctx {
    cli *o;
    const dm_target *t;
    char id[64]; /* the observation's id as text, "" when the answer named none */
    int64_t seen;
    int status; /* the exit status when a notification or an event ended it */
    bool ended; /* the observation is gone on the server's side: no cancel */
} observe_ctx;

/* "observation": a number (or a string) as text in id[64]. */
static bool obs_id(const cJSON *j, char id[64])
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "observation");
    if (cJSON_IsNumber(v))
        snprintf(id, 64, "%.0f", v->valuedouble);
    else if (cJSON_IsString(v) && v->valuestring[0] != '\0')
        snprintf(id, 64, "%s", v->valuestring);
    else
        return false;
    return true;
}

static int on_notification(void *ctx, const char *event, const char *data, size_t len)
{
    observe_ctx *c = ctx;
    cJSON *j = cJSON_ParseWithLength(data, len);
    const char *ep = cli_json_str(j, "endpoint");
    int stop = 0;
    char id[sizeof c->id];
    if (j == NULL || ep == NULL || strcmp(ep, c->t->ep) != 0) {
        /* not ours */
    } else if (strcmp(event, "deregistered") == 0 || strcmp(event, "expired") == 0 ||
               strcmp(event, "registered") == 0) {
        /* A new registration drops the observations of the old one, as an end does. */
        cli_fail(c->o, "the endpoint %s; the observation is gone", event);
        c->status = EXIT_FAILED;
        c->ended = true;
        stop = 1;
    } else if (strcmp(event, "notification") != 0) {
        /* updated: nothing to do */
    } else if (c->id[0] ? obs_id(j, id) && strcmp(id, c->id) == 0
                        : cli_json_str(j, "path") &&
                              strcmp(cli_json_str(j, "path"), c->t->path_str) == 0) {
        if (c->o->json) {
            cli_print_raw(data, len);
            fflush(stdout);
        }
        int rc = cli_dm_outcome(c->o, j);
        if (rc == 0)
            rc = cli_undecodable(c->o, j);
        if (rc != 0) {
            /* An error notification ends the observation at the client. */
            c->status = rc;
            c->ended = true;
            stop = 1;
        } else {
            if (!c->o->json)
                cli_print_content(j);
            c->seen++;
            stop = c->o->count >= 0 && c->seen >= c->o->count;
        }
    }
    cJSON_Delete(j);
    return stop;
}

/* Sends the Observe and prints the first value; c->id gets the observation's id.
 * *established: an observation may exist (to be cancelled); *interrupted: Ctrl-C came first
 * (status 0 then). */
static int observe_start(cli *o, const char *target, observe_ctx *c, bool *established,
                         bool *interrupted)
{
    answer a;
    int rc = cli_call(o, "POST", target, NULL, NULL, true, &a);
    /* Interrupted while waiting: the observation may exist, cancel it in any case. */
    *interrupted = a.cancelled;
    *established = rc == 0 || a.cancelled;
    if (rc == 0 && !cJSON_IsObject(a.json)) {
        cli_fail(o, "bad answer from the API at %s: not a JSON object", o->api);
        rc = EXIT_UNREACHABLE;
    }
    if (rc == 0 && o->json)
        cli_print_raw(a.resp.body, a.resp.body_len);
    if (rc == 0 && (rc = cli_dm_outcome(o, a.json)) != 0)
        *established = false;
    if (rc == 0)
        rc = cli_undecodable(o, a.json);
    if (rc == 0 && !o->json)
        cli_print_content(a.json);
    if (rc == 0 && !obs_id(a.json, c->id))
        c->id[0] = '\0';
    fflush(stdout);
    cli_answer_free(&a);
    return *interrupted ? 0 : rc;
}

int cli_cmd_observe(cli *o, char **args, int nargs)
{
    (void)nargs;
    dm_target t;
    char target[TARGET_MAX], what[sizeof o->what];
    int rc = cli_dm_args(o, "observe", args, ANY_LEVEL, &t);
    if (rc != 0 || (rc = cli_dm_target(o, &t, "/observe", NULL, target)) != 0)
        return rc;
    sigset_t old;
    int sfd = watch_signals(o, &old);
    if (sfd < 0)
        return EXIT_FAILED;
    /* The stream first: notifications that come before the Observe's answer wait in it. */
    lwm2m_http_stream *st = NULL;
    observe_ctx c = {o, &t, "", 0, 0, false};
    rc = open_events(o, t.ep, &st);
    bool established = false, interrupted = st == NULL;
    if (rc == 0 && !interrupted)
        rc = observe_start(o, target, &c, &established, &interrupted);
    if (rc == 0 && !interrupted && o->count != 0) {
        char err[300];
        int end = follow(o, st, on_notification, &c, err, sizeof err);
        rc = c.status != 0 ? c.status : stream_end(o, end, err);
    }
    lwm2m_http_stream_close(st);
    o->cancel_fd = -1;
    if (established && !c.ended) {
        memcpy(what, o->what, sizeof what);
        snprintf(o->what, sizeof o->what, "cancel %s %s", t.ep, t.path_str);
        int crc = cli_send_cancel(o, &t, true);
        memcpy(o->what, what, sizeof what);
        if (rc == 0)
            rc = crc;
    }
    lwm2m_app_signals_close(sfd, &old);
    return rc;
}
