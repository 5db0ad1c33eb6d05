/* Small helpers the programs share (see app_util.h). */
#include "app_util.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/numtext.h"
#include "lwm2m/error.h"

void lwm2m_app_errf(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

void lwm2m_app_vlog(const char *prog, const char *fmt, va_list ap)
{
    char line[1024];
    vsnprintf(line, sizeof line, fmt, ap);
    time_t t = time(NULL);
    struct tm tm;
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", gmtime_r(&t, &tm));
    fprintf(stderr, "%s %s: %s\n", stamp, prog, line);
}

void lwm2m_app_log(const char *prog, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lwm2m_app_vlog(prog, fmt, ap);
    va_end(ap);
}

int lwm2m_app_hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t lwm2m_app_parse_hex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = strlen(hex);
    if (n == 0 || n % 2 != 0 || n / 2 > cap)
        return 0;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = lwm2m_app_hex_digit(hex[2 * i]), lo = lwm2m_app_hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return 0;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return n / 2;
}

bool lwm2m_app_parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
    int64_t v;
    if (lwm2m_parse_i64(s, strlen(s), &v) != LWM2M_OK || v < min || v > max)
        return false;
    *out = v;
    return true;
}

int lwm2m_app_load_objects(const char *prog, const char *where, const char *dir, lwm2m_ddf_set *ddf,
                           lwm2m_objdef_list *defs)
{
    if (dir == NULL)
        return 0;
    char err[512];
    if (lwm2m_ddf_load_dir(dir, ddf, err, sizeof err) != LWM2M_OK) {
        fprintf(stderr, "%s: %s%s--object-dir: %s\n", prog, where != NULL ? where : "",
                where != NULL ? ": " : "", err);
        return -1;
    }
    *defs = lwm2m_ddf_list(ddf);
    return 0;
}
