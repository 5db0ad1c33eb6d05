/* Object definitions (OMA DDF): built in from the registry XML files at build time, or loaded at
 * run time from a directory of DDF XML files. */
#ifndef LWM2M_OBJDEF_H
#define LWM2M_OBJDEF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwm2m/path.h"
#include "lwm2m/value.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lwm2m_ops {
    LWM2M_OP_NONE = 0,
    LWM2M_OP_READ = 1,
    LWM2M_OP_WRITE = 2,
    LWM2M_OP_EXECUTE = 4,
} lwm2m_ops;

typedef struct lwm2m_resource_def {
    uint16_t id;
    uint8_t type; /* lwm2m_type; LWM2M_TYPE_NONE for executable resources */
    uint8_t ops;  /* lwm2m_ops bits; LWM2M_OP_NONE for Security (/0) resources */
    bool multiple;
    bool mandatory;
    const char *name;
} lwm2m_resource_def;

typedef struct lwm2m_object_def {
    uint16_t id;
    bool multiple;  /* MultipleInstances */
    bool mandatory; /* Mandatory */
    const char *name;
    const char *version;                 /* ObjectVersion, "1.0" when absent in the XML */
    const char *lwm2m_version;           /* LWM2MVersion, "1.0" when absent */
    const lwm2m_resource_def *resources; /* sorted by id */
    size_t resource_count;
} lwm2m_object_def;

/* A set of definitions to search, e.g. loaded with --object-dir. */
typedef struct lwm2m_objdef_list {
    const lwm2m_object_def *const *defs;
    size_t count;
} lwm2m_objdef_list;

/* Built-in definitions (every version in registry/). `version` NULL means the newest. */
const lwm2m_object_def *lwm2m_objdef_builtin(uint16_t obj_id, const char *version);
size_t lwm2m_objdef_builtin_count(void);
const lwm2m_object_def *lwm2m_objdef_builtin_at(size_t i);

/* Newest definition of obj_id in `list`, or NULL. */
const lwm2m_object_def *lwm2m_objdef_find(const lwm2m_objdef_list *list, uint16_t obj_id);

/* Resource definition by id (binary search), or NULL. */
const lwm2m_resource_def *lwm2m_objdef_resource(const lwm2m_object_def *obj, uint16_t res_id);

/* Compares "major.minor" version strings: <0, 0, >0. Unparsable strings sort first. */
int lwm2m_version_compare(const char *a, const char *b);

/* lwm2m_types resolver: ctx is a `const lwm2m_objdef_list *` searched first (may be NULL),
 * then the newest built-in definition. Unknown resources give LWM2M_TYPE_NONE. */
lwm2m_type lwm2m_objdef_type_of(void *ctx, const lwm2m_path *resource);

#ifdef __cplusplus
}
#endif
#endif
