/* The lwm2m-server's event streams (apps/lwm2m_server/events.c) against a stand-in for the few
 * libmicrohttpd calls they make: what the content reader writes, when a stream suspends and
 * resumes, the bounded queue with its drop report, the endpoint filter, keep-alives, the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../apps/lwm2m_server/events.c"

/* ---- the stand-in for libmicrohttpd ------------------------------------------------------- */

struct MHD_Connection {
    int suspends, resumes;
    bool suspended;
    int fd;
    union MHD_ConnectionInfo info;
    struct MHD_Response *response; /* the queued one */
    unsigned status;
};

struct MHD_Response {
    MHD_ContentReaderCallback crc;
    void *cls;
    MHD_ContentReaderFreeCallback crfc;
    bool destroyed, queued;
};

void MHD_suspend_connection(struct MHD_Connection *connection)
{
    assert_false(connection->suspended);
    connection->suspended = true;
    connection->suspends++;
}

void MHD_resume_connection(struct MHD_Connection *connection)
{
    assert_true(connection->suspended);
    connection->suspended = false;
    connection->resumes++;
}

const union MHD_ConnectionInfo *MHD_get_connection_info(struct MHD_Connection *connection,
                                                        enum MHD_ConnectionInfoType info_type, ...)
{
    assert_int_equal(info_type, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (connection->fd < 0)
        return NULL;
    connection->info.connect_fd = connection->fd;
    return &connection->info;
}

struct MHD_Response *MHD_create_response_from_callback(uint64_t size, size_t block_size,
                                                       MHD_ContentReaderCallback crc, void *crc_cls,
                                                       MHD_ContentReaderFreeCallback crfc)
{
    assert_true(size == MHD_SIZE_UNKNOWN);
    assert_true(block_size > 0);
    struct MHD_Response *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->crc = crc;
    r->cls = crc_cls;
    r->crfc = crfc;
    return r;
}

enum MHD_Result MHD_add_response_header(struct MHD_Response *response, const char *header,
                                        const char *content)
{
    (void)response;
    if (strcmp(header, MHD_HTTP_HEADER_CONTENT_TYPE) == 0)
        assert_string_equal(content, "text/event-stream");
    return MHD_YES;
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *connection, unsigned int status_code,
                                   struct MHD_Response *response)
{
    connection->response = response;
    connection->status = status_code;
    response->queued = true;
    return MHD_YES;
}

void MHD_destroy_response(struct MHD_Response *response)
{
    response->destroyed = true; /* the connection keeps it until it ends (end_connection) */
    if (!response->queued) {
        response->crfc(response->cls);
        free(response);
    }
}

/* The connection ends: libmicrohttpd drops the response, whose free callback runs. */
static void end_connection(struct MHD_Connection *c)
{
    struct MHD_Response *r = c->response;
    c->response = NULL;
    r->crfc(r->cls);
    free(r);
}

/* One read of at most `max` bytes into `out` (NUL-terminated); the reader's return value. */
static ssize_t read_some(struct MHD_Connection *c, char *out, size_t max)
{
    ssize_t n = c->response->crc(c->response->cls, 0, out, max);
    out[n > 0 ? n : 0] = '\0';
    return n;
}

static struct MHD_Connection *open_stream(srv_events *ev, const char *endpoint)
{
    struct MHD_Connection *c = calloc(1, sizeof *c);
    assert_non_null(c);
    c->fd = -1;
    assert_int_equal(srv_events_open(ev, c, endpoint), MHD_YES);
    assert_int_equal(c->status, MHD_HTTP_OK);
    char buf[256];
    assert_true(read_some(c, buf, sizeof buf - 1) > 0);
    assert_string_equal(buf, ": lwm2m-server events\n\n");
    return c;
}

static void close_stream(struct MHD_Connection *c)
{
    end_connection(c);
    free(c);
}

/* ---- tests -------------------------------------------------------------------------------- */

static void idle_stream_suspends_and_events_resume_it(void **state)
{
    (void)state;
    srv_events *ev = srv_events_new(0);
    assert_non_null(ev);
    struct MHD_Connection *c = open_stream(ev, NULL);
    assert_int_equal(srv_events_count(ev), 1);
    char buf[512];
    /* Nothing to say: 0 with the connection suspended, not a busy loop. */
    assert_int_equal(read_some(c, buf, sizeof buf - 1), 0);
    assert_true(c->suspended);
    assert_int_equal(c->suspends, 1);
    srv_events_publish(ev, "registered", "dev1", "{\"endpoint\":\"dev1\"}");
    assert_false(c->suspended);
    assert_int_equal(c->resumes, 1);
    assert_int_equal(read_some(c, buf, sizeof buf - 1), 45);
    assert_string_equal(buf, "event: registered\ndata: {\"endpoint\":\"dev1\"}\n\n");
    /* A second event while not suspended: queued, no resume needed. */
    assert_int_equal(read_some(c, buf, sizeof buf - 1), 0);
    assert_int_equal(c->suspends, 2);
    /* A keep-alive timer not due yet: the tick leaves the stream alone. */
    assert_true(srv_events_tick(ev) > 0);
    assert_true(c->suspended);
    close_stream(c);
    assert_int_equal(srv_events_count(ev), 0);
    srv_events_free(ev);
}

static void full_queue_drops_the_oldest_and_says_so(void **state)
{
    (void)state;
    srv_events *ev = srv_events_new(3);
    struct MHD_Connection *c = open_stream(ev, NULL);
    char buf[1024];
    assert_int_equal(read_some(c, buf, sizeof buf - 1), 0);
    for (int i = 1; i <= 5; i++) {
        char json[32];
        snprintf(json, sizeof json, "{\"n\":%d}", i);
        srv_events_publish(ev, "notification", "dev1", json);
    }
    assert_int_equal(c->resumes, 1); /* resumed once, not once per event */
    assert_true(read_some(c, buf, sizeof buf - 1) > 0);
    assert_string_equal(buf, ": 2 event(s) dropped: reader too slow\n\n"
                             "event: notification\ndata: {\"n\":3}\n\n"
                             "event: notification\ndata: {\"n\":4}\n\n"
                             "event: notification\ndata: {\"n\":5}\n\n");
    assert_int_equal(read_some(c, buf, sizeof buf - 1), 0);
    close_stream(c);
    srv_events_free(ev);
}

static void small_reads_split_events(void **state)
{
    (void)state;
    srv_events *ev = srv_events_new(0);
    struct MHD_Connection *c = open_stream(ev, NULL);
    srv_events_publish(ev, "updated", "dev1", "{\"a\":1}");
    srv_events_publish(ev, "updated", "dev1", "{\"b\":2}");
    char all[256] = "", piece[8];
    ssize_t n;
    while ((n = read_some(c, piece, 5)) > 0) {
        assert_true(n <= 5);
        strcat(all, piece);
    }
    assert_string_equal(all, "event: updated\ndata: {\"a\":1}\n\n"
                             "event: updated\ndata: {\"b\":2}\n\n");
    assert_true(c->suspended);
    close_stream(c);
    srv_events_free(ev);
}

static void endpoint_filter(void **state)
{
    (void)state;
    srv_events *ev = srv_events_new(0);
    struct MHD_Connection *one = open_stream(ev, "dev1");
    struct MHD_Connection *all = open_stream(ev, "");
    char buf[256];
    assert_int_equal(read_some(one, buf, sizeof buf - 1), 0);
    assert_int_equal(read_some(all, buf, sizeof buf - 1), 0);
    srv_events_publish(ev, "registered", "dev2", "{}");
    assert_true(one->suspended); /* not for it: left alone */
    assert_false(all->suspended);
    srv_events_publish(ev, "registered", "dev1", "{}");
    assert_false(one->suspended);
    assert_true(read_some(one, buf, sizeof buf - 1) > 0);
    assert_string_equal(buf, "event: registered\ndata: {}\n\n");
    assert_true(read_some(all, buf, sizeof buf - 1) > 0);
    assert_string_equal(buf, "event: registered\ndata: {}\n\nevent: registered\ndata: {}\n\n");
    close_stream(one);
    close_stream(all);
    srv_events_free(ev);
}

static void newlines_in_json_stay_on_the_data_line(void **state)
{
    (void)state;
    srv_events *ev = srv_events_new(0);
    struct MHD_Connection *c = open_stream(ev, NULL);
    srv_events_publish(ev, "updated", "dev1", "{\n\"a\":\r\n1}");
    char buf[256];
    assert_true(read_some(c, buf, sizeof buf - 1) > 0);
    assert_string_equal(buf, "event: updated\ndata: { \"a\":  1}\n\n");
    close_stream(c);
    srv_events_free(ev);
}

static void keep_alive_after_silence(void **state)
{
    (void)state;
    srv_events *ev = srv_events_new(0);
    struct MHD_Connection *c = open_stream(ev, NULL);
    char buf[256];
    assert_int_equal(read_some(c, buf, sizeof buf - 1), 0);
    stream *s = c->response->cls;
    s->last_write_ms -= SRV_EVENTS_KEEPALIVE_MS;      /* 15 s of silence */
    assert_int_equal(srv_events_tick(ev), INT64_MAX); /* nothing else due: the stream runs */
    assert_false(c->suspended);
    assert_true(read_some(c, buf, sizeof buf - 1) > 0);
    assert_string_equal(buf, ": keep-alive\n\n");
    assert_int_equal(read_some(c, buf, sizeof buf - 1), 0);
    int64_t next = srv_events_tick(ev);
    assert_true(next > SRV_EVENTS_KEEPALIVE_MS - 2000 || next <= GONE_CHECK_MS);
    close_stream(c);
    srv_events_free(ev);
}

static void peer_gone_ends_a_suspended_stream(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    srv_events *ev = srv_events_new(0);
    struct MHD_Connection *c = open_stream(ev, NULL);
    c->fd = sv[0];
    char buf[64];
    assert_int_equal(read_some(c, buf, sizeof buf - 1), 0);
    assert_false(srv_connection_gone(c));
    ev->next_gone_check_ms = 0;
    srv_events_tick(ev);
    assert_true(c->suspended); /* still there */
    close(sv[1]);
    assert_true(srv_connection_gone(c));
    ev->next_gone_check_ms = 0;
    srv_events_tick(ev);
    assert_false(c->suspended);
    assert_int_equal(read_some(c, buf, sizeof buf - 1), MHD_CONTENT_READER_END_OF_STREAM);
    close(sv[0]);
    close_stream(c);
    srv_events_free(ev);
}

static void close_all_ends_every_stream(void **state)
{
    (void)state;
    srv_events *ev = srv_events_new(0);
    struct MHD_Connection *a = open_stream(ev, NULL);
    struct MHD_Connection *b = open_stream(ev, "dev1");
    char buf[64];
    assert_int_equal(read_some(a, buf, sizeof buf - 1), 0);
    srv_events_close_all(ev);
    assert_false(a->suspended);
    assert_int_equal(read_some(a, buf, sizeof buf - 1), MHD_CONTENT_READER_END_OF_STREAM);
    assert_int_equal(read_some(b, buf, sizeof buf - 1), MHD_CONTENT_READER_END_OF_STREAM);
    /* Events after the end are not queued. */
    srv_events_publish(ev, "registered", "dev1", "{}");
    stream *s = b->response->cls;
    assert_int_equal(s->count, 0);
    close_stream(a);
    close_stream(b);
    assert_int_equal(srv_events_count(ev), 0);
    srv_events_free(ev);
}

static void queued_events_are_freed_with_the_stream(void **state)
{
    (void)state;
    srv_events *ev = srv_events_new(4);
    struct MHD_Connection *c = open_stream(ev, NULL);
    for (int i = 0; i < 10; i++)
        srv_events_publish(ev, "updated", "dev1", "{\"x\":\"some text\"}");
    close_stream(c); /* the leak checker of the sanitizer build says whether all went */
    srv_events_publish(ev, "updated", "dev1", "{}"); /* no stream: nothing happens */
    assert_int_equal(srv_events_tick(ev), INT64_MAX);
    srv_events_free(ev);
    srv_events_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(idle_stream_suspends_and_events_resume_it),
        cmocka_unit_test(full_queue_drops_the_oldest_and_says_so),
        cmocka_unit_test(small_reads_split_events),
        cmocka_unit_test(endpoint_filter),
        cmocka_unit_test(newlines_in_json_stay_on_the_data_line),
        cmocka_unit_test(keep_alive_after_silence),
        cmocka_unit_test(peer_gone_ends_a_suspended_stream),
        cmocka_unit_test(close_all_ends_every_stream),
        cmocka_unit_test(queued_events_are_freed_with_the_stream),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
