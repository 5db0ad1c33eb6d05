/* The LwM2M Server's DM requests: operation names, content format negotiation, and the CoAP
 * request (method, Uri-Path under the client's root, query, options, payload) of each
 * operation. */
#include "lwm2m/dm_server.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/numtext.h"
#include "lwm2m/bs_client.h"
#include "lwm2m/coap_code.h"
#include "lwm2m/error.h"
#include "lwm2m/model.h"

static const char *const op_names[] = {
    [LWM2M_DM_READ] = "read",
    [LWM2M_DM_DISCOVER] = "discover",
    [LWM2M_DM_WRITE] = "write",
    [LWM2M_DM_WRITE_UPDATE] = "write-update",
    [LWM2M_DM_WRITE_ATTRIBUTES] = "write-attributes",
    [LWM2M_DM_EXECUTE] = "execute",
    [LWM2M_DM_CREATE] = "create",
    [LWM2M_DM_DELETE] = "delete",
    [LWM2M_DM_OBSERVE] = "observe",
    [LWM2M_DM_OBSERVE_CANCEL] = "observe-cancel",
};
#define OP_COUNT (sizeof op_names / sizeof op_names[0])

const char *lwm2m_dm_op_name(lwm2m_dm_op op)
{
    return (unsigned)op < OP_COUNT ? op_names[op] : NULL;
}

int lwm2m_dm_op_from_name(const char *name, lwm2m_dm_op *out)
{
    for (size_t i = 0; name != NULL && i < OP_COUNT; i++) {
        if (strcmp(op_names[i], name) == 0) {
            *out = (lwm2m_dm_op)i;
            return LWM2M_OK;
        }
    }
    return LWM2M_ERR_INVALID;
}

static bool version_at_least(const lwm2m_registration *reg, const char *v)
{
    return lwm2m_version_compare(reg->version, v) >= 0;
}

static bool announced(const lwm2m_registration *reg, lwm2m_format f)
{
    size_t n = reg->format_count < LWM2M_RD_FORMATS_MAX ? reg->format_count : LWM2M_RD_FORMATS_MAX;
    for (size_t i = 0; i < n; i++)
        if (reg->formats[i] == f)
            return true;
    return false;
}

lwm2m_format lwm2m_dm_pick_format(const lwm2m_registration *reg, bool prefer_text)
{
    bool v12 = version_at_least(reg, "1.2");
    /* Compact binary formats first; SenML JSON jumps ahead when a reader wants text. */
    const lwm2m_format order[] = {
        prefer_text ? LWM2M_FORMAT_SENML_JSON : LWM2M_FORMAT_NONE,
        v12 ? LWM2M_FORMAT_LWM2M_CBOR : LWM2M_FORMAT_NONE,
        LWM2M_FORMAT_SENML_CBOR,
        LWM2M_FORMAT_SENML_JSON,
        LWM2M_FORMAT_TLV,
        LWM2M_FORMAT_LWM2M_JSON,
    };
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (order[i] != LWM2M_FORMAT_NONE && announced(reg, order[i]))
            return order[i];
    /* Nothing announced: what each version makes mandatory-in-practice. */
    if (!version_at_least(reg, "1.1"))
        return LWM2M_FORMAT_TLV;
    return prefer_text ? LWM2M_FORMAT_SENML_JSON : LWM2M_FORMAT_SENML_CBOR;
}

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static int
fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    if (err != NULL && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
        if (n < 0)
            err[0] = '\0';
    }
    return rc;
}

/* "<root>/o/i/r": the client's alternate root path ("/lwm2m") in front of the LwM2M path. */
static int build_uri_path(const char *root, const lwm2m_path *p, char *out, size_t cap)
{
    size_t rlen = strnlen(root, cap);
    while (rlen > 0 && root[rlen - 1] == '/')
        rlen--;
    char lp[LWM2M_PATH_STR_MAX];
    lwm2m_path_format(p, lp, sizeof lp);
    int n;
    if (p->len == 0)
        n = rlen == 0 ? snprintf(out, cap, "/") : snprintf(out, cap, "%.*s", (int)rlen, root);
    else
        n = snprintf(out, cap, "%.*s%s", (int)rlen, root, lp);
    return n < 0 || (size_t)n >= cap ? LWM2M_ERR_OVERFLOW : LWM2M_OK;
}

