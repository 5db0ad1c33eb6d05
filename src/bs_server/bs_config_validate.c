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
    lwm2m_record recs[5];
    recs[0].path = lwm2m_path_res(0, iid, 0);
    recs[0].value = lwm2m_value_str(uri);
    recs[1].path = lwm2m_path_res(0, iid, 1);
    recs[1].value = lwm2m_value_bool(true);
    recs[2].path = lwm2m_path_res(0, iid, 2);
    recs[2].value = lwm2m_value_int(mode);
    recs[3].path = lwm2m_path_res(0, iid, 3);
    recs[3].value = lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, id, sizeof id);
    recs[4].path = lwm2m_path_res(0, iid, 5);
    recs[4].value = lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, key, sizeof key);
    for (size_t k = 0; k < 5; k++)
        recs[k].time = 0;
    lwm2m_path base = lwm2m_path_inst(0, iid);
    size_t n = mode == LWM2M_SECURITY_NOSEC ? 3 : 5;
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
