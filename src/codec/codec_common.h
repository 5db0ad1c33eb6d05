/* Internal: what every codec does the same way — error reports, undoing a failed decode, and
 * whether a value can be written (strings must be UTF-8, byte spans must exist). */
#ifndef LWM2M_CODEC_COMMON_H
#define LWM2M_CODEC_COMMON_H

#include <stdbool.h>
#include <stddef.h>

#include "lwm2m/buf.h"
#include "lwm2m/codec.h"
#include "lwm2m/record.h"

/* Fills `err` (may be NULL) and returns rc. */
int lwm2m_codec_fail(lwm2m_codec_error *err, int rc, size_t offset, const char *reason);

/* Where a decode started in its output, so that a failure leaves the caller's list and arena
 * as they were (decoders are all-or-nothing). */
typedef struct lwm2m_decode_mark {
    size_t count;
    size_t used;
} lwm2m_decode_mark;

lwm2m_decode_mark lwm2m_decode_mark_take(const lwm2m_record_list *out, const lwm2m_arena *arena);
/* Rolls back to `m` and reports the failure; returns rc. */
int lwm2m_decode_undo(const lwm2m_decode_mark *m, lwm2m_record_list *out, lwm2m_arena *arena,
                      lwm2m_codec_error *err, int rc, size_t offset, const char *reason);

/* Whether a value (not NONE) has a form in the structured formats: strings valid UTF-8, byte
 * spans present. */
bool lwm2m_codec_value_ok(const lwm2m_value *v);

/* A path naming one value: a resource or a resource instance. */
bool lwm2m_codec_single_resource(const lwm2m_path *base);

/* The checks text and opaque share: `base` is a single resource and `recs` is exactly one
 * record at it. Resets `err` first. Messages name the format ("text", "opaque"). */
int lwm2m_codec_one_record(const lwm2m_path *base, const lwm2m_record *recs, size_t n,
                           lwm2m_codec_error *err, const char *single_msg, const char *one_msg);

#endif