static bool is_integer_attr(int a)
{
    return a == LWM2M_ATTR_PMIN || a == LWM2M_ATTR_PMAX || a == LWM2M_ATTR_EPMIN ||
           a == LWM2M_ATTR_EPMAX;
}

/* pmin/pmax/epmin/epmax take an integer >= 0, gt/lt/st a number; a name alone removes it. */
static int check_attributes(const char *q, char *err, size_t errlen)
{
    if (q == NULL || *q == '\0')
        return fail(err, errlen, LWM2M_ERR_INVALID,
                    "write-attributes needs a query such as pmin=10&pmax=60");
    unsigned seen = 0;
    for (const char *p = q;;) {
        const char *amp = strchr(p, '&');
        size_t plen = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', plen);
        size_t klen = eq ? (size_t)(eq - p) : plen;
        int a = lwm2m_attr_from_name(p, klen);
        if (a < 0)
            return fail(err, errlen, LWM2M_ERR_INVALID,
                        "unknown attribute '%.*s' (pmin, pmax, gt, lt, st, epmin, epmax)",
                        (int)klen, p);
        if (seen & (1u << a))
            return fail(err, errlen, LWM2M_ERR_INVALID, "attribute '%.*s' given twice", (int)klen,
                        p);
        seen |= 1u << a;
        if (eq != NULL) {
            const char *v = eq + 1;
            size_t vlen = plen - klen - 1;
            uint64_t u;
            double d;
            if (is_integer_attr(a) && lwm2m_parse_u64(v, vlen, &u) != LWM2M_OK)
                return fail(err, errlen, LWM2M_ERR_INVALID,
                            "attribute %.*s needs an integer >= 0, not '%.*s'", (int)klen, p,
                            (int)vlen, v);
            if (!is_integer_attr(a) && lwm2m_parse_number(v, vlen, &d, NULL) != LWM2M_OK)
                return fail(err, errlen, LWM2M_ERR_INVALID,
                            "attribute %.*s needs a number, not '%.*s'", (int)klen, p, (int)vlen,
                            v);
        }
        if (amp == NULL)
            return LWM2M_OK;
        p = amp + 1;
    }
}

/* Which path levels each operation takes (bit n: level n), per the spec and our client. */
static unsigned allowed_levels(const lwm2m_registration *reg, lwm2m_dm_op op)
{
    bool v11 = version_at_least(reg, "1.1");
    switch (op) {
    case LWM2M_DM_READ:
    case LWM2M_DM_OBSERVE:
    case LWM2M_DM_OBSERVE_CANCEL:
    case LWM2M_DM_WRITE_ATTRIBUTES:
        return 0x1e; /* /o to /o/i/r/ri */
    case LWM2M_DM_DISCOVER:
        return 0x0e; /* /o, /o/i, /o/i/r */
    case LWM2M_DM_WRITE:
        return v11 ? 0x1c : 0x0c; /* /o/i, /o/i/r, and /o/i/r/ri since 1.1 */
    case LWM2M_DM_WRITE_UPDATE:
        return v11 ? 0x0c : 0x04; /* /o/i, and /o/i/r (multiple resources) since 1.1 */
    case LWM2M_DM_EXECUTE:
        return 0x08;
    case LWM2M_DM_CREATE:
        return 0x02;
    case LWM2M_DM_DELETE:
        return 0x04;
    default:
        return 0;
    }
}

static const char *levels_text(lwm2m_dm_op op)
{
    switch (op) {
    case LWM2M_DM_DISCOVER:
        return "/o, /o/i or /o/i/r";
    case LWM2M_DM_WRITE:
        return "/o/i or /o/i/r (/o/i/r/ri since 1.1)";
    case LWM2M_DM_WRITE_UPDATE:
        return "/o/i (/o/i/r since 1.1)";
    case LWM2M_DM_EXECUTE:
        return "a resource path /o/i/r";
    case LWM2M_DM_CREATE:
        return "an object path /o";
    case LWM2M_DM_DELETE:
        return "an instance path /o/i";
    default:
        return "a path from /o to /o/i/r/ri";
    }
}

