/* The client's persisted configuration: every object instance of the model as one SenML JSON
 * document, written atomically (temporary file, fsync, rename, fsync of the directory) so that
 * a crash at any moment leaves the old or the new file, never a mix. */
#ifndef LWM2M_STATE_FILE_H
#define LWM2M_STATE_FILE_H

#include <stddef.h>

#include "lwm2m/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Writes all values of `m` to `path`. On failure `err` (may be NULL) gets one line naming the
 * cause and the previous file is untouched. Returns 0 or a negative lwm2m_err. */
int lwm2m_state_save(lwm2m_model *m, const char *path, char *err, size_t errlen);

/* Bootstrap-Writes every instance found in `path` into `m` (whose objects must already be
 * registered). All or nothing: on any error `m` is unchanged. LWM2M_ERR_NOT_FOUND when the
 * file does not exist, LWM2M_ERR_INVALID when it is not a valid state file. */
int lwm2m_state_load(lwm2m_model *m, const char *path, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
