/* The footprint driver: a minimal LwM2M 1.1 client (Security, Server and Device objects, one
 * server account, TLV) run through a whole bootstrap and the Register request in memory,
 * through the sans-I/O API only. It feeds the client the requests a Bootstrap Server sends
 * (Bootstrap-Discover, Bootstrap-Delete /0 and /1, Bootstrap-Write of /0/1 and /1/1 in TLV,
 * Bootstrap-Finish), commits, then builds the Register query and payload. Every response
 * is checked, so the linker keeps what a real client runs. Prints the heap in use at each
 * step (heap_count.c) and exits non-zero when any step fails. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "heap_count.h"
#include "lwm2m/bs_client.h"
#include "lwm2m/coap_code.h"
#include "lwm2m/error.h"
#include "lwm2m/model.h"
#include "lwm2m/objdef.h"
#include "lwm2m/registration.h"

#define ENDPOINT "urn:imei:490154203237518"

/* TLV (OMA TS Core §7.4.3) of /0/1: URI, Bootstrap-Server false, PSK mode, identity, empty
 * server public key, 16-byte key, SSID 101. Type byte 0xC0 | length (< 8) or 0xC8 with an
 * 8-bit length byte: a resource with a value and an 8-bit id. */
static const uint8_t security_tlv[] = {
    0xC8, 0,    27,   'c',  'o',  'a',  'p',  's',  ':',  '/',  '/',  'd',  'm',  '.',  'e',  'x',
    'a',  'm',  'p',  'l',  'e',  '.',  'c',  'o',  'm',  ':',  '5',  '6',  '8',  '4', /* /0/1/0 */
    0xC1, 1,    0, /* /0/1/1 false */
    0xC1, 2,    0, /* /0/1/2 PSK */
    0xC8, 3,    24,   'u',  'r',  'n',  ':',  'i',  'm',  'e',  'i',  ':',  '4',  '9',  '0',  '1',
    '5',  '4',  '2',  '0',  '3',  '2',  '3',  '7',  '5',  '1',  '8', /* /0/1/3 identity */
    0xC0, 4,                                                         /* /0/1/4 empty */
    0xC8, 5,    16,   0x6c, 0x77, 0x6d, 0x32, 0x6d, 0x2d, 0x62, 0x65, 0x6e, 0x63, 0x68, 0x2d, 0x6b,
    0x65, 0x79, 0x21, /* /0/1/5 key */
    0xC1, 10,   101,  /* /0/1/10 SSID */
};

/* TLV of /1/1: SSID 101, lifetime 86400 (4-byte integer), notification storing, binding U. */
static const uint8_t server_tlv[] = {
    0xC1, 0, 101,                    /* /1/1/0 */
    0xC4, 1, 0x00, 0x01, 0x51, 0x80, /* /1/1/1 */
    0xC1, 6, 1,                      /* /1/1/6 */
    0xC1, 7, 'U',                    /* /1/1/7 */
};

typedef struct step {
    unsigned method;
    const char *path;
    lwm2m_format format, accept;
    const uint8_t *payload;
    size_t len;
    unsigned want;
} step;

static const step steps[] = {
    {LWM2M_METHOD_GET, "/", LWM2M_FORMAT_NONE, LWM2M_FORMAT_LINK, NULL, 0, LWM2M_CODE_CONTENT},
    {LWM2M_METHOD_DELETE, "/0", LWM2M_FORMAT_NONE, LWM2M_FORMAT_NONE, NULL, 0, LWM2M_CODE_DELETED},
    {LWM2M_METHOD_DELETE, "/1", LWM2M_FORMAT_NONE, LWM2M_FORMAT_NONE, NULL, 0, LWM2M_CODE_DELETED},
    {LWM2M_METHOD_PUT, "/0/1", LWM2M_FORMAT_TLV, LWM2M_FORMAT_NONE, security_tlv,
     sizeof security_tlv, LWM2M_CODE_CHANGED},
    {LWM2M_METHOD_PUT, "/1/1", LWM2M_FORMAT_TLV, LWM2M_FORMAT_NONE, server_tlv, sizeof server_tlv,
     LWM2M_CODE_CHANGED},
    {LWM2M_METHOD_POST, "/bs", LWM2M_FORMAT_NONE, LWM2M_FORMAT_NONE, NULL, 0, LWM2M_CODE_CHANGED},
};

static int set(lwm2m_model *m, lwm2m_path p, lwm2m_value v)
{
    return lwm2m_model_set(m, &p, &v);
}

/* Objects 0, 1 and 3 and what the device holds from the factory: the Bootstrap-Server
 * account (NoSec) and the Device object. */
