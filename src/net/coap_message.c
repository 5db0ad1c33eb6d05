#include "net/coap_message.h"

#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lwm2m/coap_code.h"
#include "lwm2m/error.h"

static lwm2m_format uint_option(const coap_pdu_t *pdu, coap_option_num_t num)
{
    coap_opt_iterator_t it;
    coap_opt_t *opt = coap_check_option(pdu, num, &it);
    if (opt == NULL)
        return LWM2M_FORMAT_NONE;
    return (lwm2m_format)coap_decode_var_bytes(coap_opt_value(opt), coap_opt_length(opt));
}

int lwm2m_net_request_from_pdu(const coap_pdu_t *pdu, const coap_string_t *query,
                               lwm2m_net_scratch *scratch, lwm2m_request *out)
{
    memset(out, 0, sizeof *out);
    out->method = (unsigned)coap_pdu_get_code(pdu);
    /* Uri-Path options, each prefixed with '/'; none means "/". */
    size_t n = 0;
    coap_opt_iterator_t it;
    coap_opt_filter_t filter;
    coap_option_filter_clear(&filter);
    coap_option_filter_set(&filter, COAP_OPTION_URI_PATH);
    coap_option_iterator_init(pdu, &it, &filter);
    coap_opt_t *opt;
    while ((opt = coap_option_next(&it)) != NULL) {
        size_t len = coap_opt_length(opt);
        if (n + 1 + len >= sizeof scratch->path)
            return LWM2M_ERR_INVALID;
        scratch->path[n++] = '/';
        memcpy(scratch->path + n, coap_opt_value(opt), len);
        n += len;
    }
    if (n == 0)
        scratch->path[n++] = '/';
    scratch->path[n] = '\0';
    out->uri_path = scratch->path;
    out->uri_path_len = n;
    if (query != NULL && query->length > 0) {
        if (query->length >= sizeof scratch->query)
            return LWM2M_ERR_INVALID;
        memcpy(scratch->query, query->s, query->length);
        scratch->query[query->length] = '\0';
        out->query = scratch->query;
        out->query_len = query->length;
    }
    out->format = uint_option(pdu, COAP_OPTION_CONTENT_FORMAT);
    out->accept = uint_option(pdu, COAP_OPTION_ACCEPT);
    coap_opt_t *obs = coap_check_option(pdu, COAP_OPTION_OBSERVE, &it);
    if (obs != NULL && out->method == LWM2M_METHOD_GET) {
        unsigned v = coap_decode_var_bytes(coap_opt_value(obs), coap_opt_length(obs));
        out->observe = v == 0   ? LWM2M_OBSERVE_REGISTER
                       : v == 1 ? LWM2M_OBSERVE_CANCEL
                                : LWM2M_OBSERVE_NONE;
    }
    /* With COAP_BLOCK_SINGLE_BODY, libcoap hands over a block-wise body reassembled. */
    size_t len = 0, offset = 0, total = 0;
    const uint8_t *data = NULL;
    if (coap_get_data_large(pdu, &len, &data, &offset, &total) && offset == 0) {
        out->payload = data;
        out->payload_len = len;
    }
    return LWM2M_OK;
}

void lwm2m_net_response_to_pdu(const lwm2m_response *resp, coap_pdu_t *pdu)
{
    coap_pdu_set_code(pdu, (coap_pdu_code_t)resp->code);
    size_t len = resp->payload.len <= resp->payload.cap ? resp->payload.len : 0;
    if (resp->format != LWM2M_FORMAT_NONE && len > 0) {
        uint8_t buf[4];
        coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT,
                        coap_encode_var_safe(buf, sizeof buf, (unsigned)resp->format), buf);
    }
    if (len > 0)
        coap_add_data(pdu, len, resp->payload.data);
}

coap_session_t *lwm2m_net_session_for_uri(coap_context_t *ctx, const char *uri,
                                          const uint8_t *psk_identity, size_t identity_len,
                                          const uint8_t *psk_key, size_t key_len)
{
    coap_uri_t parsed;
    if (coap_split_uri((const uint8_t *)uri, strlen(uri), &parsed) != 0)
        return NULL;
    bool psk = psk_key != NULL && key_len > 0;
    if (parsed.scheme != (psk ? COAP_URI_SCHEME_COAPS : COAP_URI_SCHEME_COAP))
        return NULL;
    char host[256];
    if (parsed.host.length == 0 || parsed.host.length >= sizeof host)
        return NULL;
    memcpy(host, parsed.host.s, parsed.host.length);
    host[parsed.host.length] = '\0';
    char port[8];
    snprintf(port, sizeof port, "%u", (unsigned)parsed.port);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    if (getaddrinfo(host, port, &hints, &res) != 0 || res == NULL)
        return NULL;
    coap_address_t dst;
    coap_address_init(&dst);
    if (res->ai_addrlen > sizeof dst.addr) {
        freeaddrinfo(res);
        return NULL;
    }
    memcpy(&dst.addr, res->ai_addr, res->ai_addrlen);
    dst.size = res->ai_addrlen;
    freeaddrinfo(res);
    if (!psk)
        return coap_new_client_session(ctx, NULL, &dst, COAP_PROTO_UDP);
    coap_dtls_cpsk_t setup;
    memset(&setup, 0, sizeof setup);
    setup.version = COAP_DTLS_CPSK_SETUP_VERSION;
    setup.psk_info.identity.s = psk_identity;
    setup.psk_info.identity.length = identity_len;
    setup.psk_info.key.s = psk_key;
    setup.psk_info.key.length = key_len;
    return coap_new_client_session_psk2(ctx, NULL, &dst, COAP_PROTO_DTLS, &setup);
}

