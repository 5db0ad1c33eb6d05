/* Reader of OMA DDF object definition files (the XML of the OMA LwM2M registry), used at
 * build time by lwm2m-objgen and at run time for --object-dir. It runs at start-up, not in
 * the protocol path, so it allocates: everything it allocates belongs to one lwm2m_ddf_set
 * and is released by lwm2m_ddf_free. */
#ifndef LWM2M_DDF_H
#define LWM2M_DDF_H

#include <stddef.h>

#include "lwm2m/objdef.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A growing set of loaded definitions. Zero-initialise it (`lwm2m_ddf_set s = {0};`),
 * load into it, and release it with lwm2m_ddf_free. The fields are private. */
typedef struct lwm2m_ddf_set {
    lwm2m_object_def **defs; /* each one malloc'ed block: def, resources, strings */
    size_t count;
    size_t cap;
} lwm2m_ddf_set;

/* Where and why parsing failed. */
typedef struct lwm2m_ddf_error {
    size_t line;        /* 1-based line in the XML; 0 when not about a place (memory) */
    size_t offset;      /* byte offset in the XML */
    const char *reason; /* static lower-case phrase */
} lwm2m_ddf_error;

/* Parses one DDF XML document of `len` bytes (no NUL needed) and adds each <Object> to
 * `set`, one definition per object (a file per version gives a definition per version).
 * All or nothing: on error `set` is unchanged. `err` may be NULL.
 * Returns 0, LWM2M_ERR_INVALID (malformed XML or definition), LWM2M_ERR_EXISTS (the set
 * already has this object id and version) or LWM2M_ERR_NOMEM. */
int lwm2m_ddf_parse(const char *xml, size_t len, lwm2m_ddf_set *set, lwm2m_ddf_error *err);

/* Reads and parses one file. On error `errbuf` (may be NULL) gets "PATH:LINE: reason" or
 * "PATH: reason". Returns the codes of lwm2m_ddf_parse, or LWM2M_ERR_NOT_FOUND when the file
 * cannot be read. All or nothing. */
int lwm2m_ddf_load_file(const char *path, lwm2m_ddf_set *set, char *errbuf, size_t errlen);

/* Loads every "*.xml" file of a directory (not starting with '.'), in name order.
 * All or nothing: the first failing file stops the load and `set` is left unchanged. */
int lwm2m_ddf_load_dir(const char *dir, lwm2m_ddf_set *set, char *errbuf, size_t errlen);

/* The loaded definitions in load order, valid until the set changes or is freed. */
lwm2m_objdef_list lwm2m_ddf_list(const lwm2m_ddf_set *set);

/* Frees every definition and leaves `set` empty (reusable). NULL is allowed. */
void lwm2m_ddf_free(lwm2m_ddf_set *set);

#ifdef __cplusplus
}
#endif
#endif
