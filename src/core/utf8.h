/* Internal: UTF-8 well-formedness (RFC 3629 / Unicode Table 3-7: no overlongs, no surrogates,
 * nothing above U+10FFFF), shared by every codec that carries strings. */
#ifndef LWM2M_CORE_UTF8_H
#define LWM2M_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length of the well-formed sequence at p (n >= 1 bytes available), 0 when ill-formed. */
size_t lwm2m_utf8_seq(const uint8_t *p, size_t n);
/* Offset of the first byte that is not well-formed, or `len` when all of it is. */
size_t lwm2m_utf8_invalid_at(const uint8_t *s, size_t len);
bool lwm2m_utf8_valid(const uint8_t *s, size_t len);

#endif
