/* Validation of a configuration: each plan is applied, as a client would apply it, to a model
 * of a freshly bootstrapping client, and the result goes through the consistency check. */
#include "lwm2m/bs_config.h"

#include <stdio.h>
#include <string.h>

#include "lwm2m/error.h"
#include "lwm2m/model.h"

static const lwm2m_object_def *find_def(const lwm2m_objdef_list *defs, uint16_t obj)
{
    const lwm2m_object_def *d = lwm2m_objdef_find(defs, obj);
    return d != NULL ? d : lwm2m_objdef_builtin(obj, NULL);
}

static lwm2m_consistency_rule set_result(lwm2m_consistency_result *out, lwm2m_consistency_rule rule,
                                         lwm2m_path path, const char *detail)
{
    if (out != NULL) {
        char p[LWM2M_PATH_STR_MAX];
        lwm2m_path_format(&path, p, sizeof p);
        out->rule = rule;
        out->path = path;
        snprintf(out->message, sizeof out->message, "%s: %s: %s", lwm2m_consistency_rule_name(rule),
                 p, detail);
    }
    return rule;
}

static bool plan_writes_object(const lwm2m_bs_plan *plan, uint16_t obj)
{
    for (size_t k = 0; k < plan->record_count; k++)
        if (plan->records[k].path.id[0] == obj)
            return true;
    return false;
}

static bool plan_writes_bs_account(const lwm2m_bs_plan *plan)
{
    for (size_t k = 0; k < plan->record_count; k++) {
        const lwm2m_record *r = &plan->records[k];
        if (r->path.len == 3 && r->path.id[0] == 0 && r->path.id[2] == 1 &&
            r->value.type == LWM2M_TYPE_BOOLEAN && r->value.v.b)
            return true;
    }
    return false;
}

/* Objects 0, 1 and 3 always, 2 when the plan writes it or the client has it, and every other
 * object the plan writes that has a definition (the others cannot be typed: skipped). */
static int add_objects(lwm2m_model *m, const lwm2m_bs_plan *plan, const lwm2m_objdef_list *defs)
{
    static const uint16_t base[] = {0, 1, 2, 3};
    for (size_t k = 0; k < sizeof base / sizeof base[0]; k++) {
        if (base[k] == 2 && !plan->caps.access_control && !plan_writes_object(plan, 2))
            continue;
        const lwm2m_object_def *d = find_def(defs, base[k]);
        int rc = d != NULL ? lwm2m_model_add_object(m, d, NULL) : LWM2M_OK;
        if (rc != LWM2M_OK)
            return rc;
    }
    for (size_t k = 0; k < plan->record_count; k++) {
        uint16_t obj = plan->records[k].path.id[0];
        if (lwm2m_model_has_object(m, obj))
            continue;
        const lwm2m_object_def *d = find_def(defs, obj);
        int rc = d != NULL ? lwm2m_model_add_object(m, d, NULL) : LWM2M_OK;
        if (rc != LWM2M_OK)
            return rc;
    }
    return LWM2M_OK;
}

/* The placeholder account's key material in RPK and certificate mode. The key check runs on
 * every Security instance, this one included, and this account stands for one the server
 * never sees: so it gets real, fixed, matching key material that passes the check, and the
 * check judges only what the plan writes. (Skipping the check for this instance would need a
 * way to tell it which instance that is: lwm2m_capabilities.check_keys is the client's own
 * check, called with the model and an instance id only.) An EC P-256 certificate with
 * CN=bootstrap.invalid valid until 2126 and its key, made once with
 * `scripts/mkcreds.sh DIR cert bs-placeholder --cn bootstrap.invalid --days 36500`: a
 * throw-away key that secures nothing, it never leaves this check. */
