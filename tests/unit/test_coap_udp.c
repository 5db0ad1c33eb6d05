/* The Bootstrap Server's CoAP-over-UDP endpoint (src/net/coap_udp.c) against itself over real
 * sockets on 127.0.0.1: endpoint A sends requests, endpoint B answers them, and a relay socket
 * between them drops, duplicates or resets datagrams on demand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lwm2m/coap_code.h"
#include "net/coap_udp.h"

typedef enum relay_action { PASS, DROP, RESET } relay_action;

typedef struct fixture {
    lwm2m_udp_endpoint *a, *b;
    lwm2m_udp_peer *to_b; /* A's peer: the relay's A-facing address */
    int relay_a, relay_b; /* the relay: A-facing socket and B-facing socket */
    struct sockaddr_in a_addr, b_addr;
    bool a_known;
    /* what the relay does with the next datagrams in each direction */
    relay_action to_b_next[8], to_a_next[8];
    size_t to_b_count, to_a_count;
    /* B's side */
    unsigned b_requests;
    size_t b_block1_bytes;
    uint8_t *b_body; /* the body B answers with (Block2 when large) */
    size_t b_body_len;
    /* A's side */
    unsigned responses, failures;
    unsigned last_code;
    uint8_t last_payload[8192];
    size_t last_len;
} fixture;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void b_on_request(void *ctx, lwm2m_udp_peer *peer, const lwm2m_coap_msg *req,
                         lwm2m_udp_reply *reply)
{
    (void)peer;
    fixture *f = ctx;
    f->b_requests++;
    lwm2m_coap_block b1;
    if (lwm2m_coap_get_block(req, LWM2M_COAP_OPT_BLOCK1, &b1) == 1) {
        f->b_block1_bytes += req->payload_len;
        reply->code = b1.more ? LWM2M_COAP_CODE(2, 31) : LWM2M_CODE_CHANGED;
        return;
    }
    reply->code = LWM2M_CODE_CONTENT;
    reply->format = LWM2M_FORMAT_OPAQUE;
    if (f->b_body != NULL) {
        reply->body = f->b_body;
        reply->len = f->b_body_len;
    } else {
        reply->body = req->payload; /* echo */
        reply->len = req->payload_len;
    }
}

static void b_on_response(void *ctx, lwm2m_udp_peer *peer, uint32_t id, unsigned code,
                          lwm2m_format format, const uint8_t *payload, size_t len)
{
    (void)ctx, (void)peer, (void)id, (void)code, (void)format, (void)payload, (void)len;
    fail_msg("B sent no request");
}

static void b_on_failure(void *ctx, lwm2m_udp_peer *peer, uint32_t id)
{
    (void)ctx, (void)peer, (void)id;
    fail_msg("B sent no request");
}

static void a_on_request(void *ctx, lwm2m_udp_peer *peer, const lwm2m_coap_msg *req,
                         lwm2m_udp_reply *reply)
{
    (void)ctx, (void)peer, (void)req, (void)reply;
    fail_msg("A serves nothing");
}

static void a_on_response(void *ctx, lwm2m_udp_peer *peer, uint32_t id, unsigned code,
                          lwm2m_format format, const uint8_t *payload, size_t len)
{
    (void)peer, (void)id, (void)format;
    fixture *f = ctx;
    f->responses++;
    f->last_code = code;
    assert_true(len <= sizeof f->last_payload);
    if (len > 0)
        memcpy(f->last_payload, payload, len);
    f->last_len = len;
}

static void a_on_failure(void *ctx, lwm2m_udp_peer *peer, uint32_t id)
{
    (void)peer, (void)id;
    ((fixture *)ctx)->failures++;
}

