#include "lwm2m/error.h"

const char *lwm2m_strerror(int err)
{
    switch (err) {
    case LWM2M_OK:
        return "ok";
    case LWM2M_ERR_INVALID:
        return "invalid input";
    case LWM2M_ERR_NOMEM:
        return "out of memory";
    case LWM2M_ERR_OVERFLOW:
        return "output buffer too small";
    case LWM2M_ERR_NOT_FOUND:
        return "not found";
    case LWM2M_ERR_TYPE:
        return "type mismatch";
    case LWM2M_ERR_UNSUPPORTED:
        return "unsupported";
    case LWM2M_ERR_RANGE:
        return "out of range";
    case LWM2M_ERR_NOT_ALLOWED:
        return "not allowed";
    case LWM2M_ERR_EXISTS:
        return "already exists";
    default:
        return "unknown error";
    }
}
