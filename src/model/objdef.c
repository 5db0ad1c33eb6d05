/* Lookups in the built-in definitions (generated from the registry XML) and in run-time lists. */
#include "lwm2m/objdef.h"

#include <string.h>

#include "model/objdef_registry.h"

/* "major.minor" in decimal digits (at most 9 each, so no overflow); false otherwise. */
static bool parse_version(const char *s, unsigned long *major, unsigned long *minor)
{
    unsigned long v[2] = {0, 0};
    if (s == NULL)
        return false;
    for (int part = 0; part < 2; part++) {
        size_t digits = 0;
        while (*s >= '0' && *s <= '9' && digits < 9) {
            v[part] = v[part] * 10 + (unsigned long)(*s++ - '0');
            digits++;
        }
        if (digits == 0)
            return false;
        if (part == 0 && *s++ != '.')
            return false;
    }
    if (*s != '\0')
        return false;
    *major = v[0];
    *minor = v[1];
    return true;
}

int lwm2m_version_compare(const char *a, const char *b)
{
    unsigned long a1, a2, b1, b2;
    bool ok_a = parse_version(a, &a1, &a2), ok_b = parse_version(b, &b1, &b2);
    if (!ok_a || !ok_b) {
        if (ok_a != ok_b)
            return ok_a ? 1 : -1;
        /* Both unparsable: still a total order, by bytes (NULL first). */
        if (a == NULL || b == NULL)
            return (a != NULL) - (b != NULL);
        int c = strcmp(a, b);
        return (c > 0) - (c < 0);
    }
    if (a1 != b1)
        return a1 < b1 ? -1 : 1;
    return (a2 > b2) - (a2 < b2);
}

const lwm2m_object_def *lwm2m_objdef_builtin(uint16_t obj_id, const char *version)
{
    /* The registry is sorted by (id, version): find the first entry with this id. */
    size_t lo = 0, hi = lwm2m_objdef_registry_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (lwm2m_objdef_registry[mid]->id < obj_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    const lwm2m_object_def *found = NULL;
    for (size_t i = lo; i < lwm2m_objdef_registry_count; i++) {
        const lwm2m_object_def *d = lwm2m_objdef_registry[i];
        if (d->id != obj_id)
            break;
        if (version == NULL)
            found = d; /* the last one is the newest */
        else if (lwm2m_version_compare(d->version, version) == 0)
            return d;
    }
    return found;
}

size_t lwm2m_objdef_builtin_count(void)
{
    return lwm2m_objdef_registry_count;
}

const lwm2m_object_def *lwm2m_objdef_builtin_at(size_t i)
{
    return i < lwm2m_objdef_registry_count ? lwm2m_objdef_registry[i] : NULL;
}

const lwm2m_object_def *lwm2m_objdef_find(const lwm2m_objdef_list *list, uint16_t obj_id)
{
    const lwm2m_object_def *best = NULL;
    if (list == NULL || list->defs == NULL)
        return NULL;
    for (size_t i = 0; i < list->count; i++) {
        const lwm2m_object_def *d = list->defs[i];
        if (d != NULL && d->id == obj_id &&
            (best == NULL || lwm2m_version_compare(d->version, best->version) > 0))
            best = d;
    }
    return best;
}

const lwm2m_resource_def *lwm2m_objdef_resource(const lwm2m_object_def *obj, uint16_t res_id)
{
    if (obj == NULL || obj->resources == NULL)
        return NULL;
    size_t lo = 0, hi = obj->resource_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint16_t id = obj->resources[mid].id;
        if (id == res_id)
            return &obj->resources[mid];
        if (id < res_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

lwm2m_type lwm2m_objdef_type_of(void *ctx, const lwm2m_path *resource)
{
    if (resource == NULL || resource->len < LWM2M_PATH_RESOURCE)
        return LWM2M_TYPE_NONE;
    /* An object in the list shadows the built-in one entirely (it may be another version). */
    const lwm2m_object_def *obj =
        lwm2m_objdef_find((const lwm2m_objdef_list *)ctx, resource->id[0]);
    if (obj == NULL)
        obj = lwm2m_objdef_builtin(resource->id[0], NULL);
    const lwm2m_resource_def *r = lwm2m_objdef_resource(obj, resource->id[2]);
    return r ? (lwm2m_type)r->type : LWM2M_TYPE_NONE;
}
