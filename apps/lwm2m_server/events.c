/* Server-Sent Events streams with per-stream bounded queues (see events.h). */
#include "events.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define GONE_CHECK_MS 1000 /* how often suspended streams are checked for a closed peer */
#define BLOCK_SIZE    4096

typedef struct stream stream;

struct srv_events {
    stream *head; /* every open stream */
    size_t count;
    size_t queue_max;
    int64_t next_gone_check_ms;
};

/* One GET /api/events connection. It belongs to its MHD response: freed by the response's
 * free callback, which also unlinks it. */
struct stream {
    srv_events *owner;
    stream *prev, *next;
    struct MHD_Connection *con;
    char *endpoint; /* filter, NULL: every endpoint */
    char **ring;    /* queued events, each "event: ...\n\n" */
    size_t max, first, count;
    char *cur; /* the event being written, and how much of it went */
    size_t cur_len, cur_off;
    uint64_t dropped, dropped_told;
    int64_t last_write_ms;
    bool suspended;
    bool closing;
};

int64_t srv_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool srv_connection_gone(struct MHD_Connection *con)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(con, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (info == NULL)
        return false;
    char c;
    ssize_t n = recv(info->connect_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0)
        return true; /* orderly shutdown by the peer */
    return n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
}

srv_events *srv_events_new(size_t queue_max)
{
    srv_events *ev = calloc(1, sizeof *ev);
    if (ev != NULL)
        ev->queue_max = queue_max != 0 ? queue_max : SRV_EVENTS_QUEUE_MAX;
    return ev;
}

void srv_events_free(srv_events *ev)
{
    /* Streams still linked (a daemon that failed to stop them) no longer point back here. */
    if (ev == NULL)
        return;
    for (stream *s = ev->head; s != NULL; s = s->next)
        s->owner = NULL;
    free(ev);
}

size_t srv_events_count(const srv_events *ev)
{
    return ev != NULL ? ev->count : 0;
}

static void resume(stream *s)
{
    if (s->suspended) {
        s->suspended = false;
        MHD_resume_connection(s->con);
    }
}

/* ---- the queue ---------------------------------------------------------------------------- */

static void push(stream *s, char *text)
{
    size_t max = s->max;
    if (s->count == max) {
        free(s->ring[s->first]); /* the oldest goes */
        s->first = (s->first + 1) % max;
        s->count--;
        s->dropped++;
    }
    s->ring[(s->first + s->count) % max] = text;
    s->count++;
}

static char *pop(stream *s)
{
    size_t max = s->max;
    if (s->count == 0)
        return NULL;
    char *text = s->ring[s->first];
    s->first = (s->first + 1) % max;
    s->count--;
    return text;
}

/* Makes the next piece to write current: a drop report, else the oldest event. */
static bool next_piece(stream *s)
{
    if (s->dropped > s->dropped_told) {
        char note[96];
        int n = snprintf(note, sizeof note, ": %llu event(s) dropped: reader too slow\n\n",
                         (unsigned long long)(s->dropped - s->dropped_told));
        s->cur = strdup(note);
        if (s->cur == NULL)
            return false;
        s->cur_len = (size_t)n;
        s->dropped_told = s->dropped;
    } else if ((s->cur = pop(s)) != NULL) {
        s->cur_len = strlen(s->cur);
    } else {
        return false;
    }
    s->cur_off = 0;
    return true;
}

/* ---- libmicrohttpd's side ----------------------------------------------------------------- */

static ssize_t read_stream(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    stream *s = cls;
    if (s->closing)
        return MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = 0;
    while (n < max && (s->cur != NULL || next_piece(s))) {
        size_t k = s->cur_len - s->cur_off;
        if (k > max - n)
            k = max - n;
        memcpy(buf + n, s->cur + s->cur_off, k);
        n += k;
        s->cur_off += k;
        if (s->cur_off == s->cur_len) {
            free(s->cur);
            s->cur = NULL;
        }
    }
    int64_t now = srv_now_ms();
    if (n == 0 && now - s->last_write_ms >= SRV_EVENTS_KEEPALIVE_MS) {
        static const char keep[] = ": keep-alive\n\n";
        n = sizeof keep - 1 < max ? sizeof keep - 1 : max;
        memcpy(buf, keep, n);
    }
    if (n > 0) {
        s->last_write_ms = now;
        return (ssize_t)n;
    }
    /* Nothing to say: returning 0 alone would have MHD call again at once (a busy loop in an
     * external select loop); suspended, the connection waits for srv_events_publish or
     * srv_events_tick to resume it. libmicrohttpd allows this from a content reader. */
    s->suspended = true;
    MHD_suspend_connection(s->con);
    return 0;
}

