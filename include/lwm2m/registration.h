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

/* When to send the Update: 90 % of the lifetime after `now_ms` (at least 1 s later); a
 * lifetime of 0 (infinite) gives INT64_MAX. */
int64_t lwm2m_register_update_at(const lwm2m_server_account *account, int64_t now_ms);

#ifdef __cplusplus
}
#endif
#endif