static const uint8_t PLACEHOLDER_CERT[] = {
    0x30, 0x82, 0x01, 0xB4, 0x30, 0x82, 0x01, 0x5A, 0xA0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x14, 0x2B,
    0x11, 0x06, 0xD2, 0x0C, 0x55, 0x71, 0x38, 0x7D, 0xE3, 0xEF, 0xDF, 0xE6, 0x09, 0x03, 0x9C, 0xFB,
    0x3E, 0x66, 0x05, 0x30, 0x0A, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02, 0x30,
    0x15, 0x31, 0x13, 0x30, 0x11, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0C, 0x0A, 0x63, 0x61, 0x20, 0x74,
    0x65, 0x73, 0x74, 0x20, 0x43, 0x41, 0x30, 0x20, 0x17, 0x0D, 0x32, 0x36, 0x31, 0x31, 0x32, 0x35,
    0x30, 0x33, 0x30, 0x37, 0x34, 0x31, 0x5A, 0x18, 0x0F, 0x32, 0x31, 0x32, 0x36, 0x31, 0x31, 0x30,
    0x31, 0x30, 0x33, 0x30, 0x37, 0x34, 0x31, 0x5A, 0x30, 0x1C, 0x31, 0x1A, 0x30, 0x18, 0x06, 0x03,
    0x55, 0x04, 0x03, 0x0C, 0x11, 0x62, 0x6F, 0x6F, 0x74, 0x73, 0x74, 0x72, 0x61, 0x70, 0x2E, 0x69,
    0x6E, 0x76, 0x61, 0x6C, 0x69, 0x64, 0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE,
    0x3D, 0x02, 0x01, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
    0x04, 0x73, 0x7E, 0x94, 0x63, 0xB8, 0x2C, 0x31, 0x58, 0x1B, 0xC9, 0x02, 0xF3, 0xE2, 0xC7, 0x14,
    0x05, 0x09, 0x24, 0x37, 0xD8, 0x50, 0x0A, 0xAF, 0x41, 0xD7, 0x52, 0x3D, 0x05, 0x5F, 0x90, 0xAB,
    0x98, 0xB0, 0xD1, 0x34, 0xE7, 0xA7, 0x2D, 0x51, 0xF4, 0xEA, 0x44, 0x66, 0x67, 0x6F, 0xC3, 0xC6,
    0xA9, 0xFA, 0x56, 0xEC, 0xD8, 0x50, 0x2A, 0xC4, 0xCD, 0xE3, 0x76, 0x07, 0xD1, 0xC5, 0x05, 0x05,
    0x59, 0xA3, 0x7F, 0x30, 0x7D, 0x30, 0x0C, 0x06, 0x03, 0x55, 0x1D, 0x13, 0x01, 0x01, 0xFF, 0x04,
    0x02, 0x30, 0x00, 0x30, 0x0E, 0x06, 0x03, 0x55, 0x1D, 0x0F, 0x01, 0x01, 0xFF, 0x04, 0x04, 0x03,
    0x02, 0x03, 0x88, 0x30, 0x1D, 0x06, 0x03, 0x55, 0x1D, 0x25, 0x04, 0x16, 0x30, 0x14, 0x06, 0x08,
    0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01, 0x06, 0x08, 0x2B, 0x06, 0x01, 0x05, 0x05, 0x07,
    0x03, 0x02, 0x30, 0x1D, 0x06, 0x03, 0x55, 0x1D, 0x0E, 0x04, 0x16, 0x04, 0x14, 0x15, 0x87, 0xE4,
    0x45, 0xF3, 0x52, 0x35, 0xDF, 0x44, 0x1D, 0xE1, 0x50, 0x6C, 0x2B, 0xFB, 0x22, 0x30, 0x10, 0xBD,
    0xFF, 0x30, 0x1F, 0x06, 0x03, 0x55, 0x1D, 0x23, 0x04, 0x18, 0x30, 0x16, 0x80, 0x14, 0x8D, 0x5F,
    0xBB, 0x11, 0xA8, 0xF2, 0xB1, 0x8A, 0x9A, 0xFC, 0x47, 0x2C, 0xF8, 0x7A, 0x99, 0x4F, 0x19, 0xF9,
    0x98, 0x13, 0x30, 0x0A, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02, 0x03, 0x48,
    0x00, 0x30, 0x45, 0x02, 0x20, 0x2F, 0xC2, 0x04, 0xFB, 0x2B, 0xC7, 0x1E, 0x28, 0xF8, 0xC3, 0x07,
    0x74, 0x26, 0x71, 0xE0, 0x5B, 0x0B, 0x7E, 0x7F, 0x5C, 0x78, 0x1F, 0xE5, 0xF6, 0xE6, 0x49, 0xBB,
    0x44, 0x4E, 0xE4, 0x2C, 0x4E, 0x02, 0x21, 0x00, 0xAA, 0xA5, 0xC9, 0x12, 0xDE, 0x42, 0xC0, 0x1F,
    0x2C, 0x2A, 0x76, 0x03, 0x68, 0x00, 0x95, 0x00, 0x6B, 0x70, 0x05, 0x05, 0x01, 0x20, 0x81, 0x05,
    0x32, 0xA6, 0xF5, 0x27, 0x7E, 0xAD, 0x94, 0xB5,
};
static const uint8_t PLACEHOLDER_SPKI[] = {
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01, 0x06, 0x08, 0x2A,
    0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04, 0x73, 0x7E, 0x94, 0x63, 0xB8,
    0x2C, 0x31, 0x58, 0x1B, 0xC9, 0x02, 0xF3, 0xE2, 0xC7, 0x14, 0x05, 0x09, 0x24, 0x37, 0xD8, 0x50,
    0x0A, 0xAF, 0x41, 0xD7, 0x52, 0x3D, 0x05, 0x5F, 0x90, 0xAB, 0x98, 0xB0, 0xD1, 0x34, 0xE7, 0xA7,
    0x2D, 0x51, 0xF4, 0xEA, 0x44, 0x66, 0x67, 0x6F, 0xC3, 0xC6, 0xA9, 0xFA, 0x56, 0xEC, 0xD8, 0x50,
    0x2A, 0xC4, 0xCD, 0xE3, 0x76, 0x07, 0xD1, 0xC5, 0x05, 0x05, 0x59,
};
static const uint8_t PLACEHOLDER_KEY[] = {
    0x30, 0x81, 0x87, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02,
    0x01, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07, 0x04, 0x6D, 0x30, 0x6B, 0x02,
    0x01, 0x01, 0x04, 0x20, 0x4A, 0x3C, 0x97, 0x54, 0xF2, 0xF5, 0xF0, 0xDB, 0x1E, 0xE4, 0xAE, 0x51,
    0x09, 0x2E, 0x2E, 0x16, 0xDF, 0xDC, 0xD3, 0xBD, 0xF5, 0x1F, 0x80, 0x37, 0xFC, 0x0E, 0x9C, 0x85,
    0x3D, 0x7D, 0x54, 0xC8, 0xA1, 0x44, 0x03, 0x42, 0x00, 0x04, 0x73, 0x7E, 0x94, 0x63, 0xB8, 0x2C,
    0x31, 0x58, 0x1B, 0xC9, 0x02, 0xF3, 0xE2, 0xC7, 0x14, 0x05, 0x09, 0x24, 0x37, 0xD8, 0x50, 0x0A,
    0xAF, 0x41, 0xD7, 0x52, 0x3D, 0x05, 0x5F, 0x90, 0xAB, 0x98, 0xB0, 0xD1, 0x34, 0xE7, 0xA7, 0x2D,
    0x51, 0xF4, 0xEA, 0x44, 0x66, 0x67, 0x6F, 0xC3, 0xC6, 0xA9, 0xFA, 0x56, 0xEC, 0xD8, 0x50, 0x2A,
    0xC4, 0xCD, 0xE3, 0x76, 0x07, 0xD1, 0xC5, 0x05, 0x05, 0x59,
};

