/* Small helpers the programs share: messages into a caller's buffer, log lines, hex and integer
 * arguments, extra object definitions. */
#ifndef LWM2M_APP_UTIL_H
#define LWM2M_APP_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwm2m/ddf.h"
#include "lwm2m/objdef.h"

/* printf into err[0..errlen); nothing when err is NULL or errlen 0. */
void lwm2m_app_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One line on stderr: "<ISO 8601 UTC time> PROG: <text>". */
void lwm2m_app_vlog(const char *prog, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
void lwm2m_app_log(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The value of a hex digit, -1 for any other character. */
int lwm2m_app_hex_digit(int c);

/* Hex text to bytes: the count, or 0 for empty, odd, non-hex or longer than `cap` bytes. */
size_t lwm2m_app_parse_hex(const char *hex, uint8_t *out, size_t cap);

/* A whole decimal option value: optional '-', digits, nothing else; min <= value <= max. */
bool lwm2m_app_parse_int(const char *s, int64_t min, int64_t max, int64_t *out);

/* --object-dir: loads the OMA DDF files of `dir` (NULL: nothing to do) into *ddf and points
 * *defs at them. 0, or -1 with "PROG: [WHERE: ]--object-dir: ..." on stderr (*ddf to be freed
 * by the caller either way). */
int lwm2m_app_load_objects(const char *prog, const char *where, const char *dir, lwm2m_ddf_set *ddf,
                           lwm2m_objdef_list *defs);

#endif