static int check_path(const lwm2m_registration *reg, const lwm2m_dm_args *args, char *err,
                      size_t errlen)
{
    const lwm2m_path *p = &args->path;
    if (p->len > LWM2M_PATH_MAX_DEPTH)
        return fail(err, errlen, LWM2M_ERR_INVALID, "path deeper than 4 levels");
    for (uint8_t i = 0; i < p->len; i++)
        if (p->id[i] > LWM2M_ID_MAX)
            return fail(err, errlen, LWM2M_ERR_INVALID, "path id 65535 is reserved");
    if (!(allowed_levels(reg, args->op) & (1u << p->len))) {
        char ps[LWM2M_PATH_STR_MAX];
        lwm2m_path_format(p, ps, sizeof ps);
        return fail(err, errlen, LWM2M_ERR_INVALID, "%s needs %s, not %s",
                    lwm2m_dm_op_name(args->op), levels_text(args->op), ps);
    }
    return LWM2M_OK;
}

/* Every record below the path, values on resources, NONE only on containers, no duplicates and
 * no resource both single and multiple. `sorted` is the records in path order. */
static int check_records(const lwm2m_dm_args *args, const lwm2m_record *sorted, size_t n, char *err,
                         size_t errlen)
{
    char ps[LWM2M_PATH_STR_MAX];
    for (size_t i = 0; i < n; i++) {
        const lwm2m_record *r = &sorted[i];
        lwm2m_path_format(&r->path, ps, sizeof ps);
        bool none = r->value.type == LWM2M_TYPE_NONE;
        if (r->path.len > LWM2M_PATH_MAX_DEPTH || !lwm2m_path_is_prefix(&args->path, &r->path))
            return fail(err, errlen, LWM2M_ERR_INVALID, "value %s is not below the path", ps);
        for (uint8_t k = 0; k < r->path.len; k++)
            if (r->path.id[k] > LWM2M_ID_MAX)
                return fail(err, errlen, LWM2M_ERR_INVALID, "value %s uses the reserved id 65535",
                            ps);
        if (r->path.len < 2 || (r->path.len == 2 && !none) || (r->path.len == 4 && none))
            return fail(err, errlen, LWM2M_ERR_INVALID, "record %s does not fit its value", ps);
        if (i == 0)
            continue;
        const lwm2m_record *prev = &sorted[i - 1];
        if (lwm2m_path_equal(&prev->path, &r->path))
            return fail(err, errlen, LWM2M_ERR_INVALID, "value %s given twice", ps);
        if (prev->value.type != LWM2M_TYPE_NONE && lwm2m_path_is_prefix(&prev->path, &r->path))
            return fail(err, errlen, LWM2M_ERR_INVALID,
                        "resource %s is given both as single and multiple", ps);
    }
    return LWM2M_OK;
}

static int encode_values(const lwm2m_dm_args *args, lwm2m_format fmt, lwm2m_buf *payload, char *err,
                         size_t errlen)
{
    size_t n = args->records != NULL ? args->record_count : 0;
    /* A Create without values asks for an empty instance whose id the client picks. */
    if (n == 0 && args->op != LWM2M_DM_CREATE)
        return fail(err, errlen, LWM2M_ERR_INVALID, "%s needs at least one value",
                    lwm2m_dm_op_name(args->op));
    if (n > SIZE_MAX / sizeof(lwm2m_record))
        return fail(err, errlen, LWM2M_ERR_NOMEM, "too many values");
    /* Encoders want path order; the API's records come as the user wrote them. */
    lwm2m_record *sorted = malloc(n > 0 ? n * sizeof *sorted : 1);
    if (sorted == NULL)
        return fail(err, errlen, LWM2M_ERR_NOMEM, "out of memory");
    if (n > 0) {
        memcpy(sorted, args->records, n * sizeof *sorted);
        lwm2m_record_sort(sorted, n);
    }
    int rc = check_records(args, sorted, n, err, errlen);
    const char *fname = lwm2m_format_name(fmt);
    for (size_t i = 0; rc == LWM2M_OK && fmt == LWM2M_FORMAT_OPAQUE && i < n; i++)
        if (sorted[i].value.type != LWM2M_TYPE_OPAQUE)
            rc = fail(err, errlen, LWM2M_ERR_UNSUPPORTED, "opaque format needs an opaque value");
    if (rc == LWM2M_OK) {
        lwm2m_codec_error cerr = {0, NULL};
        rc = lwm2m_encode(fmt, &args->path, sorted, n, payload, &cerr);
        /* The records were checked above: what the encoder still refuses, the format cannot
         * carry (several values as text, a string that is not UTF-8, ...). */
        if (rc == LWM2M_ERR_INVALID || rc == LWM2M_ERR_UNSUPPORTED)
            rc = fail(err, errlen, LWM2M_ERR_UNSUPPORTED, "format %s cannot carry these values: %s",
                      fname ? fname : "?", cerr.reason ? cerr.reason : lwm2m_strerror(rc));
        else if (rc == LWM2M_ERR_OVERFLOW)
            rc = fail(err, errlen, rc, "payload needs %zu bytes, buffer has %zu", payload->len,
                      payload->cap);
        else if (rc != LWM2M_OK)
            rc = fail(err, errlen, rc, "cannot encode: %s", lwm2m_strerror(rc));
    }
    free(sorted);
    return rc;
}

