/* libFuzzer harness: bootstrap configuration documents. The input is a document; one that
 * parses must serialize, parse again and serialize to the very same text (abort otherwise).
 * Validation, pattern matching and, for templates, expansion run on it too. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/bs_config.h"
#include "lwm2m/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A vendor object with every type, so typed paths other than objects 0-5 are reached. */
static const lwm2m_resource_def vendor_res[] = {
    {0, LWM2M_TYPE_STRING, 3, false, false, "s"},   {1, LWM2M_TYPE_INTEGER, 3, false, false, "i"},
    {2, LWM2M_TYPE_UNSIGNED, 3, false, false, "u"}, {3, LWM2M_TYPE_FLOAT, 3, false, false, "f"},
    {4, LWM2M_TYPE_BOOLEAN, 3, false, false, "b"},  {5, LWM2M_TYPE_OPAQUE, 3, false, false, "o"},
    {6, LWM2M_TYPE_TIME, 3, false, false, "t"},     {7, LWM2M_TYPE_OBJLNK, 3, false, false, "l"},
    {8, LWM2M_TYPE_CORELNK, 3, false, false, "c"},  {9, LWM2M_TYPE_INTEGER, 3, true, false, "m"},
    {10, LWM2M_TYPE_NONE, 4, false, false, "x"},    {11, LWM2M_TYPE_FLOAT, 3, true, false, "fm"},
};
static const lwm2m_object_def vendor_obj = {
    30000, true,  false,      "Vendor",
    "1.0", "1.1", vendor_res, sizeof vendor_res / sizeof vendor_res[0],
};
static const lwm2m_object_def *const vendor_arr[] = {&vendor_obj};
static const lwm2m_objdef_list defs = {vendor_arr, 1};

static void check_err(const char *err, size_t cap)
{
    const char *nul = memchr(err, '\0', cap);
    if (nul == NULL)
        abort();
    size_t n = (size_t)(nul - err);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)err[i] < 0x20)
            abort();
}

/* parse(to_json(cfg)) serializes identically; validation agrees on both. */
static void check_round_trip(const lwm2m_bs_config *cfg)
{
    char *a = lwm2m_bs_config_to_json(cfg);
    if (a == NULL)
        abort();
    size_t len = strlen(a);
    if (len <= 1024 * 1024) {
        lwm2m_bs_config *again = NULL;
        char err[256] = "";
        if (lwm2m_bs_config_parse(a, len, &defs, &again, err, sizeof err) != LWM2M_OK)
            abort();
        char *b = lwm2m_bs_config_to_json(again);
        if (b == NULL || strcmp(a, b) != 0)
            abort();
        lwm2m_consistency_result r1, r2;
        int v1 = lwm2m_bs_config_validate(cfg, &defs, &r1);
        int v2 = lwm2m_bs_config_validate(again, &defs, &r2);
        if (v1 != v2 || r1.rule != r2.rule || strcmp(r1.message, r2.message) != 0)
            abort();
        free(b);
        lwm2m_bs_config_free(again);
    }
    free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lwm2m_bs_config *cfg = NULL;
    char err[256] = "";
    const char *doc = (const char *)data;
    int rc = lwm2m_bs_config_parse(doc, size, &defs, &cfg, err, sizeof err);
    check_err(err, sizeof err);
    if (rc != LWM2M_OK) {
        if (cfg != NULL)
            abort();
        return 0;
    }
    check_round_trip(cfg);
    if (cfg->endpoint[0] == '\0') {
        (void)lwm2m_bs_pattern_match(cfg->match, "sensor-1");
        static const lwm2m_bs_var vars[] = {{"a", "1"}, {"host", "h"}, {"psk", "0011"}};
        lwm2m_bs_config *ex = NULL;
        rc = lwm2m_bs_config_expand(doc, size, "ep-1", vars, 3, &defs, &ex, err, sizeof err);
        check_err(err, sizeof err);
        if (rc == LWM2M_OK) {
            if (strcmp(ex->endpoint, "ep-1") != 0 || ex->match[0] != '\0' ||
                strcmp(ex->template_name, cfg->template_name) != 0)
                abort();
            check_round_trip(ex);
            lwm2m_bs_config_free(ex);
        }
    }
    lwm2m_bs_config_free(cfg);
    return 0;
}
