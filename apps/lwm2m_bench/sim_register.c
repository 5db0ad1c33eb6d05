/* After a bootstrap with --register: Register with the first server account the bootstrap
 * wrote (SSID 101 of the seeded configuration, in SSID order) and De-register right away, as
 * lwm2m-client does at start-up and at SIGTERM. */
#include <stdio.h>
#include <string.h>

#include "lwm2m/coap_code.h"
#include "lwm2m/consistency.h"
#include "lwm2m/error.h"
#include "run.h"

#define MAX_ACCOUNTS 4
#define LINKS_MAX    2048

static void send_register(bench_sim *s)
{
    lwm2m_server_account acc[MAX_ACCOUNTS];
    size_t n = lwm2m_server_accounts(s->model, acc, MAX_ACCOUNTS);
    if (n == 0 || acc[0].security_mode != LWM2M_SECURITY_NOSEC) {
        bench_sim_fail(s, BENCH_CAUSE_REGISTER, 0, "no NoSec server account to register with");
        return;
    }
    if (bench_sim_open(s, BENCH_LINK_REG, acc[0].uri, acc[0].uri) != 0)
        return;
    char query[BENCH_NAME_MAX + 96];
    uint8_t links[LINKS_MAX];
    lwm2m_buf q = lwm2m_buf_init(query, sizeof query - 1);
    lwm2m_buf payload = lwm2m_buf_init(links, sizeof links);
    if (lwm2m_register_query(s->endpoint, BENCH_LWM2M_VERSION, &acc[0], &q) != LWM2M_OK ||
        lwm2m_register_payload(s->model, BENCH_LWM2M_VERSION, &payload) != LWM2M_OK) {
        bench_sim_fail(s, BENCH_CAUSE_INTERNAL, 0, "cannot build the Register request");
        return;
    }
    query[q.len] = '\0';
    bench_request req = {LWM2M_METHOD_POST, "/rd", LWM2M_FORMAT_LINK, query, links, payload.len};
    s->reg_start_us = bench_now_us();
    s->reg_exchanges = 1;
    s->phase = SIM_REGISTERING;
    bench_sim_send(s, BENCH_LINK_REG, &req);
}

void bench_register_step(bench_sim *s)
{
    if (s->phase == SIM_REGISTER) {
        send_register(s);
    } else if (s->phase == SIM_DEREGISTER) {
        bench_request req = {LWM2M_METHOD_DELETE, s->location, LWM2M_FORMAT_NONE, NULL, NULL, 0};
        s->reg_exchanges++;
        s->phase = SIM_DEREGISTERING;
        bench_sim_send(s, BENCH_LINK_REG, &req);
    }
}

void bench_register_response(bench_sim *s, const bench_reply *reply)
{
    unsigned code = reply->code;
    char why[sizeof s->location + 64];
    if (s->phase == SIM_REGISTERING) {
        if (code == LWM2M_CODE_CREATED && reply->location != NULL)
            snprintf(s->location, sizeof s->location, "%s", reply->location);
        if (code != LWM2M_CODE_CREATED || s->location[0] == '\0') {
            snprintf(why, sizeof why, "Register answered %u.%02u%s", code >> 5, code & 31,
                     code == LWM2M_CODE_CREATED ? " without a location" : "");
            bench_sim_fail(s, BENCH_CAUSE_REGISTER, code, why);
            return;
        }
        s->phase = SIM_DEREGISTER;
        bench_sim_queue(s);
    } else if (s->phase == SIM_DEREGISTERING) {
        if (code != LWM2M_CODE_DELETED) {
            snprintf(why, sizeof why, "De-register %s answered %u.%02u", s->location, code >> 5,
                     code & 31);
            bench_sim_fail(s, BENCH_CAUSE_DEREGISTER, code, why);
            return;
        }
        s->reg_end_us = bench_now_us();
        s->phase = SIM_DONE;
        bench_sim_queue(s);
    }
}