/* The client's own Bootstrap-Server account, which the server never sees: at a /0 id the
 * plan does not write, in a mode and scheme the client supports (it reached us with it). */
static int add_placeholder_bs(lwm2m_model *m, const lwm2m_bs_plan *plan,
                              const lwm2m_capabilities *caps)
{
    uint16_t iid = 0;
    for (size_t k = 0; k < plan->record_count; k++) {
        const lwm2m_path *p = &plan->records[k].path;
        if (p->id[0] == 0 && p->id[1] == iid)
            iid++;
    }
    if (iid > LWM2M_ID_MAX)
        return LWM2M_ERR_NOMEM;
    static const uint8_t id[] = {'b', 's'}, key[] = {0x01};
    const char *uri = "coap://bootstrap.invalid";
    int64_t mode = LWM2M_SECURITY_NOSEC;
    bool nosec = caps->security_modes & (1u << LWM2M_SECURITY_NOSEC);
    if (nosec && !(caps->schemes & LWM2M_SCHEME_COAP) && (caps->schemes & LWM2M_SCHEME_COAP_TCP)) {
        uri = "coap+tcp://bootstrap.invalid";
    } else if (!nosec || !(caps->schemes & LWM2M_SCHEME_COAP)) {
        static const int64_t secure[] = {LWM2M_SECURITY_PSK, LWM2M_SECURITY_RPK,
                                         LWM2M_SECURITY_CERTIFICATE, LWM2M_SECURITY_EST};
        const char *s_uri = caps->schemes & LWM2M_SCHEME_COAPS ? "coaps://bootstrap.invalid"
                            : caps->schemes & LWM2M_SCHEME_COAPS_TCP
                                ? "coaps+tcp://bootstrap.invalid"
                                : NULL;
        for (size_t k = 0; k < sizeof secure / sizeof secure[0] && s_uri != NULL; k++) {
            if (caps->security_modes & (1u << secure[k])) {
                mode = secure[k];
                uri = s_uri;
                break;
            }
        }
        /* No usable combination: a NoSec account, which the check then refuses, truthfully. */
    }
    lwm2m_record recs[6];
    size_t n = 0;
    recs[n].path = lwm2m_path_res(0, iid, 0);
    recs[n++].value = lwm2m_value_str(uri);
    recs[n].path = lwm2m_path_res(0, iid, 1);
    recs[n++].value = lwm2m_value_bool(true);
    recs[n].path = lwm2m_path_res(0, iid, 2);
    recs[n++].value = lwm2m_value_int(mode);
    if (mode == LWM2M_SECURITY_RPK || mode == LWM2M_SECURITY_CERTIFICATE) {
        /* Its own key, and the same as the Bootstrap-Server's: a SubjectPublicKeyInfo, or a
         * certificate (Certificate Usage 3 by default: the server's own certificate). */
        bool rpk = mode == LWM2M_SECURITY_RPK;
        lwm2m_value own =
            rpk ? lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, PLACEHOLDER_SPKI, sizeof PLACEHOLDER_SPKI)
                : lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, PLACEHOLDER_CERT, sizeof PLACEHOLDER_CERT);
        recs[n].path = lwm2m_path_res(0, iid, 3);
        recs[n++].value = own;
        recs[n].path = lwm2m_path_res(0, iid, 4);
        recs[n++].value = own;
        recs[n].path = lwm2m_path_res(0, iid, 5);
        recs[n++].value =
            lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, PLACEHOLDER_KEY, sizeof PLACEHOLDER_KEY);
    } else if (mode != LWM2M_SECURITY_NOSEC) {
        recs[n].path = lwm2m_path_res(0, iid, 3);
        recs[n++].value = lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, id, sizeof id);
        recs[n].path = lwm2m_path_res(0, iid, 5);
        recs[n++].value = lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, key, sizeof key);
    }
    for (size_t k = 0; k < n; k++)
        recs[k].time = 0;
    lwm2m_path base = lwm2m_path_inst(0, iid);
    return lwm2m_model_write(m, &base, recs, n, LWM2M_WRITE_BOOTSTRAP, NULL);
}