static int factory(lwm2m_model *m)
{
    static const uint16_t objects[] = {0, 1, 3};
    for (size_t i = 0; i < sizeof objects / sizeof objects[0]; i++) {
        const lwm2m_object_def *d = lwm2m_objdef_builtin(objects[i], NULL);
        if (d == NULL || lwm2m_model_add_object(m, d, NULL) != LWM2M_OK)
            return -1;
    }
    if (set(m, lwm2m_path_res(0, 0, 0), lwm2m_value_str("coap://bs.example.com:5683")) ||
        set(m, lwm2m_path_res(0, 0, 1), lwm2m_value_bool(true)) ||
        set(m, lwm2m_path_res(0, 0, 2), lwm2m_value_int(LWM2M_SECURITY_NOSEC)) ||
        set(m, lwm2m_path_res(3, 0, 0), lwm2m_value_str("ACME")) ||
        set(m, lwm2m_path_res(3, 0, 1), lwm2m_value_str("min-client")) ||
        set(m, lwm2m_path_res(3, 0, 2), lwm2m_value_str("490154203237518")) ||
        set(m, lwm2m_path_res(3, 0, 16), lwm2m_value_str("U")))
        return -1;
    return 0;
}

static void report(const char *what)
{
    heap_stats h = heap_get();
    printf("heap %-22s in_use %6zu B in %3zu blocks, peak %6zu B, %4zu allocations\n", what,
           h.in_use, h.blocks, h.peak, h.allocations);
}

static int bootstrap(lwm2m_bs_client *c, uint8_t *out, size_t cap)
{
    char query[128];
    lwm2m_buf q = lwm2m_buf_init(query, sizeof query - 1);
    if (lwm2m_bs_request_query(ENDPOINT, "1.1", LWM2M_FORMAT_TLV, &q) != LWM2M_OK)
        return -1;
    query[q.len] = '\0';
    printf("POST /bs?%s\n", query);
    if (lwm2m_bs_client_begin(c, 0) != LWM2M_OK)
        return -1;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        const step *s = &steps[i];
        lwm2m_request req;
        memset(&req, 0, sizeof req);
        req.method = s->method;
        req.uri_path = s->path;
        req.uri_path_len = strlen(s->path);
        req.format = s->format;
        req.accept = s->accept;
        req.payload = s->payload;
        req.payload_len = s->len;
        lwm2m_response resp;
        resp.payload = lwm2m_buf_init(out, cap - 1);
        lwm2m_bs_client_handle(c, &req, (int64_t)(i + 1) * 100, &resp);
        size_t n = resp.payload.len < cap ? resp.payload.len : cap - 1;
        out[n] = '\0';
        printf("%s %s -> %u.%02u %s\n",
               s->method == LWM2M_METHOD_GET      ? "GET"
               : s->method == LWM2M_METHOD_DELETE ? "DELETE"
               : s->method == LWM2M_METHOD_PUT    ? "PUT"
                                                  : "POST",
               s->path, resp.code >> 5, resp.code & 31, (const char *)out);
        if (resp.code != s->want)
            return -1;
    }
    if (lwm2m_bs_client_state(c) != LWM2M_BS_FINISHED || lwm2m_bs_client_commit(c, 1000) != 0)
        return -1;
    return 0;
}

static int do_register(lwm2m_model *m, uint8_t *out, size_t cap)
{
    lwm2m_server_account acc[2];
    if (lwm2m_server_accounts(m, acc, 2) != 1)
        return -1;
    char query[160];
    lwm2m_buf q = lwm2m_buf_init(query, sizeof query - 1);
    lwm2m_buf p = lwm2m_buf_init(out, cap - 1);
    if (lwm2m_register_query(ENDPOINT, "1.1", &acc[0], &q) != LWM2M_OK ||
        lwm2m_register_payload(m, "1.1", &p) != LWM2M_OK)
        return -1;
    query[q.len] = '\0';
    out[p.len] = '\0';
    printf("POST %s /rd?%s\n%s\nupdate after %lld ms\n", acc[0].uri, query, (const char *)out,
           (long long)lwm2m_register_update_at(&acc[0], 0));
    return 0;
}

int main(void)
{
    uint8_t out[512];
    int status = 1;
    lwm2m_bs_client *c = NULL;
    lwm2m_model *m = lwm2m_model_new();
    if (m == NULL || factory(m) != 0)
        goto done;
    report("factory model");
    lwm2m_bs_client_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.caps.max_server_accounts = 1;
    cfg.caps.security_modes = 1u << LWM2M_SECURITY_PSK | 1u << LWM2M_SECURITY_NOSEC;
    cfg.caps.schemes = LWM2M_SCHEME_COAP | LWM2M_SCHEME_COAPS;
    cfg.lwm2m_version = "1.1";
    cfg.read_format = LWM2M_FORMAT_TLV;
    c = lwm2m_bs_client_new(m, &cfg);
    if (c == NULL)
        goto done;
    heap_reset_peak();
    if (bootstrap(c, out, sizeof out) != 0)
        goto done;
    report("after bootstrap");
    heap_reset_peak();
    if (do_register(m, out, sizeof out) != 0)
        goto done;
    report("after register");
    status = 0;
done:
    lwm2m_bs_client_free(c);
    lwm2m_model_free(m);
    report("after free");
    if (status != 0)
        fprintf(stderr, "min-client: bootstrap or register failed\n");
    return status;
}
