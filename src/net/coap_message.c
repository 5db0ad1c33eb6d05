#include "net/coap_message.h"

#include <string.h>

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
    size_t len = 0;
    const uint8_t *data = NULL;
    if (coap_get_data(pdu, &len, &data)) {
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
