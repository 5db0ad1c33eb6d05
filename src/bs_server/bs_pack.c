/* Bootstrap-Pack (LwM2M 1.2, GET /bspack): one plan as a single SenML payload. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/bs_session.h"
#include "lwm2m/error.h"

static int fail(int rc, char *diag, size_t diaglen, const char *what, const lwm2m_path *p)
{
    if (diag == NULL || diaglen == 0)
        return rc;
    char path[LWM2M_PATH_STR_MAX];
    if (p != NULL) {
        lwm2m_path_format(p, path, sizeof path);
        snprintf(diag, diaglen, "%s: %s", path, what);
    } else {
        snprintf(diag, diaglen, "%s", what);
    }
    return rc;
}

static bool carries_object(const lwm2m_bs_plan *plan, uint16_t obj)
{
    for (size_t i = 0; i < plan->record_count; i++)
        if (plan->records[i].path.id[0] == obj)
            return true;
    return false;
}

/* What a pack cannot say, since the client applies it by replacing each object it carries:
 * - auto_id_security: the /0 ids depend on the client's account, known only by Discover;
 * - Access Control (/2) instances: their owners and ACLs depend on the client's existing
 *   Server Accounts, and a client without /2 must be told through a fallback plan;
 * - a Delete of "/" (it also empties objects the pack does not carry), of a resource, or of
 *   an object or instance whose object the pack does not carry. A Delete of /o or /o/i with
 *   o carried is already implied by replacing object o, so it is allowed. */
static int check_packable(const lwm2m_bs_config *cfg, const lwm2m_bs_plan *plan, char *diag,
                          size_t diaglen)
{
    if (cfg->auto_id_security)
        return fail(LWM2M_ERR_NOT_ALLOWED, diag, diaglen,
                    "auto_id_security needs a session (Bootstrap-Discover)", NULL);
    for (size_t i = 0; i < plan->record_count; i++) {
        const lwm2m_path *p = &plan->records[i].path;
        if (p->len < 2)
            return fail(LWM2M_ERR_INVALID, diag, diaglen, "record not below an object instance", p);
        if (p->id[0] == 2)
            return fail(LWM2M_ERR_NOT_ALLOWED, diag, diaglen,
                        "Access Control instances need a session", p);
    }
    for (size_t i = 0; i < plan->delete_count; i++) {
        const lwm2m_path *p = &plan->deletes[i];
        if (p->len == 0)
            return fail(LWM2M_ERR_NOT_ALLOWED, diag, diaglen,
                        "Delete of / needs a session: a pack only replaces the objects it carries",
                        p);
        if (p->len > 2 || !carries_object(plan, p->id[0]))
            return fail(LWM2M_ERR_NOT_ALLOWED, diag, diaglen,
                        "Delete outside the objects the pack carries needs a session", p);
    }
    return LWM2M_OK;
}

int lwm2m_bs_pack_encode(const lwm2m_bs_config *cfg, size_t plan, lwm2m_format fmt, lwm2m_buf *out,
                         char *diag, size_t diaglen)
{
    if (diag != NULL && diaglen > 0)
        diag[0] = '\0';
    if (fmt != LWM2M_FORMAT_SENML_CBOR && fmt != LWM2M_FORMAT_SENML_JSON)
        return fail(LWM2M_ERR_UNSUPPORTED, diag, diaglen,
                    "a Bootstrap-Pack is SenML CBOR or SenML JSON", NULL);
    if (cfg == NULL || plan >= cfg->plan_count)
        return fail(LWM2M_ERR_NOT_FOUND, diag, diaglen, "no such plan", NULL);
    const lwm2m_bs_plan *p = &cfg->plans[plan];
    int rc = check_packable(cfg, p, diag, diaglen);
    if (rc != LWM2M_OK)
        return rc;
    /* Plans are sorted by contract; a sorted copy keeps the encoder safe if one is not. */
    lwm2m_record *recs = malloc((p->record_count + 1) * sizeof *recs);
    if (recs == NULL)
        return fail(LWM2M_ERR_NOMEM, diag, diaglen, "out of memory", NULL);
    if (p->record_count > 0)
        memcpy(recs, p->records, p->record_count * sizeof *recs);
    lwm2m_record_sort(recs, p->record_count);
    lwm2m_path root = lwm2m_path_root();
    lwm2m_codec_error err = {0, NULL};
    rc = lwm2m_encode(fmt, &root, recs, p->record_count, out, &err);
    if (rc != LWM2M_OK && rc != LWM2M_ERR_OVERFLOW) {
        const lwm2m_path *bad = err.offset < p->record_count ? &recs[err.offset].path : NULL;
        fail(rc, diag, diaglen, err.reason != NULL ? err.reason : lwm2m_strerror(rc), bad);
    } else if (rc == LWM2M_ERR_OVERFLOW) {
        fail(rc, diag, diaglen, "output buffer too small", NULL);
    }
    free(recs);
    return rc;
}
