/* Client side of the Device Management interface: requests of registered LwM2M Servers. */
#include "lwm2m/dm_client.h"

#include <string.h>

#include "client/response.h"
#include "core/numtext.h"
#include "lwm2m/coap_code.h"
#include "lwm2m/error.h"

#define ALL_RIGHTS                                                                                 \
    (LWM2M_ACL_READ | LWM2M_ACL_WRITE | LWM2M_ACL_EXECUTE | LWM2M_ACL_DELETE | LWM2M_ACL_CREATE)

/* The /2 instance whose Object ID and Object Instance ID are obj/inst, or -1. */
static int acl_instance(const lwm2m_model *m, uint16_t obj, uint16_t inst)
{
    size_t n = lwm2m_model_instance_count(m, 2);
    for (size_t i = 0; i < n; i++) {
        uint16_t iid = lwm2m_model_instance_id_at(m, 2, i);
        int64_t o = -1, oi = -1;
        lwm2m_path po = lwm2m_path_res(2, iid, 0), pi = lwm2m_path_res(2, iid, 1);
        if (lwm2m_model_get_int(m, &po, &o) == LWM2M_OK &&
            lwm2m_model_get_int(m, &pi, &oi) == LWM2M_OK && o == obj && oi == inst)
            return iid;
    }
    return -1;
}

unsigned lwm2m_dm_access_rights(const lwm2m_model *m, uint16_t ssid, uint16_t obj, uint16_t inst)
{
    /* Without any Access Control instance the client runs single-server: full rights. */
    if (!lwm2m_model_has_object(m, 2) || lwm2m_model_instance_count(m, 2) == 0)
        return ALL_RIGHTS;
    int iid = acl_instance(m, obj, inst);
    if (iid < 0)
        return 0;
    int64_t owner = -1, rights = 0;
    lwm2m_path po = lwm2m_path_res(2, (uint16_t)iid, 3);
    if (lwm2m_model_get_int(m, &po, &owner) == LWM2M_OK && owner == ssid)
        return ALL_RIGHTS;
    lwm2m_path pe = lwm2m_path_rinst(2, (uint16_t)iid, 2, ssid);
    if (lwm2m_model_get_int(m, &pe, &rights) == LWM2M_OK)
        return (unsigned)rights & ALL_RIGHTS;
    /* ACL instance 0 is the default for servers without their own entry. */
    lwm2m_path pd = lwm2m_path_rinst(2, (uint16_t)iid, 2, 0);
    if (lwm2m_model_get_int(m, &pd, &rights) == LWM2M_OK)
        return (unsigned)rights & ALL_RIGHTS;
    return 0;
}

static bool allowed(const lwm2m_dm_context *ctx, uint16_t ssid, const lwm2m_path *p, unsigned right,
                    lwm2m_response *resp)
{
    if (p->len < 2)
        return true; /* object-level operations are filtered per instance by the caller */
    if (lwm2m_dm_access_rights(ctx->model, ssid, p->id[0], p->id[1]) & right)
        return true;
    lwm2m_reply(resp, LWM2M_CODE_UNAUTHORIZED, "access control: server %u has no right",
                (unsigned)ssid);
    return false;
}

/* What a Read may answer in: the formats compiled in, and 60 (single CBOR item), which passes
 * here as it always did and which lwm2m_encode then refuses. */
static bool is_readable_format(lwm2m_format f)
{
    return lwm2m_format_available(f) || f == LWM2M_FORMAT_CBOR;
}

/* ctx->read_format; when it is a format this build leaves out, the first one compiled in of
 * those carrying several resources in the client's version (1.0: TLV, LwM2M JSON; LwM2M CBOR
 * is 1.2). */
static lwm2m_format default_read_format(const lwm2m_dm_context *ctx)
{
    static const lwm2m_format order[] = {LWM2M_FORMAT_SENML_JSON, LWM2M_FORMAT_SENML_CBOR,
                                         LWM2M_FORMAT_TLV, LWM2M_FORMAT_LWM2M_JSON,
                                         LWM2M_FORMAT_LWM2M_CBOR};
    size_t n = sizeof order / sizeof order[0], i = 0;
    while (i < n && order[i] != ctx->read_format)
        i++;
    if (i == n || lwm2m_format_available(ctx->read_format))
        return ctx->read_format; /* compiled in, or not an optional codec: as configured */
    bool v10 = lwm2m_version_compare(ctx->lwm2m_version, "1.1") < 0;
    bool v12 = lwm2m_version_compare(ctx->lwm2m_version, "1.2") >= 0;
    for (i = 0; i < n; i++) {
        lwm2m_format m = order[i];
        bool in_version = v10 ? m == LWM2M_FORMAT_TLV || m == LWM2M_FORMAT_LWM2M_JSON
                              : m != LWM2M_FORMAT_LWM2M_CBOR || v12;
        if (in_version && lwm2m_format_available(m))
            return m;
    }
    return ctx->read_format;
}

