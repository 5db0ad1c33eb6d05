/* libFuzzer harness: the SenML JSON (110) decoder, with a round trip through both JSON
 * encoders. */
#define FUZZ_JSON_DECODE lwm2m_senml_json_decode
#include "fuzz_json_common.h"
