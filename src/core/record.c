#include "lwm2m/record.h"

#include "lwm2m/error.h"

int lwm2m_record_list_add(lwm2m_record_list *l, const lwm2m_path *path, const lwm2m_value *value)
{
    if (l->count >= l->cap)
        return LWM2M_ERR_NOMEM;
    l->items[l->count].path = *path;
    l->items[l->count].value = *value;
    l->items[l->count].time = 0;
    l->count++;
    return LWM2M_OK;
}

/* Insertion sort: stable, in place, no allocation; payloads hold few records and usually
 * arrive already sorted, which makes it linear in practice. */
void lwm2m_record_sort(lwm2m_record *recs, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        if (lwm2m_path_compare(&recs[i - 1].path, &recs[i].path) <= 0)
            continue;
        lwm2m_record tmp = recs[i];
        size_t j = i;
        while (j > 0 && lwm2m_path_compare(&recs[j - 1].path, &tmp.path) > 0) {
            recs[j] = recs[j - 1];
            j--;
        }
        recs[j] = tmp;
    }
}
