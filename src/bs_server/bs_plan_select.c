/* What a client's Bootstrap-Discover answer shows, which plan fits it, and auto-ID. */
#include "bs_server/bs_plan_select.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/numtext.h"
#include "lwm2m/error.h"
#include "lwm2m/link.h"

/* ---- the Discover answer ----------------------------------------------------------------- */

static size_t object_slot(const lwm2m_bs_client_info *ci, uint16_t obj, bool *found)
{
    size_t lo = 0, hi = ci->object_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ci->objects[mid] < obj)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < ci->object_count && ci->objects[lo] == obj;
    return lo;
}

/* `objects` has room for every link, so inserting never overflows. */
static void add_object(lwm2m_bs_client_info *ci, uint16_t obj)
{
    bool found;
    size_t at = object_slot(ci, obj, &found);
    if (found)
        return;
    memmove(ci->objects + at + 1, ci->objects + at, (ci->object_count - at) * sizeof *ci->objects);
    ci->objects[at] = obj;
    ci->object_count++;
}

static bool param_u16(const lwm2m_link_param *p, uint16_t *out)
{
    uint64_t v;
    if (p == NULL || p->value == NULL || lwm2m_parse_u64(p->value, p->value_len, &v) != LWM2M_OK ||
        v > LWM2M_ID_MAX)
        return false;
    *out = (uint16_t)v;
    return true;
}

static void note_link(lwm2m_bs_client_info *ci, const lwm2m_link *l)
{
    if (l->path.len == 0) {
        const lwm2m_link_param *v = lwm2m_link_find(l, "lwm2m");
        if (v != NULL && v->value != NULL && v->value_len < sizeof ci->lwm2m_version) {
            memcpy(ci->lwm2m_version, v->value, v->value_len);
            ci->lwm2m_version[v->value_len] = '\0';
        }
        return;
    }
    add_object(ci, l->path.id[0]);
    if (l->path.len != 2 || l->path.id[0] > 1)
        return;
    const lwm2m_link_param *sp = lwm2m_link_find(l, "ssid");
    uint16_t ssid;
    if (sp == NULL && l->path.id[0] == 0 && !ci->has_bs_account) {
        ci->has_bs_account = true;
        ci->bs_account = l->path.id[1];
    } else if (param_u16(sp, &ssid)) {
        lwm2m_bs_listed_account *a = &ci->accounts[ci->account_count++];
        a->obj = l->path.id[0];
        a->inst = l->path.id[1];
        a->ssid = ssid;
    }
}

void lwm2m_bs_client_info_free(lwm2m_bs_client_info *ci)
{
    free(ci->objects);
    free(ci->accounts);
    memset(ci, 0, sizeof *ci);
}

int lwm2m_bs_client_info_parse(const uint8_t *in, size_t len, lwm2m_bs_client_info *out, char *diag,
                               size_t diaglen)
{
    memset(out, 0, sizeof *out);
    /* Unescaped quoted values (uri="...") never outgrow the payload itself. */
    void *mem = malloc(len + 1);
    if (mem == NULL)
        return LWM2M_ERR_NOMEM;
    lwm2m_arena arena = lwm2m_arena_init(mem, len + 1);
    lwm2m_codec_error err = {0, NULL};
    size_t count = 0;
    int rc = lwm2m_link_count(in, len, &arena, &count, &err);
    if (rc == LWM2M_OK) {
        out->objects = malloc((count + 1) * sizeof *out->objects);
        out->accounts = malloc((count + 1) * sizeof *out->accounts);
        if (out->objects == NULL || out->accounts == NULL)
            rc = LWM2M_ERR_NOMEM;
    }
    lwm2m_link_reader r;
    lwm2m_arena_reset(&arena);
    lwm2m_link_reader_init(&r, in, len, &arena);
    lwm2m_link link;
    while (rc == LWM2M_OK) {
        int n = lwm2m_link_next(&r, &link, &err);
        if (n <= 0) {
            rc = n;
            break;
        }
        if (link.has_path)
            note_link(out, &link);
    }
    free(mem);
    if (rc != LWM2M_OK) {
        if (rc == LWM2M_ERR_INVALID && diag != NULL && diaglen > 0)
            snprintf(diag, diaglen, "Bootstrap-Discover answer: byte %zu: %s", err.offset,
                     err.reason != NULL ? err.reason : "invalid link format");
        else if (diag != NULL && diaglen > 0)
            snprintf(diag, diaglen, "Bootstrap-Discover answer: %s", lwm2m_strerror(rc));
        lwm2m_bs_client_info_free(out);
    }
    return rc;
}

bool lwm2m_bs_client_info_has_object(const lwm2m_bs_client_info *ci, uint16_t obj)
{
    bool found;
    if (obj <= 1)
        return true;
    object_slot(ci, obj, &found);
    return found;
}

