/* Client-initiated bootstrap: the request's query, the hold-off and the back-off. */
#include <string.h>

#include "lwm2m/bs_client.h"
#include "lwm2m/error.h"

int lwm2m_bs_request_query(const char *endpoint, const char *lwm2m_version, lwm2m_format pct,
                           lwm2m_buf *out)
{
    size_t len = endpoint ? strlen(endpoint) : 0;
    if (len == 0)
        return LWM2M_ERR_INVALID;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)endpoint[i];
        /* '&' and '=' would break the query's own syntax once joined. */
        if (ch <= ' ' || ch >= 0x7f || ch == '&' || ch == '=')
            return LWM2M_ERR_INVALID;
    }
    bool v10 = lwm2m_version == NULL || strcmp(lwm2m_version, "1.0") == 0;
    bool v12 = lwm2m_version != NULL && lwm2m_version_compare(lwm2m_version, "1.2") >= 0;
    if (pct != LWM2M_FORMAT_NONE && !v10) {
        /* The preferred format must be one the client can then decode. */
        bool allowed = pct == LWM2M_FORMAT_TLV || pct == LWM2M_FORMAT_SENML_JSON ||
                       pct == LWM2M_FORMAT_SENML_CBOR || (v12 && pct == LWM2M_FORMAT_LWM2M_CBOR);
        if (!allowed || !lwm2m_format_available(pct))
            return LWM2M_ERR_UNSUPPORTED;
    }
    lwm2m_buf_puts(out, "ep=");
    lwm2m_buf_put(out, endpoint, len);
    if (pct != LWM2M_FORMAT_NONE && !v10)
        lwm2m_buf_printf(out, "&pct=%u", (unsigned)pct);
    return lwm2m_buf_overflowed(out) ? LWM2M_ERR_OVERFLOW : LWM2M_OK;
}

int64_t lwm2m_bs_request_not_before(const lwm2m_model *live, int64_t now_ms)
{
    size_t n = lwm2m_model_instance_count(live, 0);
    for (size_t i = 0; i < n; i++) {
        uint16_t iid = lwm2m_model_instance_id_at(live, 0, i);
        if (!lwm2m_model_is_bootstrap_account(live, iid))
            continue;
        int64_t hold_off = 0;
        lwm2m_path p = lwm2m_path_res(0, iid, 11);
        if (lwm2m_model_get_int(live, &p, &hold_off) == LWM2M_OK && hold_off > 0) {
            if (hold_off > INT32_MAX)
                hold_off = INT32_MAX;
            return now_ms + hold_off * 1000;
        }
        break;
    }
    return now_ms;
}

int64_t lwm2m_bs_retry_delay_ms(uint32_t attempt, uint32_t base_s, uint32_t max_s, uint32_t random)
{
    uint64_t delay = base_s;
    for (uint32_t i = 0; i < attempt && delay < max_s; i++)
        delay *= 2;
    if (delay > max_s)
        delay = max_s;
    uint64_t ms = delay * 1000u;
    /* Jitter spreads a fleet that lost its Bootstrap Server at the same moment. */
    uint64_t jitter = ms / 2 == 0 ? 0 : (uint64_t)random % (ms / 2 + 1);
    return (int64_t)(ms + jitter);
}

int64_t lwm2m_bs_account_purge_at(const lwm2m_model *live, int64_t finished_ms)
{
    size_t n = lwm2m_model_instance_count(live, 0);
    for (size_t i = 0; i < n; i++) {
        uint16_t iid = lwm2m_model_instance_id_at(live, 0, i);
        int64_t timeout = 0;
        lwm2m_path p = lwm2m_path_res(0, iid, 12);
        if (lwm2m_model_is_bootstrap_account(live, iid) &&
            lwm2m_model_get_int(live, &p, &timeout) == LWM2M_OK && timeout > 0)
            return finished_ms + (timeout > INT32_MAX ? INT32_MAX : timeout) * 1000;
    }
    return INT64_MAX;
}

size_t lwm2m_bs_account_purge(lwm2m_model *live)
{
    size_t removed = 0;
    for (size_t i = lwm2m_model_instance_count(live, 0); i-- > 0;) {
        uint16_t iid = lwm2m_model_instance_id_at(live, 0, i);
        lwm2m_path p = lwm2m_path_inst(0, iid);
        /* A DM-mode delete: the bootstrap protection does not apply to the purge itself. */
        if (lwm2m_model_is_bootstrap_account(live, iid) &&
            lwm2m_model_delete(live, &p, LWM2M_DELETE_DM) == LWM2M_OK)
            removed++;
    }
    return removed;
}