static void free_stream(void *cls)
{
    stream *s = cls;
    if (s->owner != NULL) {
        if (s->prev != NULL)
            s->prev->next = s->next;
        else
            s->owner->head = s->next;
        if (s->next != NULL)
            s->next->prev = s->prev;
        s->owner->count--;
    }
    for (size_t i = 0; i < s->count; i++)
        free(s->ring[(s->first + i) % s->max]);
    free(s->ring);
    free(s->cur);
    free(s->endpoint);
    free(s);
}

static void link_stream(srv_events *ev, stream *s)
{
    s->owner = ev;
    s->prev = NULL;
    s->next = ev->head;
    if (ev->head != NULL)
        ev->head->prev = s;
    ev->head = s;
    ev->count++;
}

enum MHD_Result srv_events_open(srv_events *ev, struct MHD_Connection *con, const char *endpoint)
{
    stream *s = calloc(1, sizeof *s);
    if (s == NULL)
        return MHD_NO;
    bool filtered = endpoint != NULL && endpoint[0] != '\0';
    s->max = ev->queue_max;
    s->ring = calloc(s->max, sizeof *s->ring);
    s->endpoint = filtered ? strdup(endpoint) : NULL;
    /* A first comment, so that the client sees the stream start at once. */
    s->cur = strdup(": lwm2m-server events\n\n");
    s->con = con;
    s->last_write_ms = srv_now_ms();
    if (s->ring == NULL || s->cur == NULL || (filtered && s->endpoint == NULL)) {
        free_stream(s);
        return MHD_NO;
    }
    s->cur_len = strlen(s->cur);
    link_stream(ev, s);
    /* From here on the response owns the stream: its free callback unlinks and frees it. */
    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, BLOCK_SIZE,
                                                                  read_stream, s, free_stream);
    if (resp == NULL) {
        free_stream(s);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    enum MHD_Result rc = MHD_queue_response(con, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return rc;
}

/* Turns `json` into the lines of an SSE event; JSON text has raw newlines only as
 * whitespace, which would end the data line: they become spaces. */
static char *format_event(const char *name, const char *json)
{
    size_t n = strlen(name) + strlen(json) + 32;
    char *text = malloc(n);
    if (text == NULL)
        return NULL;
    int head = snprintf(text, n, "event: %s\ndata: ", name);
    int len = head + snprintf(text + head, n - (size_t)head, "%s\n\n", json);
    for (int i = head; i < len - 2; i++)
        if (text[i] == '\n' || text[i] == '\r')
            text[i] = ' ';
    return text;
}

void srv_events_publish(srv_events *ev, const char *name, const char *endpoint, const char *json)
{
    if (ev == NULL || ev->head == NULL)
        return;
    char *text = format_event(name, json);
    if (text == NULL) {
        fprintf(stderr, "lwm2m-server: events: out of memory, event %s of %s lost\n", name,
                endpoint);
        return;
    }
    for (stream *s = ev->head; s != NULL; s = s->next) {
        if (s->closing || (s->endpoint != NULL && strcmp(s->endpoint, endpoint) != 0))
            continue;
        char *copy = strdup(text);
        if (copy == NULL) {
            s->dropped++; /* reported on the stream like a drop by overflow */
            continue;
        }
        push(s, copy);
        resume(s);
    }
    free(text);
}

int64_t srv_events_tick(srv_events *ev)
{
    if (ev == NULL || ev->head == NULL)
        return INT64_MAX;
    int64_t now = srv_now_ms(), next = INT64_MAX;
    bool check_gone = now >= ev->next_gone_check_ms;
    if (check_gone)
        ev->next_gone_check_ms = now + GONE_CHECK_MS;
    for (stream *s = ev->head; s != NULL; s = s->next) {
        if (!s->suspended)
            continue;
        if (check_gone && srv_connection_gone(s->con)) {
            s->closing = true;
            resume(s);
            continue;
        }
        int64_t due = s->last_write_ms + SRV_EVENTS_KEEPALIVE_MS;
        if (due <= now) {
            resume(s);
            continue;
        }
        if (due < next)
            next = due;
        if (ev->next_gone_check_ms < next)
            next = ev->next_gone_check_ms;
    }
    return next == INT64_MAX ? INT64_MAX : next - now;
}

void srv_events_close_all(srv_events *ev)
{
    if (ev == NULL)
        return;
    for (stream *s = ev->head; s != NULL; s = s->next) {
        s->closing = true;
        resume(s);
    }
}
