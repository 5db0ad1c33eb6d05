/* A record is one value at one full path: the common currency of every codec and the model. */
#ifndef LWM2M_RECORD_H
#define LWM2M_RECORD_H

#include <stddef.h>

#include "lwm2m/path.h"
#include "lwm2m/value.h"

#ifdef __cplusplus
extern "C" {
#endif

/* path.len is 3 (single resource) or 4 (resource instance) for a value.
 * A record with value.type == LWM2M_TYPE_NONE marks an empty container: an object instance
 * without resources (path.len 2) or a multiple resource without instances (path.len 3).
 * A resource whose records have path.len 4 is a multiple resource, even with one instance. */
typedef struct lwm2m_record {
    lwm2m_path path;
    lwm2m_value value;
    double time; /* SenML/LwM2M JSON time of the value, seconds (bt + t); 0 = none */
} lwm2m_record;

/* Caller-owned array of records that decoders append to. */
typedef struct lwm2m_record_list {
    lwm2m_record *items;
    size_t count;
    size_t cap;
} lwm2m_record_list;

static inline lwm2m_record_list lwm2m_record_list_init(lwm2m_record *items, size_t cap)
{
    lwm2m_record_list l;
    l.items = items;
    l.count = 0;
    l.cap = cap;
    return l;
}

/* Appends a record with time 0; LWM2M_ERR_NOMEM when the list is full. */
int lwm2m_record_list_add(lwm2m_record_list *l, const lwm2m_path *path, const lwm2m_value *value);

/* Stable sort by path (lwm2m_path_compare), keeping the order of records with equal paths. */
void lwm2m_record_sort(lwm2m_record *recs, size_t n);

#ifdef __cplusplus
}
#endif
#endif
