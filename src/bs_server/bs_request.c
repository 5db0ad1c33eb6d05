/* The Bootstrap Server's reading of a Bootstrap-Request: its query and who may send it. */
#include <stdio.h>
#include <string.h>

#include "lwm2m/bs_session.h"
#include "lwm2m/coap_code.h"
#include "lwm2m/error.h"
#include "core/numtext.h"

static unsigned refuse(unsigned code, char *diag, size_t diaglen, const char *msg)
{
    if (diag && diaglen)
        snprintf(diag, diaglen, "%s", msg);
    return code;
}

static bool is_bootstrap_write_format(uint64_t f)
{
    return f == LWM2M_FORMAT_TLV || f == LWM2M_FORMAT_SENML_JSON || f == LWM2M_FORMAT_SENML_CBOR ||
           f == LWM2M_FORMAT_LWM2M_JSON || f == LWM2M_FORMAT_LWM2M_CBOR;
}

unsigned lwm2m_bs_request_parse(const char *query, size_t len, lwm2m_bs_request_info *out,
                                char *diag, size_t diaglen)
{
    memset(out, 0, sizeof(*out));
    out->pct = LWM2M_FORMAT_NONE;
    bool have_ep = false, have_pct = false;
    size_t pos = 0;
    while (query && pos < len) {
        const char *param = query + pos;
        const char *amp = memchr(param, '&', len - pos);
        size_t plen = amp ? (size_t)(amp - param) : len - pos;
        pos += plen + 1;
        const char *eq = memchr(param, '=', plen);
        size_t klen = eq ? (size_t)(eq - param) : plen;
        const char *val = eq ? eq + 1 : param + plen;
        size_t vlen = eq ? plen - klen - 1 : 0;
        if (klen == 2 && memcmp(param, "ep", 2) == 0) {
            if (have_ep)
                return refuse(LWM2M_CODE_BAD_REQUEST, diag, diaglen, "ep given twice");
            if (vlen == 0)
                return refuse(LWM2M_CODE_BAD_REQUEST, diag, diaglen, "empty endpoint name");
            if (vlen > LWM2M_ENDPOINT_MAX)
                return refuse(LWM2M_CODE_BAD_REQUEST, diag, diaglen, "endpoint name too long");
            for (size_t i = 0; i < vlen; i++) {
                unsigned char ch = (unsigned char)val[i];
                if (ch < 0x20 || ch == 0x7f)
                    return refuse(LWM2M_CODE_BAD_REQUEST, diag, diaglen,
                                  "control character in endpoint name");
            }
            memcpy(out->endpoint, val, vlen);
            out->endpoint[vlen] = '\0';
            have_ep = true;
        } else if (klen == 3 && memcmp(param, "pct", 3) == 0) {
            uint64_t f = 0;
            if (have_pct)
                return refuse(LWM2M_CODE_BAD_REQUEST, diag, diaglen, "pct given twice");
            if (vlen == 0 || lwm2m_parse_u64(val, vlen, &f) != LWM2M_OK || f > 65534)
                return refuse(LWM2M_CODE_BAD_REQUEST, diag, diaglen,
                              "pct is not a content-format number");
            if (!is_bootstrap_write_format(f)) {
                if (diag && diaglen)
                    snprintf(diag, diaglen, "pct %u cannot carry bootstrap writes", (unsigned)f);
                return LWM2M_CODE_UNSUPPORTED_FORMAT;
            }
            out->pct = (lwm2m_format)f;
            have_pct = true;
        } else if (klen == 0) {
            return refuse(LWM2M_CODE_BAD_REQUEST, diag, diaglen, "empty query parameter");
        }
        /* Other parameters (imei=..., 1.2 attributes) are the caller's to keep. */
    }
    return 0;
}

unsigned lwm2m_bs_request_authorize(const lwm2m_bs_config *cfg, const uint8_t *identity,
                                    size_t identity_len, char *diag, size_t diaglen)
{
    if (cfg->psk_identity_len == 0) {
        if (identity == NULL)
            return 0;
        /* A secure client the configuration has no credentials for: the handshake only
         * succeeded with some other endpoint's identity. */
        return refuse(LWM2M_CODE_BAD_REQUEST, diag, diaglen, "identity not bound to this endpoint");
    }
    if (identity == NULL)
        return refuse(LWM2M_CODE_BAD_REQUEST, diag, diaglen,
                      "endpoint has credentials, request came over NoSec");
    if (identity_len != cfg->psk_identity_len ||
        memcmp(identity, cfg->psk_identity, identity_len) != 0)
        return refuse(LWM2M_CODE_BAD_REQUEST, diag, diaglen, "identity not bound to this endpoint");
    return 0;
}