/* The plan's Writes, one Bootstrap-Write per instance, in record (path) order. */
static lwm2m_consistency_rule apply_writes(lwm2m_model *m, const lwm2m_bs_plan *plan,
                                           lwm2m_consistency_result *out)
{
    size_t k = 0;
    while (k < plan->record_count) {
        const lwm2m_path *first = &plan->records[k].path;
        size_t end = k + 1;
        while (end < plan->record_count && plan->records[end].path.id[0] == first->id[0] &&
               plan->records[end].path.id[1] == first->id[1])
            end++;
        if (first->len >= 2 && lwm2m_model_has_object(m, first->id[0])) {
            lwm2m_path base = lwm2m_path_inst(first->id[0], first->id[1]);
            lwm2m_path bad = base;
            int rc = lwm2m_model_write(m, &base, &plan->records[k], end - k, LWM2M_WRITE_BOOTSTRAP,
                                       &bad);
            if (rc == LWM2M_ERR_NOMEM)
                return set_result(out, LWM2M_RULE_NO_MEMORY, bad, "out of memory");
            if (rc != LWM2M_OK)
                return set_result(out, LWM2M_RULE_MISSING_RESOURCE, bad,
                                  "value does not fit the resource (unexpanded template?)");
        }
        k = end;
    }
    return LWM2M_CONSISTENT;
}