static void handle_read(const lwm2m_dm_context *ctx, uint16_t ssid, const lwm2m_request *req,
                        const lwm2m_path *p, lwm2m_response *resp)
{
    if (req->accept == LWM2M_FORMAT_LINK) {
        if (p->len == 0) {
            lwm2m_reply(resp, LWM2M_CODE_BAD_REQUEST, "Discover needs /o, /o/i or /o/i/r");
            return;
        }
        if (!allowed(ctx, ssid, p, LWM2M_ACL_READ, resp))
            return;
        int rc = lwm2m_model_discover(ctx->model, p, LWM2M_DISCOVER_DM, ctx->lwm2m_version, ssid,
                                      &resp->payload);
        if (rc != LWM2M_OK) {
            lwm2m_reply(resp, lwm2m_code_of_error(rc), "cannot discover: %s", lwm2m_strerror(rc));
            return;
        }
        resp->code = LWM2M_CODE_CONTENT;
        resp->format = LWM2M_FORMAT_LINK;
        return;
    }
    if (p->len == 0) {
        lwm2m_reply(resp, LWM2M_CODE_METHOD_NOT_ALLOWED, "Read needs an object path");
        return;
    }
    if (!allowed(ctx, ssid, p, LWM2M_ACL_READ, resp))
        return;
    lwm2m_format fmt = req->accept;
    if (fmt == LWM2M_FORMAT_NONE) {
        /* A single value reads as text (opaque as opaque), anything larger in the default. */
        fmt = default_read_format(ctx);
        if (p->len >= 3) {
            const lwm2m_object_def *def = lwm2m_model_object_def(ctx->model, p->id[0]);
            const lwm2m_resource_def *rd = def ? lwm2m_objdef_resource(def, p->id[2]) : NULL;
            if (rd != NULL && (!rd->multiple || p->len == 4))
                fmt = rd->type == LWM2M_TYPE_OPAQUE ? LWM2M_FORMAT_OPAQUE : LWM2M_FORMAT_TEXT;
        }
    }
    if (!is_readable_format(fmt)) {
        lwm2m_reply(resp, LWM2M_CODE_NOT_ACCEPTABLE, "cannot answer in content format %u",
                    (unsigned)fmt);
        return;
    }
    lwm2m_read_and_encode(ctx->model, p, fmt, resp);
    if (resp->code == LWM2M_CODE_BAD_REQUEST &&
        (fmt == LWM2M_FORMAT_TEXT || fmt == LWM2M_FORMAT_OPAQUE))
        resp->code = LWM2M_CODE_NOT_ACCEPTABLE; /* several values cannot be one text */
}

/* Write-Attributes: PUT with attributes in the query and no payload. */
static void handle_write_attributes(const lwm2m_dm_context *ctx, uint16_t ssid,
                                    const lwm2m_request *req, const lwm2m_path *p,
                                    lwm2m_response *resp)
{
    if (p->len == 0) {
        lwm2m_reply(resp, LWM2M_CODE_METHOD_NOT_ALLOWED, "Write-Attributes needs a path");
        return;
    }
    if (!allowed(ctx, ssid, p, LWM2M_ACL_READ, resp))
        return;
    /* Validate everything first so that a bad attribute changes nothing. */
    for (int pass = 0; pass < 2; pass++) {
        size_t pos = 0;
        while (pos < req->query_len) {
            const char *param = req->query + pos;
            size_t end = pos;
            while (end < req->query_len && req->query[end] != '&')
                end++;
            size_t plen = end - pos;
            pos = end + 1;
            const char *eq = memchr(param, '=', plen);
            size_t klen = eq ? (size_t)(eq - param) : plen;
            int attr = lwm2m_attr_from_name(param, klen);
            double v = 0;
            bool integer = false;
            if (attr < 0 ||
                (eq && lwm2m_parse_number(eq + 1, plen - klen - 1, &v, &integer) != LWM2M_OK)) {
                lwm2m_reply(resp, LWM2M_CODE_BAD_REQUEST, "bad attribute '%.*s'", (int)plen, param);
                return;
            }
            if (pass == 1) {
                int rc = lwm2m_model_set_attr(ctx->model, ssid, p, (lwm2m_attr)attr, v, !eq);
                if (rc != LWM2M_OK) {
                    lwm2m_reply(resp, lwm2m_code_of_error(rc), "cannot set attribute: %s",
                                lwm2m_strerror(rc));
                    return;
                }
            }
        }
    }
    lwm2m_reply(resp, LWM2M_CODE_CHANGED, NULL);
}

