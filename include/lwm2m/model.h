/* The object model: the client's objects, instances and resource values, with the LwM2M
 * semantics of Bootstrap-Write, DM Write (replace / partial update), Create, Delete, Read,
 * Execute and Discover. The model owns copies of every value it stores. It is not tied to a
 * network or a clock: the client state machines drive it. */
#ifndef LWM2M_MODEL_H
#define LWM2M_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwm2m/buf.h"
#include "lwm2m/objdef.h"
#include "lwm2m/path.h"
#include "lwm2m/record.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lwm2m_model lwm2m_model;

/* Optional application hooks of one object (as Anjay's and Wakaama's object handlers).
 * The model keeps the values; hooks make them live. Any hook may be NULL. */
typedef struct lwm2m_object_handlers {
    /* Before a read under `path` (instance level or deeper): refresh values the application
     * owns with lwm2m_model_set. Returning an error fails the read. */
    int (*read)(void *ctx, lwm2m_model *m, const lwm2m_path *path);
    /* Before a write or create of instance `path` is applied (`recs` are the request's
     * records, not yet converted). Returning an error rejects the whole operation. */
    int (*write)(void *ctx, lwm2m_model *m, const lwm2m_path *path, const lwm2m_record *recs,
                 size_t n);
    /* Execute on a resource whose definition allows E. */
    int (*execute)(void *ctx, lwm2m_model *m, const lwm2m_path *path, const uint8_t *args,
                   size_t len);
    void *ctx;
} lwm2m_object_handlers;

typedef enum lwm2m_write_mode {
    /* Bootstrap-Write: creates what does not exist, ignores access rights and unknown
     * resources; each instance in the payload (object or instance level) is replaced, a
     * resource-level write replaces that resource. */
    LWM2M_WRITE_BOOTSTRAP,
    /* DM Write (PUT): the instance must exist; instance level replaces every writable
     * resource, resource level replaces the resource. Only writable resources. */
    LWM2M_WRITE_REPLACE,
    /* DM Write (POST, partial update): the instance must exist; given resources and
     * resource instances are added or replaced, the others kept. Only writable resources. */
    LWM2M_WRITE_UPDATE,
    /* DM Create: the instances must not exist yet. */
    LWM2M_WRITE_CREATE,
} lwm2m_write_mode;

typedef enum lwm2m_delete_mode {
    LWM2M_DELETE_DM,        /* one instance: /o/i */
    LWM2M_DELETE_BOOTSTRAP, /* "/", "/o" or "/o/i"; keeps the Bootstrap-Server account and /3/0 */
} lwm2m_delete_mode;

typedef enum lwm2m_discover_mode {
    LWM2M_DISCOVER_DM,        /* DM Discover on /o, /o/i or /o/i/r: dim= on multiple resources */
    LWM2M_DISCOVER_BOOTSTRAP, /* "</>;lwm2m=V", objects, instances; ssid/uri on accounts */
    LWM2M_DISCOVER_REGISTER,  /* Register/Update payload: objects (ver=) and instances */
} lwm2m_discover_mode;

lwm2m_model *lwm2m_model_new(void);
void lwm2m_model_free(lwm2m_model *m);
/* Deep copy (values, instances, handlers); NULL when out of memory. */
lwm2m_model *lwm2m_model_clone(const lwm2m_model *m);
/* Replaces the contents of `dst` with those of `src` (both keep their own memory). */
int lwm2m_model_assign(lwm2m_model *dst, const lwm2m_model *src);

/* Declares an object the client implements. The definition must outlive the model.
 * LWM2M_ERR_EXISTS when the object is already there. */
int lwm2m_model_add_object(lwm2m_model *m, const lwm2m_object_def *def,
                           const lwm2m_object_handlers *handlers);
const lwm2m_object_def *lwm2m_model_object_def(const lwm2m_model *m, uint16_t obj);
bool lwm2m_model_has_object(const lwm2m_model *m, uint16_t obj);
bool lwm2m_model_has_instance(const lwm2m_model *m, uint16_t obj, uint16_t inst);
/* Number and ids of the objects (ascending) / of the instances of an object (ascending). */
size_t lwm2m_model_object_count(const lwm2m_model *m);
uint16_t lwm2m_model_object_id_at(const lwm2m_model *m, size_t i);
size_t lwm2m_model_instance_count(const lwm2m_model *m, uint16_t obj);
uint16_t lwm2m_model_instance_id_at(const lwm2m_model *m, uint16_t obj, size_t i);
/* Number and ids (ascending) of the instances of the multiple resource at `res` (/o/i/r);
 * 0 / LWM2M_ID_RESERVED when absent. */
size_t lwm2m_model_resource_instance_count(const lwm2m_model *m, const lwm2m_path *res);
uint16_t lwm2m_model_resource_instance_id_at(const lwm2m_model *m, const lwm2m_path *res, size_t i);
/* Lowest free instance id of an object, or LWM2M_ERR_NOT_FOUND / _NOMEM when none. */
int lwm2m_model_free_instance_id(const lwm2m_model *m, uint16_t obj, uint16_t *out);

