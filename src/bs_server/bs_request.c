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

static const char *peer_mode_name(lwm2m_bs_peer_mode m)
{
    switch (m) {
    case LWM2M_BS_PEER_PSK:
        return "psk";
    case LWM2M_BS_PEER_RPK:
        return "rpk";
    case LWM2M_BS_PEER_X509:
        return "x509";
    default:
        return "nosec";
    }
}

unsigned lwm2m_bs_request_authorize_peer(const lwm2m_bs_config *cfg, const lwm2m_bs_peer *peer,
                                         char *diag, size_t diaglen)
{
    lwm2m_bs_credentials creds = lwm2m_bs_config_credentials(cfg);
    if (creds == LWM2M_BS_CREDS_NONE) {
        if (peer->mode == LWM2M_BS_PEER_NOSEC)
            return 0;
        /* A secure client the configuration has no credentials for: the handshake only
         * succeeded with some other endpoint's credentials (or an unbound certificate). */
        return refuse(LWM2M_CODE_BAD_REQUEST, diag, diaglen,
                      peer->mode == LWM2M_BS_PEER_PSK ? "identity not bound to this endpoint"
                                                      : "credentials not bound to this endpoint");
    }
    if (peer->mode == LWM2M_BS_PEER_NOSEC)
        return refuse(LWM2M_CODE_BAD_REQUEST, diag, diaglen,
                      "endpoint has credentials, request came over NoSec");
    if ((int)creds != (int)peer->mode) {
        /* lwm2m_bs_credentials and lwm2m_bs_peer_mode number the modes alike. */
        if (diag && diaglen)
            snprintf(diag, diaglen, "endpoint has %s credentials, request came over %s",
                     lwm2m_bs_credentials_name(creds), peer_mode_name(peer->mode));
        return LWM2M_CODE_BAD_REQUEST;
    }
    switch (creds) {
    case LWM2M_BS_CREDS_PSK:
        if (peer->psk_identity == NULL || peer->psk_identity_len != cfg->psk_identity_len ||
            memcmp(peer->psk_identity, cfg->psk_identity, cfg->psk_identity_len) != 0)
            return refuse(LWM2M_CODE_BAD_REQUEST, diag, diaglen,
                          "identity not bound to this endpoint");
        return 0;
    case LWM2M_BS_CREDS_RPK:
        if (peer->public_key == NULL || peer->public_key_len != cfg->public_key_len ||
            memcmp(peer->public_key, cfg->public_key, cfg->public_key_len) != 0)
            return refuse(LWM2M_CODE_BAD_REQUEST, diag, diaglen,
                          "public key not registered for this endpoint");
        return 0;
    default: {
        const char *cn = peer->cn != NULL ? peer->cn : "";
        const char *mapped = peer->cn_endpoint != NULL ? peer->cn_endpoint : "";
        if (*cn == '\0')
            return refuse(LWM2M_CODE_BAD_REQUEST, diag, diaglen, "certificate without subject CN");
        if (strcmp(cn, cfg->endpoint) == 0 || strcmp(mapped, cfg->endpoint) == 0)
            return 0;
        if (diag && diaglen) {
            if (*mapped != '\0')
                snprintf(diag, diaglen, "certificate CN '%.64s' is mapped to endpoint '%.64s'", cn,
                         mapped);
            else
                snprintf(diag, diaglen,
                         "certificate CN '%.64s' is not the endpoint name and is not mapped to it",
                         cn);
        }
        return LWM2M_CODE_BAD_REQUEST;
    }
    }
}

unsigned lwm2m_bs_request_authorize(const lwm2m_bs_config *cfg, const uint8_t *identity,
                                    size_t identity_len, char *diag, size_t diaglen)
{
    lwm2m_bs_peer peer;
    memset(&peer, 0, sizeof peer);
    if (identity != NULL) {
        peer.mode = LWM2M_BS_PEER_PSK;
        peer.psk_identity = identity;
        peer.psk_identity_len = identity_len;
    }
    return lwm2m_bs_request_authorize_peer(cfg, &peer, diag, diaglen);
}