/* ---- plan choice ------------------------------------------------------------------------- */

static void say(char *why, size_t whylen, const char *text, unsigned a)
{
    if (why != NULL && whylen > 0)
        snprintf(why, whylen, text, a);
}

bool lwm2m_bs_plan_fits(const lwm2m_bs_plan *plan, const lwm2m_bs_client_info *ci, char *why,
                        size_t whylen)
{
    if (ci == NULL)
        return true;
    size_t servers = 0;
    for (size_t i = 0; i < plan->record_count; i++) {
        const lwm2m_path *p = &plan->records[i].path;
        if (p->len < 1)
            continue;
        if (p->id[0] == 2 && !lwm2m_bs_client_info_has_object(ci, 2)) {
            say(why, whylen, "the plan writes Access Control (/%u) but the client has none", 2);
            return false;
        }
        if (!lwm2m_bs_client_info_has_object(ci, p->id[0])) {
            say(why, whylen, "the client does not list object %u", p->id[0]);
            return false;
        }
        /* Records are sorted: a new /1 instance starts where the previous record differs. */
        if (p->id[0] == 1 && p->len >= 2 &&
            (i == 0 || plan->records[i - 1].path.len < 2 || plan->records[i - 1].path.id[0] != 1 ||
             plan->records[i - 1].path.id[1] != p->id[1]))
            servers++;
    }
    if (servers > 1 && !lwm2m_bs_client_info_has_object(ci, 2)) {
        say(why, whylen,
            "%u Server Accounts, but a client without Access Control (/2) holds only one",
            (unsigned)servers);
        return false;
    }
    return true;
}

size_t lwm2m_bs_plan_select(const lwm2m_bs_config *cfg, size_t from, const lwm2m_bs_client_info *ci,
                            char *why, size_t whylen)
{
    char reason[160] = "no plan left to try";
    size_t last = cfg->plan_count;
    for (size_t i = from; i < cfg->plan_count; i++) {
        if (lwm2m_bs_plan_fits(&cfg->plans[i], ci, reason, sizeof reason))
            return i;
        last = i;
    }
    if (why != NULL && whylen > 0) {
        if (last < cfg->plan_count)
            snprintf(why, whylen, "plan %zu: %s", last, reason);
        else
            snprintf(why, whylen, "%s", reason);
    }
    return cfg->plan_count;
}

/* ---- auto-ID ----------------------------------------------------------------------------- */

static bool is_bs_flag(const lwm2m_record *r)
{
    return r->path.len == 3 && r->path.id[0] == 0 && r->path.id[2] == 1 &&
           r->value.type == LWM2M_TYPE_BOOLEAN && r->value.v.b;
}

static bool id_taken(const uint16_t *ids, size_t n, size_t skip, uint16_t id)
{
    for (size_t k = 0; k < n; k++)
        if (k != skip && ids[k] == id)
            return true;
    return false;
}

int lwm2m_bs_auto_id(lwm2m_record *recs, size_t n, uint16_t client_bs)
{
    /* The plan's distinct /0 instance ids (old) and where each goes (new). */
    uint16_t *old_ids = malloc((n + 1) * sizeof *old_ids);
    uint16_t *new_ids = malloc((n + 1) * sizeof *new_ids);
    if (old_ids == NULL || new_ids == NULL) {
        free(old_ids);
        free(new_ids);
        return LWM2M_ERR_NOMEM;
    }
    size_t count = 0;
    size_t bs = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        if (recs[i].path.len < 2 || recs[i].path.id[0] != 0)
            continue;
        size_t k = 0;
        while (k < count && old_ids[k] != recs[i].path.id[1])
            k++;
        if (k == count)
            old_ids[count++] = recs[i].path.id[1];
        if (bs == SIZE_MAX && is_bs_flag(&recs[i]))
            bs = k;
    }
    for (size_t k = 0; k < count; k++)
        new_ids[k] = k == bs ? client_bs : old_ids[k];
    int rc = LWM2M_OK;
    for (size_t k = 0; k < count && rc == LWM2M_OK; k++) {
        if (k == bs || new_ids[k] != client_bs)
            continue;
        uint32_t id = 0;
        while (id <= LWM2M_ID_MAX && (id == client_bs || id_taken(new_ids, count, k, (uint16_t)id)))
            id++;
        if (id > LWM2M_ID_MAX)
            rc = LWM2M_ERR_RANGE;
        else
            new_ids[k] = (uint16_t)id;
    }
    for (size_t i = 0; i < n && rc == LWM2M_OK; i++) {
        if (recs[i].path.len < 2 || recs[i].path.id[0] != 0)
            continue;
        for (size_t k = 0; k < count; k++)
            if (old_ids[k] == recs[i].path.id[1]) {
                recs[i].path.id[1] = new_ids[k];
                break;
            }
    }
    free(old_ids);
    free(new_ids);
    return rc;
}