coap_pdu_t *lwm2m_net_new_request(coap_session_t *s, unsigned method, const char *path,
                                  lwm2m_format format, lwm2m_format accept, const char *query,
                                  const uint8_t *payload, size_t payload_len, uint8_t *token,
                                  size_t *token_len)
{
    coap_pdu_t *pdu = coap_pdu_init(COAP_MESSAGE_CON, (coap_pdu_code_t)method,
                                    coap_new_message_id(s), coap_session_max_pdu_size(s));
    if (pdu == NULL)
        return NULL;
    coap_session_new_token(s, token_len, token);
    if (!coap_add_token(pdu, *token_len, token))
        goto fail;
    /* Options in ascending number: Uri-Path (11), Content-Format (12), Uri-Query (15),
     * Accept (17). */
    for (const char *p = path; p != NULL && *p != '\0';) {
        if (*p == '/')
            p++;
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 0 && coap_add_option(pdu, COAP_OPTION_URI_PATH, len, (const uint8_t *)p) == 0)
            goto fail;
        p = end;
    }
    if (format != LWM2M_FORMAT_NONE) {
        uint8_t buf[4];
        if (coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT,
                            coap_encode_var_safe(buf, sizeof buf, (unsigned)format), buf) == 0)
            goto fail;
    }
    for (const char *q = query; q != NULL && *q != '\0';) {
        const char *end = strchr(q, '&');
        size_t len = end ? (size_t)(end - q) : strlen(q);
        if (len > 0 && coap_add_option(pdu, COAP_OPTION_URI_QUERY, len, (const uint8_t *)q) == 0)
            goto fail;
        q = end ? end + 1 : NULL;
    }
    if (accept != LWM2M_FORMAT_NONE) {
        uint8_t buf[4];
        if (coap_add_option(pdu, COAP_OPTION_ACCEPT,
                            coap_encode_var_safe(buf, sizeof buf, (unsigned)accept), buf) == 0)
            goto fail;
    }
    if (payload_len > 0 && !coap_add_data(pdu, payload_len, payload))
        goto fail;
    return pdu;
fail:
    coap_delete_pdu(pdu);
    return NULL;
}

void lwm2m_net_location_path(const coap_pdu_t *pdu, char *buf, size_t cap)
{
    size_t n = 0;
    coap_opt_iterator_t it;
    coap_opt_filter_t filter;
    coap_option_filter_clear(&filter);
    coap_option_filter_set(&filter, COAP_OPTION_LOCATION_PATH);
    coap_option_iterator_init(pdu, &it, &filter);
    coap_opt_t *opt;
    while ((opt = coap_option_next(&it)) != NULL) {
        size_t len = coap_opt_length(opt);
        if (n + 1 + len >= cap)
            break;
        buf[n++] = '/';
        memcpy(buf + n, coap_opt_value(opt), len);
        n += len;
    }
    if (cap > 0)
        buf[n < cap ? n : cap - 1] = '\0';
}

int lwm2m_net_add_observe(coap_pdu_t *pdu, uint32_t seq)
{
    uint8_t buf[4];
    size_t len = coap_encode_var_safe(buf, sizeof buf, seq & 0xFFFFFFu);
    return coap_add_option(pdu, COAP_OPTION_OBSERVE, len, buf) == 0 ? -1 : 0;
}

int lwm2m_net_add_location_path(coap_pdu_t *pdu, const char *path)
{
    for (const char *p = path; p != NULL && *p != '\0';) {
        if (*p == '/')
            p++;
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 0 &&
            coap_add_option(pdu, COAP_OPTION_LOCATION_PATH, len, (const uint8_t *)p) == 0)
            return -1;
        p = end;
    }
    return 0;
}

coap_pdu_t *lwm2m_net_new_notification(coap_session_t *s, const uint8_t *token, size_t token_len,
                                       bool observe, uint32_t seq, const lwm2m_response *resp)
{
    coap_pdu_t *pdu = coap_pdu_init(COAP_MESSAGE_CON, (coap_pdu_code_t)resp->code,
                                    coap_new_message_id(s), coap_session_max_pdu_size(s));
    if (pdu == NULL)
        return NULL;
    size_t len = resp->payload.len <= resp->payload.cap ? resp->payload.len : 0;
    /* Options in ascending number: Observe (6), Content-Format (12). */
    if (!coap_add_token(pdu, token_len, token) || (observe && lwm2m_net_add_observe(pdu, seq) != 0))
        goto fail;
    if (resp->format != LWM2M_FORMAT_NONE && len > 0) {
        uint8_t buf[4];
        if (coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT,
                            coap_encode_var_safe(buf, sizeof buf, (unsigned)resp->format),
                            buf) == 0)
            goto fail;
    }
    if (len > 0 && !coap_add_data(pdu, len, resp->payload.data))
        goto fail;
    return pdu;
fail:
    coap_delete_pdu(pdu);
    return NULL;
}