static void handle_execute(const lwm2m_dm_context *ctx, uint16_t ssid, const lwm2m_request *req,
                           const lwm2m_path *p, lwm2m_response *resp, lwm2m_dm_event *event,
                           uint16_t *event_iid)
{
    if (!allowed(ctx, ssid, p, LWM2M_ACL_EXECUTE, resp))
        return;
    /* The Server object's executables act on the client itself: the caller does them. */
    bool own = p->id[0] == 1 && (p->id[2] == 4 || p->id[2] == 8 || p->id[2] == 9);
    int rc = LWM2M_OK;
    if (own && !lwm2m_model_has_instance(ctx->model, 1, p->id[1]))
        rc = LWM2M_ERR_NOT_FOUND;
    else if (!own)
        rc = lwm2m_model_execute(ctx->model, p, req->payload, req->payload_len);
    if (rc != LWM2M_OK) {
        lwm2m_reply(resp, lwm2m_code_of_error(rc), "cannot execute: %s", lwm2m_strerror(rc));
        return;
    }
    if (own) {
        switch (p->id[2]) {
        case 4:
            *event = LWM2M_DM_EVENT_DISABLE;
            break;
        case 8:
            *event = LWM2M_DM_EVENT_REGISTRATION_UPDATE;
            break;
        case 9:
            *event = LWM2M_DM_EVENT_BOOTSTRAP_REQUEST;
            break;
        default:
            break;
        }
        *event_iid = p->id[1];
    }
    lwm2m_reply(resp, LWM2M_CODE_CHANGED, NULL);
}

/* The instance a Create wrote: its records name it (all of one instance, per the spec). */
static void note_created(void *ctx, const lwm2m_record *recs, size_t n)
{
    int32_t *iid = ctx;
    if (n > 0 && recs[0].path.len >= 2)
        *iid = recs[0].path.id[1];
}

static void handle_create(const lwm2m_dm_context *ctx, uint16_t ssid, const lwm2m_request *req,
                          const lwm2m_path *p, lwm2m_response *resp, lwm2m_dm_event *event,
                          uint16_t *event_iid)
{
    if (!(lwm2m_dm_access_rights(ctx->model, ssid, p->id[0], LWM2M_ID_RESERVED) &
          LWM2M_ACL_CREATE)) {
        lwm2m_reply(resp, LWM2M_CODE_UNAUTHORIZED, "access control: server %u cannot create",
                    (unsigned)ssid);
        return;
    }
    int32_t iid = -1;
    if (lwm2m_decode_and_write(ctx->model, req, p, LWM2M_WRITE_CREATE, resp, note_created, &iid) !=
        LWM2M_OK)
        return;
    if (iid < 0) {
        /* No record names the instance: the client picks the id (an empty instance). */
        uint16_t free_id;
        int rc = lwm2m_model_free_instance_id(ctx->model, p->id[0], &free_id);
        lwm2m_path ip = lwm2m_path_inst(p->id[0], free_id);
        if (rc == LWM2M_OK)
            rc = lwm2m_model_write(ctx->model, &ip, NULL, 0, LWM2M_WRITE_CREATE, NULL);
        if (rc != LWM2M_OK) {
            lwm2m_reply(resp, lwm2m_code_of_error(rc), "cannot create: %s", lwm2m_strerror(rc));
            return;
        }
        iid = free_id;
    }
    *event = LWM2M_DM_EVENT_CREATED;
    *event_iid = (uint16_t)iid;
    lwm2m_reply(resp, LWM2M_CODE_CREATED, NULL);
}