/* Writes decoded records to `base` with the semantics of `mode`. All or nothing: on any error
 * the model is unchanged. Values are converted to the declared resource types.
 * Errors: LWM2M_ERR_NOT_FOUND (object absent from this model, or instance missing for
 * REPLACE/UPDATE), LWM2M_ERR_EXISTS (CREATE on an existing instance), LWM2M_ERR_NOT_ALLOWED
 * (non-writable resource in a DM write), LWM2M_ERR_TYPE (value does not fit the resource),
 * LWM2M_ERR_INVALID (records outside base, single/multiple mismatch, unknown resource in a
 * DM write), LWM2M_ERR_NOMEM. `bad` (may be NULL) receives the offending record's path. */
int lwm2m_model_write(lwm2m_model *m, const lwm2m_path *base, const lwm2m_record *recs, size_t n,
                      lwm2m_write_mode mode, lwm2m_path *bad);

/* Sets one value (application side, no access check, no hook). Creates the instance if
 * needed. path.len must be 3 (single) or 4 (multiple resource instance). */
int lwm2m_model_set(lwm2m_model *m, const lwm2m_path *path, const lwm2m_value *value);
/* Borrowed pointer to a stored value, valid until the next change of the model; NULL when
 * absent. path.len 3 or 4. */
const lwm2m_value *lwm2m_model_get(const lwm2m_model *m, const lwm2m_path *path);
/* Convenience getters: 0 on success, LWM2M_ERR_NOT_FOUND or LWM2M_ERR_TYPE. */
int lwm2m_model_get_int(const lwm2m_model *m, const lwm2m_path *path, int64_t *out);
int lwm2m_model_get_bool(const lwm2m_model *m, const lwm2m_path *path, bool *out);
int lwm2m_model_get_bytes(const lwm2m_model *m, const lwm2m_path *path, lwm2m_bytes *out);

/* Deletes per `mode`. LWM2M_ERR_NOT_FOUND for a missing object (any mode) or instance (DM);
 * a Bootstrap-Delete of a missing instance succeeds. A protected instance named explicitly
 * by a Bootstrap-Delete is kept and the call succeeds (the spec's rule, not an error). */
int lwm2m_model_delete(lwm2m_model *m, const lwm2m_path *path, lwm2m_delete_mode mode);

/* Appends the records under `path` ("/" for everything) to `out`, in path order, values
 * borrowed from the model (valid until its next change). Empty instances and empty multiple
 * resources give NONE records. Calls read hooks first. Only resources with values appear.
 * LWM2M_ERR_NOT_FOUND when the path does not exist, LWM2M_ERR_NOMEM when `out` is full. */
int lwm2m_model_read(lwm2m_model *m, const lwm2m_path *path, lwm2m_record_list *out);

/* Execute a resource. LWM2M_ERR_NOT_FOUND (no instance), LWM2M_ERR_NOT_ALLOWED (not E). */
int lwm2m_model_execute(lwm2m_model *m, const lwm2m_path *path, const uint8_t *args, size_t len);

/* True when /0/inst is the Bootstrap-Server account (/0/inst/1 is true). */
bool lwm2m_model_is_bootstrap_account(const lwm2m_model *m, uint16_t inst);

/* Notification attributes (Write-Attributes) of one server (ssid) on a path. */
typedef enum lwm2m_attr {
    LWM2M_ATTR_PMIN,
    LWM2M_ATTR_PMAX,
    LWM2M_ATTR_GT,
    LWM2M_ATTR_LT,
    LWM2M_ATTR_ST,
    LWM2M_ATTR_EPMIN,
    LWM2M_ATTR_EPMAX,
    LWM2M_ATTR_COUNT_,
} lwm2m_attr;
/* "pmin", "pmax", "gt", "lt", "st", "epmin", "epmax"; lwm2m_attr_from_name returns -1 for others.
 */
const char *lwm2m_attr_name(lwm2m_attr a);
int lwm2m_attr_from_name(const char *name, size_t len);
/* Sets (or, with `clear`, removes) an attribute. The path must exist (level 1 to 4). */
int lwm2m_model_set_attr(lwm2m_model *m, uint16_t ssid, const lwm2m_path *path, lwm2m_attr a,
                         double value, bool clear);
/* Attribute value on exactly this path (not inherited); LWM2M_ERR_NOT_FOUND when unset. */
int lwm2m_model_get_attr(const lwm2m_model *m, uint16_t ssid, const lwm2m_path *path, lwm2m_attr a,
                         double *out);

/* Writes a link-format payload for `path` in `mode` to `out`. `lwm2m_version` ("1.1") is
 * used by the bootstrap mode's "</>;lwm2m=" link; `ssid` selects whose attributes the DM mode
 * lists. LWM2M_ERR_NOT_FOUND for a missing path, LWM2M_ERR_INVALID for a path the mode does
 * not allow, LWM2M_ERR_OVERFLOW when `out` is too small. */
int lwm2m_model_discover(lwm2m_model *m, const lwm2m_path *path, lwm2m_discover_mode mode,
                         const char *lwm2m_version, uint16_t ssid, lwm2m_buf *out);

#ifdef __cplusplus
}
#endif
#endif
