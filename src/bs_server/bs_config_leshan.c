/* Import of Leshan's bootstrap store file (leshan-bsserver-demo data/bootstrap.json): a map
 * endpoint -> BootstrapConfig, converted into our configuration documents (docs/bs-config.md).
 * Liberal in what it reads: Leshan versions wrote byte arrays as signed or unsigned number
 * arrays (Gson / the demo's serializer) or base64 strings (Jackson), enums as names. */
#include "lwm2m/bs_config.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/numtext.h"
#include "lwm2m/error.h"

#define BYTES_MAX (1024u * 1024u)

typedef struct ictx {
    char path[160]; /* "dev-1/security/0/securityMode" */
    size_t plen;
    char *err;
    size_t errlen;
} ictx;

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int
fail(ictx *c, int rc, const char *fmt, ...)
{
    if (c->err != NULL && c->errlen > 0) {
        char msg[200];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        snprintf(c->err, c->errlen, "%s%s%s", c->path, c->plen > 0 ? ": " : "", msg);
        for (char *p = c->err; *p != '\0'; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                *p = '?';
    }
    return rc;
}

static size_t push(ictx *c, const char *seg)
{
    size_t old = c->plen;
    snprintf(c->path + old, sizeof c->path - old, "%s%.40s", old > 0 ? "/" : "", seg);
    c->plen = strlen(c->path);
    return old;
}

static void pop(ictx *c, size_t old)
{
    c->plen = old;
    c->path[old] = '\0';
}

/* Adds item under key; false (item freed) when either is missing or the add fails. */
static bool put(cJSON *parent, const char *key, cJSON *item)
{
    if (item == NULL)
        return false;
    if (parent == NULL || !cJSON_AddItemToObject(parent, key, item)) {
        cJSON_Delete(item);
        return false;
    }
    return true;
}

static bool is_absent(const cJSON *j)
{
    return j == NULL || cJSON_IsNull(j);
}

/* Integer field: a JSON integer or a decimal string. */
static int get_int(ictx *c, const cJSON *j, int64_t *out)
{
    if (cJSON_IsNumber(j) && isfinite(j->valuedouble) && j->valuedouble == floor(j->valuedouble) &&
        fabs(j->valuedouble) < 9007199254740992.0) {
        *out = (int64_t)j->valuedouble;
        return LWM2M_OK;
    }
    if (cJSON_IsString(j) && lwm2m_parse_i64(j->valuestring, strlen(j->valuestring), out) == 0)
        return LWM2M_OK;
    return fail(c, LWM2M_ERR_INVALID, "expected an integer");
}

static cJSON *int_item(int64_t v)
{
    return cJSON_CreateNumber((double)v);
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

static bool is_hex(const char *s, size_t len)
{
    if (len % 2 != 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (hexval(s[i]) < 0)
            return false;
    return true;
}

static cJSON *hex_object(const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char *text = malloc(2 * n + 1);
    if (text == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        text[2 * i] = digits[p[i] >> 4];
        text[2 * i + 1] = digits[p[i] & 15];
    }
    text[2 * n] = '\0';
    cJSON *o = cJSON_CreateObject();
    if (o != NULL && !put(o, "hex", cJSON_CreateString(text))) {
        cJSON_Delete(o);
        o = NULL;
    }
    free(text);
    return o;
}

/* A byte[] field as our opaque {"hex": ...}: number array (signed or unsigned bytes), hex
 * string, base64 string, or already {"hex"} / {"base64"}. */
static int get_bytes(ictx *c, const cJSON *j, cJSON **out)
{
    *out = NULL;
    if (cJSON_IsObject(j) && j->child != NULL && j->child->next == NULL &&
        (strcmp(j->child->string, "hex") == 0 || strcmp(j->child->string, "base64") == 0)) {
        *out = cJSON_Duplicate(j, 1);
        return *out != NULL ? LWM2M_OK : fail(c, LWM2M_ERR_NOMEM, "out of memory");
    }
    uint8_t *buf = NULL;
    size_t n = 0;
    int rc = LWM2M_OK;
    if (cJSON_IsArray(j)) {
        size_t count = (size_t)cJSON_GetArraySize(j);
        if (count > BYTES_MAX)
            return fail(c, LWM2M_ERR_INVALID, "byte array too long");
        buf = malloc(count + 1);
        if (buf == NULL)
            return fail(c, LWM2M_ERR_NOMEM, "out of memory");
        for (const cJSON *e = j->child; e != NULL && rc == LWM2M_OK; e = e->next) {
            double d = cJSON_IsNumber(e) ? e->valuedouble : 1000;
            if (d < -128 || d > 255 || d != floor(d))
                rc = fail(c, LWM2M_ERR_INVALID, "byte array element is no byte");
            else
                buf[n++] = (uint8_t)(int)(d < 0 ? d + 256 : d);
        }
    } else if (cJSON_IsString(j)) {
        const char *s = j->valuestring;
        size_t len = strlen(s);
        buf = malloc(lwm2m_base64_decoded_max(len) + 1);
        if (buf == NULL)
            return fail(c, LWM2M_ERR_NOMEM, "out of memory");
        if (is_hex(s, len)) {
            for (size_t i = 0; i < len; i += 2)
                buf[n++] = (uint8_t)(hexval(s[i]) << 4 | hexval(s[i + 1]));
        } else if (lwm2m_base64_decode(s, len, buf, lwm2m_base64_decoded_max(len), &n) != 0) {
            rc = fail(c, LWM2M_ERR_INVALID, "neither hex nor base64");
        }
    } else {
        return fail(c, LWM2M_ERR_INVALID, "expected a byte array, hex or base64");
    }
    if (rc == LWM2M_OK) {
        *out = hex_object(buf, n);
        if (*out == NULL)
            rc = fail(c, LWM2M_ERR_NOMEM, "out of memory");
    }
    free(buf);
    return rc;
}

static int get_bool(ictx *c, const cJSON *j, cJSON **out)
{
    if (cJSON_IsBool(j))
        *out = cJSON_CreateBool(cJSON_IsTrue(j));
    else if (cJSON_IsString(j) &&
             (strcasecmp(j->valuestring, "true") == 0 || strcasecmp(j->valuestring, "false") == 0))
        *out = cJSON_CreateBool(strcasecmp(j->valuestring, "true") == 0);
    else
        return fail(c, LWM2M_ERR_INVALID, "expected a boolean");
    return *out != NULL ? LWM2M_OK : fail(c, LWM2M_ERR_NOMEM, "out of memory");
}

static int get_string(ictx *c, const cJSON *j, cJSON **out)
{
    if (!cJSON_IsString(j))
        return fail(c, LWM2M_ERR_INVALID, "expected a string");
    *out = cJSON_CreateString(j->valuestring);
    return *out != NULL ? LWM2M_OK : fail(c, LWM2M_ERR_NOMEM, "out of memory");
}

static int get_number(ictx *c, const cJSON *j, cJSON **out)
{
    int64_t v;
    int rc = get_int(c, j, &v);
    if (rc != LWM2M_OK)
        return rc;
    *out = int_item(v);
    return *out != NULL ? LWM2M_OK : fail(c, LWM2M_ERR_NOMEM, "out of memory");
}

static int get_mode(ictx *c, const cJSON *j, cJSON **out)
{
    static const char *const names[][2] = {
        {"PSK", NULL}, {"RPK", NULL}, {"X509", "CERTIFICATE"}, {"NO_SEC", "NOSEC"}, {"EST", NULL}};
    int64_t mode = -1;
    if (cJSON_IsString(j)) {
        for (int k = 0; k < 5; k++)
            for (int a = 0; a < 2; a++)
                if (names[k][a] != NULL && strcasecmp(names[k][a], j->valuestring) == 0)
                    mode = k;
    } else if (get_int(c, j, &mode) != LWM2M_OK) {
        return LWM2M_ERR_INVALID;
    }
    if (mode < 0 || mode > 4)
        return fail(c, LWM2M_ERR_INVALID, "unknown security mode");
    *out = int_item(mode);
    return *out != NULL ? LWM2M_OK : fail(c, LWM2M_ERR_NOMEM, "out of memory");
}

/* Binding: "UQ" or an array of mode names ["U", "Q"]. */
static int get_binding(ictx *c, const cJSON *j, cJSON **out)
{
    if (cJSON_IsString(j))
        return get_string(c, j, out);
    if (!cJSON_IsArray(j))
        return fail(c, LWM2M_ERR_INVALID, "expected a binding string or array");
    char text[32] = "";
    for (const cJSON *e = j->child; e != NULL; e = e->next) {
        if (!cJSON_IsString(e) || strlen(text) + strlen(e->valuestring) >= sizeof text)
            return fail(c, LWM2M_ERR_INVALID, "bad binding mode");
        strcat(text, e->valuestring);
    }
    *out = cJSON_CreateString(text);
    return *out != NULL ? LWM2M_OK : fail(c, LWM2M_ERR_NOMEM, "out of memory");
}

/* APN link: an /11 instance id becomes the object link "11:id". */
static int get_apn_link(ictx *c, const cJSON *j, cJSON **out)
{
    int64_t v;
    int rc = get_int(c, j, &v);
    if (rc != LWM2M_OK)
        return rc;
    if (v < 0 || v > 65535)
        return fail(c, LWM2M_ERR_INVALID, "instance id out of range");
    char buf[16];
    snprintf(buf, sizeof buf, "11:%d", (int)v);
    *out = cJSON_CreateString(buf);
    return *out != NULL ? LWM2M_OK : fail(c, LWM2M_ERR_NOMEM, "out of memory");
}

/* ACL entries: {"ssid": rights}. */
static int get_acl(ictx *c, const cJSON *j, cJSON **out)
{
    if (!cJSON_IsObject(j))
        return fail(c, LWM2M_ERR_INVALID, "expected an object of ssid -> rights");
    *out = cJSON_CreateObject();
    if (*out == NULL)
        return fail(c, LWM2M_ERR_NOMEM, "out of memory");
    for (const cJSON *e = j->child; e != NULL; e = e->next) {
        size_t old = push(c, e->string);
        cJSON *v = NULL;
        int rc = get_number(c, e, &v);
        if (rc == LWM2M_OK && !put(*out, e->string, v))
            rc = fail(c, LWM2M_ERR_NOMEM, "out of memory");
        pop(c, old);
        if (rc != LWM2M_OK) {
            cJSON_Delete(*out);
            *out = NULL;
            return rc;
        }
    }
    return LWM2M_OK;
}

typedef int (*getter)(ictx *c, const cJSON *j, cJSON **out);

typedef struct field {
    const char *name;
    const char *alias; /* other spelling seen in Leshan versions, or NULL */
    uint16_t res;
    getter get;
} field;

static const field security_fields[] = {
    {"uri", NULL, 0, get_string},
    {"bootstrapServer", NULL, 1, get_bool},
    {"securityMode", NULL, 2, get_mode},
    {"publicKeyOrId", NULL, 3, get_bytes},
    {"serverPublicKey", NULL, 4, get_bytes},
    {"secretKey", NULL, 5, get_bytes},
    {"serverId", NULL, 10, get_number},
    {"clientOldOffTime", "clientHoldOffTime", 11, get_number},
    {"bootstrapServerAccountTimeout", NULL, 12, get_number},
    {"sni", NULL, 14, get_string},
};

static const field server_fields[] = {
    {"shortId", NULL, 0, get_number},
    {"lifetime", NULL, 1, get_number},
    {"defaultMinPeriod", NULL, 2, get_number},
    {"defaultMaxPeriod", NULL, 3, get_number},
    {"disableTimeout", NULL, 5, get_number},
    {"notifIfDisabled", NULL, 6, get_bool},
    {"binding", NULL, 7, get_binding},
    {"apnLink", NULL, 10, get_apn_link},
    {"registrationPriority", NULL, 13, get_number},
    {"initialDelay", NULL, 14, get_number},
    {"registrationFailure", NULL, 15, get_bool},
    {"bootstrapOnRegistrationFailure", NULL, 16, get_bool},
    {"communicationRetryCount", NULL, 17, get_number},
    {"CommunicationRetryTimer", "communicationRetryTimer", 18, get_number},
    {"SequenceDelayTimer", "sequenceDelayTimer", 19, get_number},
    {"SequenceRetryCount", "sequenceRetryCount", 20, get_number},
    {"trigger", NULL, 21, get_bool},
    {"preferredTransport", NULL, 22, get_string},
    {"muteSend", NULL, 23, get_bool},
};

static const field acl_fields[] = {
    {"objectId", NULL, 0, get_number},
    {"objectInstanceId", NULL, 1, get_number},
    {"acls", NULL, 2, get_acl},
    {"AccessControlOwner", "accessControlOwner", 3, get_number},
};

/* One Leshan map (security, servers or acls) into the instances of object `obj`. */
static int convert_instances(ictx *c, const cJSON *map, const field *fields, size_t n_fields,
                             cJSON *objects, const char *obj)
{
    if (!cJSON_IsObject(map))
        return fail(c, LWM2M_ERR_INVALID, "expected an object of instance id -> config");
    if (map->child == NULL)
        return LWM2M_OK;
    cJSON *o = cJSON_CreateObject();
    if (!put(objects, obj, o))
        return fail(c, LWM2M_ERR_NOMEM, "out of memory");
    for (const cJSON *in = map->child; in != NULL; in = in->next) {
        size_t old = push(c, in->string);
        int rc = LWM2M_OK;
        cJSON *inst = cJSON_CreateObject();
        if (!cJSON_IsObject(in))
            rc = fail(c, LWM2M_ERR_INVALID, "expected an object");
        else if (!put(o, in->string, inst))
            rc = fail(c, LWM2M_ERR_NOMEM, "out of memory");
        for (size_t k = 0; k < n_fields && rc == LWM2M_OK; k++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, fields[k].name);
            if (v == NULL && fields[k].alias != NULL)
                v = cJSON_GetObjectItemCaseSensitive(in, fields[k].alias);
            if (is_absent(v))
                continue;
            size_t old_f = push(c, fields[k].name);
            cJSON *item = NULL;
            char key[8];
            snprintf(key, sizeof key, "%u", fields[k].res);
            rc = fields[k].get(c, v, &item);
            if (rc == LWM2M_OK && !put(inst, key, item))
                rc = fail(c, LWM2M_ERR_NOMEM, "out of memory");
            pop(c, old_f);
        }
        if (!cJSON_IsObject(in))
            cJSON_Delete(inst);
        pop(c, old);
        if (rc != LWM2M_OK)
            return rc;
    }
    return LWM2M_OK;
}

/* Leshan ContentFormat: a name (TLV, JSON, SENML_JSON, SENML_CBOR, CBOR / LWM2M_CBOR),
 * a code, or {"code": n}. CBOR means LwM2M CBOR: plain CBOR cannot carry an instance. */
static int convert_format(ictx *c, const cJSON *j, cJSON *doc)
{
    static const struct {
        const char *leshan, *ours;
    } names[] = {{"TLV", "tlv"},
                 {"JSON", "json"},
                 {"SENML_JSON", "senml-json"},
                 {"SENML_CBOR", "senml-cbor"},
                 {"CBOR", "cbor"},
                 {"LWM2M_CBOR", "cbor"}};
    if (cJSON_IsObject(j))
        j = cJSON_GetObjectItemCaseSensitive(j, "code");
    cJSON *item = NULL;
    if (cJSON_IsNumber(j)) {
        item = cJSON_CreateNumber(j->valuedouble);
    } else if (cJSON_IsString(j)) {
        for (size_t k = 0; k < sizeof names / sizeof names[0] && item == NULL; k++)
            if (strcasecmp(names[k].leshan, j->valuestring) == 0)
                item = cJSON_CreateString(names[k].ours);
        if (item == NULL)
            return fail(c, LWM2M_ERR_INVALID, "unsupported content format");
    } else {
        return fail(c, LWM2M_ERR_INVALID, "expected a content format name or code");
    }
    return put(doc, "contentFormat", item) ? LWM2M_OK : fail(c, LWM2M_ERR_NOMEM, "out of memory");
}

static int convert_endpoint(ictx *c, const cJSON *bc, cJSON *doc)
{
    if (!cJSON_IsObject(bc))
        return fail(c, LWM2M_ERR_INVALID, "expected a BootstrapConfig object");
    if (!put(doc, "endpoint", cJSON_CreateString(bc->string)))
        return fail(c, LWM2M_ERR_NOMEM, "out of memory");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(bc, "autoIdForSecurityObject");
    int rc = LWM2M_OK;
    if (!is_absent(v)) {
        size_t old = push(c, "autoIdForSecurityObject");
        cJSON *b = NULL;
        rc = get_bool(c, v, &b);
        if (rc == LWM2M_OK && !put(doc, "autoIdForSecurityObject", b))
            rc = fail(c, LWM2M_ERR_NOMEM, "out of memory");
        pop(c, old);
    }
    v = cJSON_GetObjectItemCaseSensitive(bc, "contentFormat");
    if (rc == LWM2M_OK && !is_absent(v)) {
        size_t old = push(c, "contentFormat");
        rc = convert_format(c, v, doc);
        pop(c, old);
    }
    v = cJSON_GetObjectItemCaseSensitive(bc, "toDelete");
    if (rc == LWM2M_OK && !is_absent(v)) {
        if (!cJSON_IsArray(v)) {
            size_t old = push(c, "toDelete");
            rc = fail(c, LWM2M_ERR_INVALID, "expected an array of paths");
            pop(c, old);
        } else if (!put(doc, "delete", cJSON_Duplicate(v, 1))) {
            rc = fail(c, LWM2M_ERR_NOMEM, "out of memory");
        }
    }
    static const struct {
        const char *key, *obj;
        const field *fields;
        size_t n;
    } maps[] = {
        {"security", "0", security_fields, sizeof security_fields / sizeof security_fields[0]},
        {"servers", "1", server_fields, sizeof server_fields / sizeof server_fields[0]},
        {"acls", "2", acl_fields, sizeof acl_fields / sizeof acl_fields[0]},
    };
    cJSON *objects = cJSON_CreateObject();
    if (rc == LWM2M_OK && !put(doc, "objects", objects))
        return fail(c, LWM2M_ERR_NOMEM, "out of memory");
    if (rc != LWM2M_OK)
        cJSON_Delete(objects);
    for (size_t k = 0; k < sizeof maps / sizeof maps[0] && rc == LWM2M_OK; k++) {
        v = cJSON_GetObjectItemCaseSensitive(bc, maps[k].key);
        if (is_absent(v))
            continue;
        size_t old = push(c, maps[k].key);
        rc = convert_instances(c, v, maps[k].fields, maps[k].n, objects, maps[k].obj);
        pop(c, old);
    }
    return rc;
}

int lwm2m_bs_config_import_leshan(const char *json, size_t len, lwm2m_bs_config_sink sink,
                                  void *ctx, char *err, size_t errlen)
{
    ictx c;
    memset(&c, 0, sizeof c);
    c.err = err;
    c.errlen = errlen;
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (json == NULL || sink == NULL)
        return fail(&c, LWM2M_ERR_INVALID, "missing argument");
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    size_t at = end != NULL && end >= json ? (size_t)(end - json) : 0;
    while (root != NULL && at < len && strchr(" \t\r\n", json[at]) != NULL && json[at] != '\0')
        at++;
    if (root == NULL || at < len) {
        cJSON_Delete(root);
        return fail(&c, LWM2M_ERR_INVALID, "invalid JSON at offset %zu", at);
    }
    int rc = LWM2M_OK;
    if (!cJSON_IsObject(root))
        rc = fail(&c, LWM2M_ERR_INVALID, "expected an object of endpoint -> BootstrapConfig");
    for (const cJSON *bc = cJSON_IsObject(root) ? root->child : NULL; bc != NULL && rc == 0;
         bc = bc->next) {
        size_t old = push(&c, bc->string);
        cJSON *doc = cJSON_CreateObject();
        rc = doc != NULL ? convert_endpoint(&c, bc, doc)
                         : fail(&c, LWM2M_ERR_NOMEM, "out of memory");
        char *text = rc == LWM2M_OK ? cJSON_PrintUnformatted(doc) : NULL;
        cJSON_Delete(doc);
        if (rc == LWM2M_OK && text == NULL)
            rc = fail(&c, LWM2M_ERR_NOMEM, "out of memory");
        /* What we hand over must be a valid configuration: check it here, with its message. */
        lwm2m_bs_config *cfg = NULL;
        char why[200];
        int prc = rc == LWM2M_OK
                      ? lwm2m_bs_config_parse(text, strlen(text), NULL, &cfg, why, sizeof why)
                      : LWM2M_OK;
        lwm2m_bs_config_free(cfg);
        if (prc == LWM2M_ERR_NOMEM)
            rc = fail(&c, LWM2M_ERR_NOMEM, "out of memory");
        else if (prc != LWM2M_OK)
            rc = fail(&c, LWM2M_ERR_INVALID, "%s", why);
        if (rc == LWM2M_OK)
            rc = sink(ctx, bc->string, text);
        cJSON_free(text);
        pop(&c, old);
    }
    cJSON_Delete(root);
    return rc;
}