int lwm2m_dm_build(const lwm2m_registration *reg, const lwm2m_dm_args *args, lwm2m_dm_wire *out,
                   lwm2m_buf *payload, char *err, size_t errlen)
{
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    memset(out, 0, sizeof *out);
    out->format = LWM2M_FORMAT_NONE;
    out->accept = LWM2M_FORMAT_NONE;
    out->observe = LWM2M_OBSERVE_NONE;
    payload->len = 0;
    if (lwm2m_dm_op_name(args->op) == NULL)
        return fail(err, errlen, LWM2M_ERR_INVALID, "unknown operation %d", (int)args->op);
    int rc = check_path(reg, args, err, errlen);
    if (rc != LWM2M_OK)
        return rc;
    if (build_uri_path(reg->root, &args->path, out->path, sizeof out->path) != LWM2M_OK)
        return fail(err, errlen, LWM2M_ERR_INVALID, "root path '%s' too long", reg->root);
    lwm2m_format negotiated =
        args->format != LWM2M_FORMAT_NONE ? args->format : lwm2m_dm_pick_format(reg, false);
    switch (args->op) {
    case LWM2M_DM_READ:
    case LWM2M_DM_OBSERVE:
    case LWM2M_DM_OBSERVE_CANCEL:
        out->method = LWM2M_METHOD_GET;
        out->accept = negotiated;
        if (args->op != LWM2M_DM_READ)
            out->observe =
                args->op == LWM2M_DM_OBSERVE ? LWM2M_OBSERVE_REGISTER : LWM2M_OBSERVE_CANCEL;
        return LWM2M_OK;
    case LWM2M_DM_DISCOVER:
        out->method = LWM2M_METHOD_GET;
        out->accept = LWM2M_FORMAT_LINK;
        return LWM2M_OK;
    case LWM2M_DM_WRITE:
    case LWM2M_DM_WRITE_UPDATE:
    case LWM2M_DM_CREATE:
        out->method = args->op == LWM2M_DM_WRITE ? LWM2M_METHOD_PUT : LWM2M_METHOD_POST;
        out->format = negotiated;
        return encode_values(args, negotiated, payload, err, errlen);
    case LWM2M_DM_WRITE_ATTRIBUTES:
        /* No payload and no Content-Format: that is how the client tells it from a Write. */
        out->method = LWM2M_METHOD_PUT;
        rc = check_attributes(args->text, err, errlen);
        if (rc != LWM2M_OK)
            return rc;
        if (strlen(args->text) >= sizeof out->query)
            return fail(err, errlen, LWM2M_ERR_INVALID, "attribute query too long");
        strcpy(out->query, args->text);
        return LWM2M_OK;
    case LWM2M_DM_EXECUTE:
        /* The arguments travel as they are (the client hands them to the application). */
        out->method = LWM2M_METHOD_POST;
        if (args->text != NULL && args->text[0] != '\0') {
            out->format = LWM2M_FORMAT_TEXT;
            lwm2m_buf_puts(payload, args->text);
            if (lwm2m_buf_overflowed(payload))
                return fail(err, errlen, LWM2M_ERR_OVERFLOW,
                            "arguments need %zu bytes, buffer has %zu", payload->len, payload->cap);
        }
        return LWM2M_OK;
    case LWM2M_DM_DELETE:
        out->method = LWM2M_METHOD_DELETE;
        return LWM2M_OK;
    }
    return fail(err, errlen, LWM2M_ERR_INVALID, "unknown operation");
}
