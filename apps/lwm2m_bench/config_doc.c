/* The seeded configuration document (see config_doc.h). */
#include "config_doc.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endpoint.h"

int bench_dm_uris(const char *uri, char second[BENCH_URI_MAX])
{
    static const char scheme[] = "coap://";
    size_t n = strlen(uri);
    if (n >= BENCH_URI_MAX - 1 || strncmp(uri, scheme, sizeof scheme - 1) != 0)
        return -1;
    const char *host = uri + sizeof scheme - 1, *colon = strrchr(uri, ':');
    if (colon == NULL || colon <= host)
        return -1;
    for (const char *p = host; p < colon; p++)
        if (*p <= 0x20 || *p >= 0x7f || strchr("\"\\/?#", *p) != NULL)
            return -1;
    char *end = NULL;
    long port = strtol(colon + 1, &end, 10);
    if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || port < 1 || port > 65534)
        return -1;
    snprintf(second, BENCH_URI_MAX, "%.*s:%ld", (int)(colon - uri), uri, port + 1);
    return 0;
}

/* One NoSec Security instance (/0/iid) and its ssid. */
static int security(char *out, size_t cap, unsigned iid, const char *uri, unsigned ssid)
{
    return snprintf(out, cap, "\"%u\":{\"0\":\"%s\",\"1\":false,\"2\":3,\"10\":%u}", iid, uri,
                    ssid);
}

void bench_psk_member(const char *endpoint, const uint8_t key[BENCH_PSK_KEY_LEN],
                      char out[BENCH_CREDS_MAX])
{
    char hex[2 * BENCH_PSK_KEY_LEN + 1];
    for (size_t i = 0; i < BENCH_PSK_KEY_LEN; i++)
        snprintf(hex + 2 * i, 3, "%02x", key[i]);
    snprintf(out, BENCH_CREDS_MAX, "\"psk\":{\"identity\":\"%s\",\"key\":\"%s\"},", endpoint, hex);
}

int bench_rpk_member(const uint8_t *spki, size_t len, char out[BENCH_CREDS_MAX])
{
    static const char head[] = "\"rpk\":{\"publicKey\":\"", tail[] = "\"},";
    if (sizeof head - 1 + 2 * len + sizeof tail > BENCH_CREDS_MAX)
        return -1;
    char *p = out + sizeof head - 1;
    memcpy(out, head, sizeof head - 1);
    for (size_t i = 0; i < len; i++, p += 2)
        snprintf(p, 3, "%02x", spki[i]);
    memcpy(p, tail, sizeof tail);
    return 0;
}

int bench_config_doc(const char *endpoint, const char *credentials, const char *dm_uri,
                     const char *dm2_uri, char *out, size_t cap)
{
    char sec1[BENCH_URI_MAX + 64], sec2[BENCH_URI_MAX + 64];
    security(sec1, sizeof sec1, 1, dm_uri, BENCH_SSID_PRIMARY);
    security(sec2, sizeof sec2, 2, dm2_uri, BENCH_SSID_PRIMARY + 1);
    int n = snprintf(
        out, cap,
        "{\"endpoint\":\"%s\",%s\"discover\":false,\"autoIdForSecurityObject\":false,"
        "\"delete\":[\"/\"],\"objects\":{\"0\":{%s,%s},"
        "\"1\":{\"0\":{\"0\":%u,\"1\":300,\"6\":true,\"7\":\"U\"},"
        "\"1\":{\"0\":%u,\"1\":300,\"6\":false,\"7\":\"U\"}},"
        "\"2\":{\"0\":{\"0\":3,\"1\":0,\"2\":{\"%u\":15,\"%u\":1},\"3\":%u}}},"
        "\"fallbacks\":[{\"capabilities\":{\"maxServers\":1},\"delete\":[\"/\"],"
        "\"objects\":{\"0\":{%s},\"1\":{\"0\":{\"0\":%u,\"1\":300,\"6\":true,\"7\":\"U\"}}}}]}",
        endpoint, credentials != NULL ? credentials : "", sec1, sec2, BENCH_SSID_PRIMARY,
        BENCH_SSID_PRIMARY + 1, BENCH_SSID_PRIMARY, BENCH_SSID_PRIMARY + 1, BENCH_SSID_PRIMARY,
        sec1, BENCH_SSID_PRIMARY);
    return n < 0 || (size_t)n >= cap ? -1 : n;
}