static int bound_socket(struct sockaddr_in *addr)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    assert_true(fd >= 0);
    memset(addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)addr, sizeof *addr), 0);
    socklen_t len = sizeof *addr;
    assert_int_equal(getsockname(fd, (struct sockaddr *)addr, &len), 0);
    return fd;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    char err[200];
    lwm2m_udp_options oa = {"127.0.0.1:0", false, 0, 0, 0, 0};
    lwm2m_udp_handlers ha = {f, a_on_request, a_on_response, a_on_failure};
    lwm2m_udp_handlers hb = {f, b_on_request, b_on_response, b_on_failure};
    f->a = lwm2m_udp_endpoint_new(&oa, &ha, err, sizeof err);
    f->b = lwm2m_udp_endpoint_new(&oa, &hb, err, sizeof err);
    assert_non_null(f->a);
    assert_non_null(f->b);
    struct sockaddr_in ra, rb;
    f->relay_a = bound_socket(&ra);
    f->relay_b = bound_socket(&rb);
    memset(&f->b_addr, 0, sizeof f->b_addr);
    f->b_addr.sin_family = AF_INET;
    f->b_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    f->b_addr.sin_port = htons(lwm2m_udp_port(f->b));
    char where[64];
    snprintf(where, sizeof where, "127.0.0.1:%u", ntohs(ra.sin_port));
    f->to_b = lwm2m_udp_peer_at(f->a, where, err, sizeof err);
    assert_non_null(f->to_b);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    lwm2m_udp_peer_release(f->a, f->to_b);
    lwm2m_udp_endpoint_free(f->a);
    lwm2m_udp_endpoint_free(f->b);
    close(f->relay_a);
    close(f->relay_b);
    free(f);
    return 0;
}

static relay_action next_action(relay_action *list, size_t *count)
{
    if (*count == 0)
        return PASS;
    relay_action a = list[0];
    memmove(list, list + 1, (*count - 1) * sizeof *list);
    (*count)--;
    return a;
}

/* Moves what waits on the relay's sockets, applying the scripted actions. */
static void relay(fixture *f)
{
    uint8_t buf[2048];
    struct sockaddr_in from;
    socklen_t len = sizeof from;
    ssize_t n;
    while ((n = recvfrom(f->relay_a, buf, sizeof buf, 0, (struct sockaddr *)&from, &len)) > 0) {
        f->a_addr = from;
        f->a_known = true;
        relay_action act = next_action(f->to_b_next, &f->to_b_count);
        if (act == PASS) {
            sendto(f->relay_b, buf, (size_t)n, 0, (struct sockaddr *)&f->b_addr, sizeof f->b_addr);
        } else if (act == RESET) { /* answer the CON in B's place with a RST */
            uint8_t rst[4] = {0x70, 0, buf[2], buf[3]};
            sendto(f->relay_a, rst, sizeof rst, 0, (struct sockaddr *)&from, len);
        }
        len = sizeof from;
    }
    while ((n = recvfrom(f->relay_b, buf, sizeof buf, 0, NULL, NULL)) > 0)
        if (next_action(f->to_a_next, &f->to_a_count) == PASS && f->a_known)
            sendto(f->relay_a, buf, (size_t)n, 0, (struct sockaddr *)&f->a_addr, sizeof f->a_addr);
}

/* Runs everything until A has seen `responses` answers plus failures, or `limit_ms` passed. */
static void run_until(fixture *f, unsigned done, int64_t limit_ms)
{
    int64_t end = now_ms() + limit_ms;
    while (f->responses + f->failures < done && now_ms() < end) {
        struct pollfd p[4] = {{lwm2m_udp_fd(f->a), POLLIN, 0},
                              {lwm2m_udp_fd(f->b), POLLIN, 0},
                              {f->relay_a, POLLIN, 0},
                              {f->relay_b, POLLIN, 0}};
        poll(p, 4, 10);
        int64_t now = now_ms();
        relay(f);
        lwm2m_udp_read(f->b, now);
        relay(f);
        lwm2m_udp_read(f->a, now);
        lwm2m_udp_timers(f->a, now);
        lwm2m_udp_timers(f->b, now);
    }
}

static uint32_t send_request(fixture *f, const uint8_t *payload, size_t len)
{
    uint32_t id = lwm2m_udp_request(f->a, f->to_b, LWM2M_METHOD_PUT, "/0/1", LWM2M_FORMAT_OPAQUE,
                                    LWM2M_FORMAT_NONE, payload, len);
    assert_true(id != 0);
    lwm2m_udp_flush(f->a);
    return id;
}

static void test_echo(void **state)
{
    fixture *f = *state;
    send_request(f, (const uint8_t *)"hello", 5);
    run_until(f, 1, 2000);
    assert_int_equal(f->responses, 1);
    assert_int_equal(f->last_code, LWM2M_CODE_CONTENT);
    assert_int_equal(f->last_len, 5);
    assert_memory_equal(f->last_payload, "hello", 5);
}

/* 70,000 requests in a row to one peer: message IDs wrap around 65535 and every request is
 * answered once, none taken for a retransmission. */
