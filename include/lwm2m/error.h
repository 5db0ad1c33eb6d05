/* Error codes shared by every layer. Functions return 0 (LWM2M_OK) or a negative code. */
#ifndef LWM2M_ERROR_H
#define LWM2M_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lwm2m_err {
    LWM2M_OK = 0,
    LWM2M_ERR_INVALID = -1,     /* malformed input: bad syntax, truncated, wrong nesting */
    LWM2M_ERR_NOMEM = -2,       /* an allocation, arena or record list ran out */
    LWM2M_ERR_OVERFLOW = -3,    /* output buffer too small (lwm2m_buf.len tells how much) */
    LWM2M_ERR_NOT_FOUND = -4,   /* object, instance or resource does not exist */
    LWM2M_ERR_TYPE = -5,        /* value of the wrong type for the resource */
    LWM2M_ERR_UNSUPPORTED = -6, /* content format or feature not supported */
    LWM2M_ERR_RANGE = -7,       /* a number or ID outside its allowed range */
    LWM2M_ERR_NOT_ALLOWED = -8, /* operation not allowed on this target */
    LWM2M_ERR_EXISTS = -9,      /* target already exists (DM Create) */
} lwm2m_err;

/* A static, human-readable name of an error code ("invalid input", ...). */
const char *lwm2m_strerror(int err);

#ifdef __cplusplus
}
#endif
#endif
