/* The client side of the Registration interface, sans-I/O: which server accounts to register
 * with, and the Register request's query and payload. */
#ifndef LWM2M_REGISTRATION_H
#define LWM2M_REGISTRATION_H

#include <stddef.h>
#include <stdint.h>

#include "lwm2m/buf.h"
#include "lwm2m/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One LwM2M Server account of the configuration (Security + Server sharing an SSID). */
typedef struct lwm2m_server_account {
    uint16_t ssid;
    uint16_t security_iid;
    uint16_t server_iid;
    int64_t lifetime_s; /* /1/x/1 */
    int64_t security_mode;
    char uri[256];    /* /0/x/0, NUL-terminated */
    char binding[16]; /* /1/x/7 */
} lwm2m_server_account;

/* The server accounts of `m`, in SSID order of the Security instances. Accounts whose URI or
 * binding do not fit are skipped. Returns the number found (at most `cap` are written). */
size_t lwm2m_server_accounts(const lwm2m_model *m, lwm2m_server_account *out, size_t cap);

/* The Register query: "ep=NAME&lt=LIFETIME&lwm2m=VERSION&b=BINDING". */
int lwm2m_register_query(const char *endpoint, const char *lwm2m_version,
                         const lwm2m_server_account *account, lwm2m_buf *out);

/* The Register (and Update) payload: the object list of lwm2m_model_discover's register mode,
 * after (LwM2M 1.1 and later) the root link announcing the content formats the client encodes:
 * '</>;rt="oma.lwm2m";ct=110' for 1.1 (one value allowed: the preferred format), and
 * '</>;rt="oma.lwm2m";ct="110 112 11542 11543 11544"' for 1.2 (a list). Nothing extra for 1.0.
 * LWM2M_ERR_OVERFLOW when `out` is too small (out->len tells the size needed). */
int lwm2m_register_payload(lwm2m_model *m, const char *lwm2m_version, lwm2m_buf *out);

/* When to send the Update: 90 % of the lifetime after `now_ms` (at least 1 s later); a
 * lifetime of 0 (infinite) gives INT64_MAX. */
int64_t lwm2m_register_update_at(const lwm2m_server_account *account, int64_t now_ms);

#ifdef __cplusplus
}
#endif
#endif