static void test_message_id_wraps(void **state)
{
    fixture *f = *state;
    const unsigned total = 70000;
    for (unsigned i = 0; i < total; i++) {
        uint8_t body[4] = {(uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i};
        send_request(f, body, sizeof body);
        run_until(f, i + 1, 2000);
        assert_int_equal(f->responses, i + 1);
        assert_memory_equal(f->last_payload, body, sizeof body);
    }
    assert_int_equal(f->b_requests, total);
    lwm2m_udp_stats s;
    lwm2m_udp_get_stats(f->b, &s);
    assert_int_equal(s.duplicates, 0);
}

/* A lost request is sent again after ACK_TIMEOUT (2-3 s) and answered. */
static void test_lost_request_retransmitted(void **state)
{
    fixture *f = *state;
    f->to_b_next[f->to_b_count++] = DROP;
    int64_t t0 = now_ms();
    send_request(f, (const uint8_t *)"x", 1);
    run_until(f, 1, 6000);
    int64_t took = now_ms() - t0;
    assert_int_equal(f->responses, 1);
    assert_true(took >= 1900 && took < 3500);
    assert_int_equal(f->b_requests, 1);
    lwm2m_udp_stats s;
    lwm2m_udp_get_stats(f->a, &s);
    assert_int_equal(s.retransmitted, 1);
}

/* A lost answer: the retransmitted request gets the cached answer, the handler is not called
 * again. */
static void test_lost_answer_served_from_cache(void **state)
{
    fixture *f = *state;
    f->to_a_next[f->to_a_count++] = DROP;
    send_request(f, (const uint8_t *)"once", 4);
    run_until(f, 1, 6000);
    assert_int_equal(f->responses, 1);
    assert_int_equal(f->b_requests, 1);
    assert_memory_equal(f->last_payload, "once", 4);
    lwm2m_udp_stats s;
    lwm2m_udp_get_stats(f->b, &s);
    assert_int_equal(s.duplicates, 1);
}

static void test_reset_fails_request(void **state)
{
    fixture *f = *state;
    f->to_b_next[f->to_b_count++] = RESET;
    send_request(f, (const uint8_t *)"x", 1);
    run_until(f, 1, 2000);
    assert_int_equal(f->failures, 1);
    assert_int_equal(f->responses, 0);
    assert_int_equal(f->b_requests, 0);
}

/* A body of 5000 bytes goes in five Block1 blocks (2.31 Continue after each but the last). */
static void test_block1(void **state)
{
    fixture *f = *state;
    uint8_t body[5000];
    for (size_t i = 0; i < sizeof body; i++)
        body[i] = (uint8_t)(i * 7);
    send_request(f, body, sizeof body);
    run_until(f, 1, 3000);
    assert_int_equal(f->responses, 1);
    assert_int_equal(f->last_code, LWM2M_CODE_CHANGED);
    assert_int_equal(f->b_requests, 5);
    assert_int_equal(f->b_block1_bytes, sizeof body);
}

/* An answer of 3000 bytes comes in Block2 slices and is handed over whole. */
static void test_block2(void **state)
{
    fixture *f = *state;
    static uint8_t big[3000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 13 + 1);
    f->b_body = big;
    f->b_body_len = sizeof big;
    send_request(f, NULL, 0);
    run_until(f, 1, 3000);
    assert_int_equal(f->responses, 1);
    assert_int_equal(f->last_code, LWM2M_CODE_CONTENT);
    assert_int_equal(f->last_len, sizeof big);
    assert_memory_equal(f->last_payload, big, sizeof big);
    assert_int_equal(f->b_requests, 3);
}

/* A cancelled request's late answer is ignored. */
static void test_cancel(void **state)
{
    fixture *f = *state;
    uint32_t id = send_request(f, (const uint8_t *)"x", 1);
    lwm2m_udp_cancel(f->a, f->to_b, id);
    run_until(f, 1, 300);
    assert_int_equal(f->responses, 0);
    assert_int_equal(f->failures, 0);
    assert_int_equal(f->b_requests, 1);
    lwm2m_udp_stats s;
    lwm2m_udp_get_stats(f->a, &s);
    assert_int_equal(s.unmatched, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_echo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_message_id_wraps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lost_request_retransmitted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lost_answer_served_from_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_fails_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_block1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_block2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
