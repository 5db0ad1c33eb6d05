/* libFuzzer harness: the LwM2M JSON (11543) decoder, with a round trip through both JSON
 * encoders. */
#define FUZZ_JSON_DECODE lwm2m_lwm2m_json_decode
#include "fuzz_json_common.h"
