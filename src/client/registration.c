/* Registration interface, client side: accounts, Register query, Update timing. */
#include "lwm2m/registration.h"

#include <stdbool.h>
#include <string.h>

#include "lwm2m/codec.h"
#include "lwm2m/error.h"

static int copy_string(const lwm2m_model *m, lwm2m_path p, char *out, size_t cap)
{
    lwm2m_bytes b;
    if (lwm2m_model_get_bytes(m, &p, &b) != LWM2M_OK || b.len >= cap)
        return LWM2M_ERR_INVALID;
    memcpy(out, b.ptr, b.len);
    out[b.len] = '\0';
    return LWM2M_OK;
}

size_t lwm2m_server_accounts(const lwm2m_model *m, lwm2m_server_account *out, size_t cap)
{
    size_t found = 0;
    size_t n_sec = lwm2m_model_instance_count(m, 0), n_srv = lwm2m_model_instance_count(m, 1);
    for (size_t i = 0; i < n_sec; i++) {
        uint16_t sec = lwm2m_model_instance_id_at(m, 0, i);
        int64_t ssid;
        lwm2m_path sp = lwm2m_path_res(0, sec, 10);
        if (lwm2m_model_is_bootstrap_account(m, sec) ||
            lwm2m_model_get_int(m, &sp, &ssid) != LWM2M_OK)
            continue;
        for (size_t j = 0; j < n_srv; j++) {
            uint16_t srv = lwm2m_model_instance_id_at(m, 1, j);
            int64_t srv_ssid;
            lwm2m_path p = lwm2m_path_res(1, srv, 0);
            if (lwm2m_model_get_int(m, &p, &srv_ssid) != LWM2M_OK || srv_ssid != ssid)
                continue;
            lwm2m_server_account a;
            memset(&a, 0, sizeof a);
            a.ssid = (uint16_t)ssid;
            a.security_iid = sec;
            a.server_iid = srv;
            lwm2m_path lp = lwm2m_path_res(1, srv, 1), mp = lwm2m_path_res(0, sec, 2);
            if (lwm2m_model_get_int(m, &lp, &a.lifetime_s) != LWM2M_OK ||
                lwm2m_model_get_int(m, &mp, &a.security_mode) != LWM2M_OK ||
                copy_string(m, lwm2m_path_res(0, sec, 0), a.uri, sizeof a.uri) != LWM2M_OK ||
                copy_string(m, lwm2m_path_res(1, srv, 7), a.binding, sizeof a.binding) != LWM2M_OK)
                break;
            if (found < cap)
                out[found] = a;
            found++;
            break;
        }
    }
    return found;
}

int lwm2m_register_query(const char *endpoint, const char *lwm2m_version,
                         const lwm2m_server_account *account, lwm2m_buf *out)
{
    if (endpoint == NULL || *endpoint == '\0' || lwm2m_version == NULL)
        return LWM2M_ERR_INVALID;
    lwm2m_buf_printf(out, "ep=%s&lt=%lld&lwm2m=%s&b=%s", endpoint, (long long)account->lifetime_s,
                     lwm2m_version, account->binding);
    return lwm2m_buf_overflowed(out) ? LWM2M_ERR_OVERFLOW : LWM2M_OK;
}

/* The root link of 1.1 and later, announcing the formats this build encodes beyond the
 * mandatory text and opaque. 1.1 allows one ct value, the preferred format (the first of
 * `announced` compiled in); 1.2 a quoted, space-separated list (RFC 7252 §7.2.1). LwM2M CBOR
 * is a 1.2 format. No ct at all when none is compiled in. */
static void put_root_link(bool v12, lwm2m_buf *out)
{
    static const lwm2m_format announced[] = {LWM2M_FORMAT_SENML_JSON, LWM2M_FORMAT_SENML_CBOR,
                                             LWM2M_FORMAT_TLV, LWM2M_FORMAT_LWM2M_JSON,
                                             LWM2M_FORMAT_LWM2M_CBOR};
    lwm2m_buf_puts(out, "</>;rt=\"oma.lwm2m\"");
    size_t n = 0;
    for (size_t i = 0; i < sizeof announced / sizeof announced[0]; i++) {
        lwm2m_format f = announced[i];
        if (!lwm2m_format_available(f) || (!v12 && f == LWM2M_FORMAT_LWM2M_CBOR))
            continue;
        lwm2m_buf_puts(out, n > 0 ? " " : v12 ? ";ct=\"" : ";ct=");
        lwm2m_buf_printf(out, "%u", (unsigned)f);
        n++;
        if (!v12)
            break;
    }
    if (v12 && n > 0)
        lwm2m_buf_putc(out, '"');
}

int lwm2m_register_payload(lwm2m_model *m, const char *lwm2m_version, lwm2m_buf *out)
{
    if (lwm2m_version == NULL)
        return LWM2M_ERR_INVALID;
    if (lwm2m_version_compare(lwm2m_version, "1.1") >= 0)
        put_root_link(lwm2m_version_compare(lwm2m_version, "1.2") >= 0, out);
    size_t prefix = out->len;
    /* The object list goes after a separating comma, dropped again when the list is empty. */
    size_t at = prefix > 0 ? prefix + 1 : 0;
    lwm2m_buf list =
        lwm2m_buf_init(at < out->cap ? out->data + at : NULL, at < out->cap ? out->cap - at : 0);
    lwm2m_path root = lwm2m_path_root();
    int rc = lwm2m_model_discover(m, &root, LWM2M_DISCOVER_REGISTER, lwm2m_version, 0, &list);
    if (rc != LWM2M_OK && rc != LWM2M_ERR_OVERFLOW)
        return rc;
    if (prefix > 0 && list.len > 0)
        lwm2m_buf_putc(out, ',');
    out->len += list.len;
    return lwm2m_buf_overflowed(out) ? LWM2M_ERR_OVERFLOW : LWM2M_OK;
}

int64_t lwm2m_register_update_at(const lwm2m_server_account *account, int64_t now_ms)
{
    if (account->lifetime_s <= 0)
        return INT64_MAX;
    int64_t lifetime = account->lifetime_s > 100000000 ? 100000000 : account->lifetime_s;
    int64_t after = lifetime * 900; /* 90 % of the lifetime, in ms */
    return now_ms + (after < 1000 ? 1000 : after);
}
