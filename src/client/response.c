/* Helpers shared by the client's request handlers. */
#include "client/response.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/coap_code.h"
#include "lwm2m/error.h"

void lwm2m_reply(lwm2m_response *resp, unsigned code, const char *fmt, ...)
{
    resp->code = code;
    resp->format = LWM2M_FORMAT_NONE;
    resp->payload.len = 0;
    if (fmt == NULL)
        return;
    char text[200];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof text ? (size_t)n : sizeof text - 1;
    /* A diagnostic payload (RFC 7252 §5.5.2) that does not fit is cut, never overflowed. */
    if (len > resp->payload.cap)
        len = resp->payload.cap;
    lwm2m_buf_put(&resp->payload, text, len);
    resp->format = LWM2M_FORMAT_TEXT;
}

unsigned lwm2m_code_of_error(int err)
{
    switch (err) {
    case LWM2M_ERR_NOT_FOUND:
        return LWM2M_CODE_NOT_FOUND;
    case LWM2M_ERR_UNSUPPORTED:
        return LWM2M_CODE_UNSUPPORTED_FORMAT;
    case LWM2M_ERR_NOT_ALLOWED:
        return LWM2M_CODE_METHOD_NOT_ALLOWED;
    case LWM2M_ERR_NOMEM:
    case LWM2M_ERR_OVERFLOW:
        return LWM2M_CODE_INTERNAL_ERROR;
    default:
        return LWM2M_CODE_BAD_REQUEST;
    }
}

const char *lwm2m_query_param(const lwm2m_request *req, const char *key, size_t *len)
{
    size_t klen = strlen(key);
    size_t pos = 0;
    while (req->query != NULL && pos < req->query_len) {
        size_t end = pos;
        while (end < req->query_len && req->query[end] != '&')
            end++;
        if (end - pos > klen && memcmp(req->query + pos, key, klen) == 0 &&
            req->query[pos + klen] == '=') {
            *len = end - pos - klen - 1;
            return req->query + pos + klen + 1;
        }
        pos = end + 1;
    }
    return NULL;
}

lwm2m_type lwm2m_model_type_of(void *ctx, const lwm2m_path *res)
{
    const lwm2m_object_def *def = lwm2m_model_object_def(ctx, res->id[0]);
    const lwm2m_resource_def *rd = def ? lwm2m_objdef_resource(def, res->id[2]) : NULL;
    return rd ? (lwm2m_type)rd->type : LWM2M_TYPE_NONE;
}

int lwm2m_decode_and_write(lwm2m_model *m, const lwm2m_request *req, const lwm2m_path *base,
                           lwm2m_write_mode mode, lwm2m_response *resp,
                           void (*on_written)(void *ctx, const lwm2m_record *recs, size_t n),
                           void *ctx)
{
    if (req->format == LWM2M_FORMAT_NONE) {
        lwm2m_reply(resp, LWM2M_CODE_BAD_REQUEST, "write without Content-Format");
        return LWM2M_ERR_INVALID;
    }
    /* A record never takes less than one payload byte, so payload_len + 1 bounds the count;
     * strings and opaques are copied into the arena, never longer than the payload. */
    lwm2m_record *recs = calloc(req->payload_len + 1, sizeof *recs);
    void *arena_mem = malloc(req->payload_len + 64);
    int rc = LWM2M_ERR_NOMEM;
    if (recs == NULL || arena_mem == NULL) {
        lwm2m_reply(resp, LWM2M_CODE_INTERNAL_ERROR, "out of memory");
        goto out;
    }
    lwm2m_arena arena = lwm2m_arena_init(arena_mem, req->payload_len + 64);
    lwm2m_record_list list = lwm2m_record_list_init(recs, req->payload_len + 1);
    lwm2m_types types = {lwm2m_model_type_of, m};
    lwm2m_codec_error err = {0, NULL};
    rc = lwm2m_decode(req->format, base, req->payload, req->payload_len, &types, &arena, &list,
                      &err);
    if (rc != LWM2M_OK) {
        if (rc == LWM2M_ERR_UNSUPPORTED)
            lwm2m_reply(resp, LWM2M_CODE_UNSUPPORTED_FORMAT, "content format %u not supported",
                        (unsigned)req->format);
        else
            lwm2m_reply(resp, lwm2m_code_of_error(rc), "byte %zu: %s", err.offset,
                        err.reason ? err.reason : lwm2m_strerror(rc));
        goto out;
    }
    lwm2m_path bad = *base;
    rc = lwm2m_model_write(m, base, list.items, list.count, mode, &bad);
    if (rc != LWM2M_OK) {
        char p[LWM2M_PATH_STR_MAX];
        lwm2m_path_format(&bad, p, sizeof p);
        lwm2m_reply(resp, lwm2m_code_of_error(rc), "%s: %s", p, lwm2m_strerror(rc));
        goto out;
    }
    if (on_written != NULL)
        on_written(ctx, list.items, list.count);
out:
    free(recs);
    free(arena_mem);
    return rc;
}

void lwm2m_read_and_encode(lwm2m_model *m, const lwm2m_path *path, lwm2m_format fmt,
                           lwm2m_response *resp)
{
    size_t cap = 256;
    for (;;) {
        lwm2m_record *items = malloc(cap * sizeof *items);
        if (items == NULL) {
            lwm2m_reply(resp, LWM2M_CODE_INTERNAL_ERROR, "out of memory");
            return;
        }
        lwm2m_record_list l = lwm2m_record_list_init(items, cap);
        int rc = lwm2m_model_read(m, path, &l);
        if (rc == LWM2M_ERR_NOMEM && cap < 65536) {
            free(items);
            cap *= 4;
            continue;
        }
        if (rc == LWM2M_OK) {
            lwm2m_codec_error err;
            rc = lwm2m_encode(fmt, path, l.items, l.count, &resp->payload, &err);
        }
        free(items);
        if (rc != LWM2M_OK) {
            resp->payload.len = 0;
            lwm2m_reply(resp, lwm2m_code_of_error(rc), "cannot read: %s", lwm2m_strerror(rc));
            return;
        }
        resp->code = LWM2M_CODE_CONTENT;
        resp->format = fmt;
        return;
    }
}