size_t lwm2m_dm_location(const lwm2m_request *req, uint16_t iid, char *buf, size_t cap)
{
    lwm2m_path p;
    if (cap == 0 || lwm2m_path_parse(req->uri_path, req->uri_path_len, &p) != LWM2M_OK ||
        p.len != 1 || lwm2m_path_append(&p, iid) != LWM2M_OK) {
        if (cap > 0)
            buf[0] = '\0';
        return 0;
    }
    size_t n = lwm2m_path_format(&p, buf, cap);
    if (n >= cap) {
        buf[0] = '\0';
        return 0;
    }
    return n;
}

void lwm2m_dm_handle(const lwm2m_dm_context *ctx, uint16_t ssid, const lwm2m_request *req,
                     lwm2m_response *resp, lwm2m_dm_event *event, uint16_t *event_iid)
{
    *event = LWM2M_DM_EVENT_NONE;
    *event_iid = 0;
    lwm2m_path p;
    if (lwm2m_path_parse(req->uri_path, req->uri_path_len, &p) != LWM2M_OK) {
        lwm2m_reply(resp, LWM2M_CODE_NOT_FOUND, "bad URI path");
        return;
    }
    /* The Security object belongs to the Bootstrap Server alone. */
    if (p.len >= 1 && p.id[0] == 0) {
        lwm2m_reply(resp, LWM2M_CODE_UNAUTHORIZED, "the Security object is not accessible");
        return;
    }
    if (p.len >= 1 && !lwm2m_model_has_object(ctx->model, p.id[0])) {
        lwm2m_reply(resp, LWM2M_CODE_NOT_FOUND, "object %u not supported", (unsigned)p.id[0]);
        return;
    }
    switch (req->method) {
    case LWM2M_METHOD_GET:
        handle_read(ctx, ssid, req, &p, resp);
        return;
    case LWM2M_METHOD_PUT:
        if (req->payload_len == 0 && req->format == LWM2M_FORMAT_NONE) {
            handle_write_attributes(ctx, ssid, req, &p, resp);
            return;
        }
        if (p.len < 2) {
            lwm2m_reply(resp, LWM2M_CODE_METHOD_NOT_ALLOWED, "Write needs /o/i or deeper");
            return;
        }
        if (allowed(ctx, ssid, &p, LWM2M_ACL_WRITE, resp) &&
            lwm2m_decode_and_write(ctx->model, req, &p, LWM2M_WRITE_REPLACE, resp, NULL, NULL) ==
                LWM2M_OK)
            lwm2m_reply(resp, LWM2M_CODE_CHANGED, NULL);
        return;
    case LWM2M_METHOD_POST:
        if (p.len == 1) {
            handle_create(ctx, ssid, req, &p, resp, event, event_iid);
        } else if (p.len == 2) {
            if (allowed(ctx, ssid, &p, LWM2M_ACL_WRITE, resp) &&
                lwm2m_decode_and_write(ctx->model, req, &p, LWM2M_WRITE_UPDATE, resp, NULL, NULL) ==
                    LWM2M_OK)
                lwm2m_reply(resp, LWM2M_CODE_CHANGED, NULL);
        } else if (p.len == 3) {
            handle_execute(ctx, ssid, req, &p, resp, event, event_iid);
        } else {
            lwm2m_reply(resp, LWM2M_CODE_METHOD_NOT_ALLOWED, "cannot POST a resource instance");
        }
        return;
    case LWM2M_METHOD_DELETE: {
        if (p.len != 2) {
            lwm2m_reply(resp, LWM2M_CODE_METHOD_NOT_ALLOWED, "Delete takes /o/i");
            return;
        }
        if (!allowed(ctx, ssid, &p, LWM2M_ACL_DELETE, resp))
            return;
        int rc = lwm2m_model_delete(ctx->model, &p, LWM2M_DELETE_DM);
        if (rc != LWM2M_OK)
            lwm2m_reply(resp, lwm2m_code_of_error(rc), "cannot delete: %s", lwm2m_strerror(rc));
        else
            lwm2m_reply(resp, LWM2M_CODE_DELETED, NULL);
        return;
    }
    default:
        lwm2m_reply(resp, LWM2M_CODE_METHOD_NOT_ALLOWED, "method not supported");
        return;
    }
}