static lwm2m_consistency_rule check_plan(const lwm2m_bs_plan *plan, const lwm2m_objdef_list *defs,
                                         lwm2m_consistency_result *out)
{
    lwm2m_capabilities caps = plan->caps;
    if (caps.security_modes == 0)
        caps.security_modes = 1u << LWM2M_SECURITY_PSK | 1u << LWM2M_SECURITY_RPK |
                              1u << LWM2M_SECURITY_CERTIFICATE | 1u << LWM2M_SECURITY_NOSEC;
    if (caps.schemes == 0)
        caps.schemes = LWM2M_SCHEME_COAP | LWM2M_SCHEME_COAPS;
    /* RPK and certificate accounts: their key material as the client's Finish check reads it
     * (a key of the wrong kind, a private key that does not parse or is not the pair, a
     * Certificate Usage outside 0..3, ...), refused here rather than at the device. */
    caps.check_keys = lwm2m_consistency_check_keys;
    lwm2m_model *m = lwm2m_model_new();
    if (m == NULL)
        return set_result(out, LWM2M_RULE_NO_MEMORY, lwm2m_path_root(), "out of memory");
    lwm2m_consistency_rule rule = LWM2M_CONSISTENT;
    lwm2m_path dev = lwm2m_path_inst(3, 0);
    int rc = add_objects(m, plan, defs);
    if (rc == LWM2M_OK && !plan_writes_bs_account(plan))
        rc = add_placeholder_bs(m, plan, &caps);
    if (rc == LWM2M_OK && lwm2m_model_has_object(m, 3))
        rc = lwm2m_model_write(m, &dev, NULL, 0, LWM2M_WRITE_BOOTSTRAP, NULL);
    if (rc != LWM2M_OK) {
        rule = set_result(out, LWM2M_RULE_NO_MEMORY, lwm2m_path_root(), "out of memory");
        goto out;
    }
    /* A Delete of something the client lacks changes nothing; the check is about the rest. */
    for (size_t k = 0; k < plan->delete_count; k++)
        (void)lwm2m_model_delete(m, &plan->deletes[k], LWM2M_DELETE_BOOTSTRAP);
    rule = apply_writes(m, plan, out);
    if (rule == LWM2M_CONSISTENT)
        rule = lwm2m_consistency_check(m, &caps, out);
out:
    lwm2m_model_free(m);
    return rule;
}

int lwm2m_bs_config_validate(const lwm2m_bs_config *cfg, const lwm2m_objdef_list *defs,
                             lwm2m_consistency_result *out)
{
    if (out != NULL) {
        memset(out, 0, sizeof *out);
        snprintf(out->message, sizeof out->message, "consistent");
    }
    if (cfg == NULL)
        return -1;
    for (size_t k = 0; k < cfg->plan_count; k++) {
        lwm2m_consistency_result r;
        if (check_plan(&cfg->plans[k], defs, &r) != LWM2M_CONSISTENT) {
            if (out != NULL)
                *out = r;
            return (int)k;
        }
    }
    return -1;
}
