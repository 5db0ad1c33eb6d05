/* Internal: the built-in definitions, generated at build time by lwm2m-objgen from
 * the XML files in registry/ (build/generated/objdefs_registry.c). Sorted by (object id, version);
 * each object's resources sorted by id. */
#ifndef LWM2M_MODEL_OBJDEF_REGISTRY_H
#define LWM2M_MODEL_OBJDEF_REGISTRY_H

#include <stddef.h>

#include "lwm2m/objdef.h"

extern const lwm2m_object_def *const lwm2m_objdef_registry[];
extern const size_t lwm2m_objdef_registry_count;

#endif
