/* `lwm2m-server security add|list|show|remove`: the credentials store from the shell. */
#include "security_cmd.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_options.h"
#include "app_util.h"
#include "core/utf8.h"
#include "lwm2m/der.h"
#include "lwm2m/error.h"

#define PROG        "lwm2m-server"
#define EXIT_FAILED 1
#define EXIT_USAGE  2

/* ---- shared with the HTTP API ------------------------------------------------------------- */

static bool printable_utf8(const uint8_t *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return lwm2m_utf8_valid(s, len);
}

static int fill_endpoint(lwm2m_sec_info *out, const char *endpoint, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    size_t elen = endpoint != NULL ? strlen(endpoint) : 0;
    if (elen == 0 || elen > LWM2M_SEC_ENDPOINT_MAX ||
        !printable_utf8((const uint8_t *)endpoint, elen)) {
        lwm2m_app_errf(err, errlen, "bad endpoint name (1..%d bytes of printable UTF-8)",
                       LWM2M_SEC_ENDPOINT_MAX);
        return LWM2M_ERR_INVALID;
    }
    memcpy(out->endpoint, endpoint, elen + 1);
    return LWM2M_OK;
}

int srv_security_fill_pki(lwm2m_sec_info *out, const char *endpoint, const uint8_t *public_key,
                          size_t len, bool x509, char *err, size_t errlen)
{
    if (fill_endpoint(out, endpoint, err, errlen) != LWM2M_OK)
        return LWM2M_ERR_INVALID;
    if (x509) {
        out->mode = LWM2M_SEC_X509;
        return LWM2M_OK;
    }
    const char *why = NULL;
    lwm2m_public_key parsed;
    if (len > LWM2M_SEC_PUBLIC_KEY_MAX ||
        lwm2m_der_public_key(public_key, len, &parsed, &why) != LWM2M_OK) {
        lwm2m_app_errf(err, errlen, "bad public key: %s",
                       len > LWM2M_SEC_PUBLIC_KEY_MAX ? "longer than 1024 bytes" : why);
        return LWM2M_ERR_INVALID;
    }
    out->mode = LWM2M_SEC_RPK;
    memcpy(out->public_key, public_key, len);
    out->public_key_len = len;
    return LWM2M_OK;
}

int srv_security_fill(lwm2m_sec_info *out, const char *endpoint, const char *identity,
                      const char *key_hex, char *err, size_t errlen)
{
    if (fill_endpoint(out, endpoint, err, errlen) != LWM2M_OK)
        return LWM2M_ERR_INVALID;
    size_t ilen = identity != NULL ? strlen(identity) : 0;
    if (ilen == 0 || ilen > LWM2M_SEC_IDENTITY_MAX) {
        lwm2m_app_errf(err, errlen, "bad PSK identity (1..%d bytes)", LWM2M_SEC_IDENTITY_MAX);
        return LWM2M_ERR_INVALID;
    }
    out->psk_key_len =
        key_hex != NULL ? lwm2m_app_parse_hex(key_hex, out->psk_key, sizeof out->psk_key) : 0;
    if (out->psk_key_len == 0) {
        lwm2m_app_errf(err, errlen, "bad PSK key (1..%d bytes as hex)", LWM2M_SEC_KEY_MAX);
        return LWM2M_ERR_INVALID;
    }
    memcpy(out->psk_identity, identity, ilen);
    out->psk_identity_len = ilen;
    return LWM2M_OK;
}

cJSON *srv_security_item(const lwm2m_sec_info *info)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL || cJSON_AddStringToObject(o, "endpoint", info->endpoint) == NULL)
        goto fail;
    if (info->mode != LWM2M_SEC_PSK) {
        char hex[2 * LWM2M_SEC_PUBLIC_KEY_MAX + 1];
        for (size_t i = 0; i < info->public_key_len && i < LWM2M_SEC_PUBLIC_KEY_MAX; i++)
            snprintf(hex + 2 * i, 3, "%02x", info->public_key[i]);
        hex[2 * (info->public_key_len < LWM2M_SEC_PUBLIC_KEY_MAX ? info->public_key_len
                                                                 : LWM2M_SEC_PUBLIC_KEY_MAX)] =
            '\0';
        if (cJSON_AddStringToObject(o, "mode", lwm2m_sec_mode_name(info->mode)) == NULL ||
            (info->mode == LWM2M_SEC_RPK && cJSON_AddStringToObject(o, "publicKey", hex) == NULL))
            goto fail;
        return o;
    }
    if (printable_utf8(info->psk_identity, info->psk_identity_len)) {
        char id[LWM2M_SEC_IDENTITY_MAX + 1];
        memcpy(id, info->psk_identity, info->psk_identity_len);
        id[info->psk_identity_len] = '\0';
        if (cJSON_AddStringToObject(o, "pskIdentity", id) == NULL)
            goto fail;
    } else {
        char hex[2 * LWM2M_SEC_IDENTITY_MAX + 1];
        for (size_t i = 0; i < info->psk_identity_len; i++)
            snprintf(hex + 2 * i, 3, "%02x", info->psk_identity[i]);
        hex[2 * info->psk_identity_len] = '\0';
        if (cJSON_AddNullToObject(o, "pskIdentity") == NULL ||
            cJSON_AddStringToObject(o, "pskIdentityHex", hex) == NULL)
            goto fail;
    }
    return o;
fail:
    cJSON_Delete(o);
    return NULL;
}

/* Growing text of the list: "[" item ",\n" item ... "]". */
typedef struct list_text {
    char *text;
    size_t len, cap;
    bool nomem;
} list_text;

static bool append(list_text *l, const char *s)
{
    size_t n = strlen(s);
    if (l->len + n + 1 > l->cap) {
        size_t cap = l->cap != 0 ? l->cap : 256;
        while (cap < l->len + n + 1)
            cap *= 2;
        char *grown = realloc(l->text, cap);
        if (grown == NULL)
            return false;
        l->text = grown;
        l->cap = cap;
    }
    memcpy(l->text + l->len, s, n + 1);
    l->len += n;
    return true;
}

static int list_one(void *ctx, const lwm2m_sec_info *info)
{
    list_text *l = ctx;
    cJSON *o = srv_security_item(info);
    char *text = o != NULL ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    bool ok = text != NULL && append(l, l->len > 1 ? ",\n" : "") && append(l, text);
    free(text);
    if (!ok) {
        l->nomem = true;
        return LWM2M_ERR_NOMEM;
    }
    return 0;
}

int srv_security_list_json(lwm2m_sec_store *store, char **json)
{
    *json = NULL;
    list_text l = {NULL, 0, 0, false};
    if (!append(&l, "["))
        return LWM2M_ERR_NOMEM;
    int rc = lwm2m_sec_store_list(store, list_one, &l);
    if (rc == LWM2M_OK && !append(&l, "]"))
        rc = LWM2M_ERR_NOMEM;
    if (rc != LWM2M_OK) {
        free(l.text);
        return l.nomem ? LWM2M_ERR_NOMEM : rc;
    }
    *json = l.text;
    return LWM2M_OK;
}

/* ---- the command -------------------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f, "Usage: " PROG " security add --endpoint EP --psk-identity ID --psk-key HEX\n"
               "       " PROG " security add --endpoint EP --rpk-public-key FILE\n"
               "       " PROG " security add --endpoint EP --x509\n"
               "       " PROG " security list\n"
               "       " PROG " security show EP\n"
               "       " PROG " security remove EP\n"
               "       " PROG " security cert-map add CN EP | list | remove CN\n"
               "\n"
               "Manages the DTLS credentials of the server's store, one mode per endpoint: a PSK,\n"
               "a raw public key (RPK), or X.509 (the client's certificate must chain to the\n"
               "server's --ca-file/--ca-dir and its subject CN be the endpoint name, or be mapped\n"
               "to it by the cert map). An endpoint with credentials may only register over DTLS\n"
               "with them. PSK keys are never shown. EP may also follow `add` as an argument.\n"
               "\n"
               "Options (before or after the command):\n"
               "  -s, --store SPEC        sqlite:PATH or PATH (default " SRV_DEFAULT_STORE
               "); may be\n"
               "                          the Bootstrap Server's file\n"
               "  -e, --endpoint EP       (add) the endpoint name\n"
               "  -i, --psk-identity ID   (add) the PSK identity, text, unique across endpoints\n"
               "                          (not starting with 'rpk:' or 'x509:')\n"
               "  -k, --psk-key HEX       (add) the key, 1..64 bytes as hex\n"
               "      --rpk-public-key FILE  (add) the client's public key: SubjectPublicKeyInfo,\n"
               "                          DER or PEM (PUBLIC KEY), unique across endpoints\n"
               "      --x509              (add) the client authenticates with a certificate\n"
               "  -h, --help              this help\n"
               "\n"
               "Output: list prints a JSON array (one entry per line), show one JSON object;\n"
               "cert-map list a JSON array of {\"cn\": ..., \"endpoint\": ...}.\n"
               "Exit status: 0 done; 1 not found, refused (identity or key of another endpoint)\n"
               "or store error; 2 usage error.\n");
}

typedef struct sec_cli {
    const char *store, *endpoint, *identity, *key, *rpk_file;
    bool x509;
    bool help;
} sec_cli;

static int parse_options(int argc, char **argv, sec_cli *o)
{
    enum { OPT_RPK = 256, OPT_X509 };
    static const struct option opts[] = {
        {"store", required_argument, NULL, 's'},
        {"endpoint", required_argument, NULL, 'e'},
        {"psk-identity", required_argument, NULL, 'i'},
        {"psk-key", required_argument, NULL, 'k'},
        {"rpk-public-key", required_argument, NULL, OPT_RPK},
        {"x509", no_argument, NULL, OPT_X509},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    /* optind 0 makes glibc reinitialise getopt (main may have run it); the permuting
     * default lets options come before or after the command and its argument. */
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":s:e:i:k:h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            o->store = optarg;
            break;
        case 'e':
            o->endpoint = optarg;
            break;
        case 'i':
            o->identity = optarg;
            break;
        case 'k':
            o->key = optarg;
            break;
        case OPT_RPK:
            o->rpk_file = optarg;
            break;
        case OPT_X509:
            o->x509 = true;
            break;
        case 'h':
            o->help = true;
            break;
        default:
            lwm2m_app_bad_option(PROG, "security", c, argv);
            return EXIT_USAGE;
        }
    }
    return 0;
}

/* A SubjectPublicKeyInfo from a file: PEM "PUBLIC KEY" or DER. 0, or -1 with `err`. */
static int read_public_key(const char *path, uint8_t *out, size_t cap, size_t *len, char *err,
                           size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        lwm2m_app_errf(err, errlen, "cannot open '%s'", path);
        return -1;
    }
    uint8_t data[8192];
    size_t n = fread(data, 1, sizeof data, f);
    bool bad = ferror(f) != 0 || !feof(f);
    fclose(f);
    if (bad || n == 0) {
        lwm2m_app_errf(err, errlen, "'%s': %s", path, n == 0 ? "empty or unreadable" : "too large");
        return -1;
    }
    if (lwm2m_der_is_pem(data, n)) {
        if (lwm2m_der_pem_block((const char *)data, n, "PUBLIC KEY", out, cap, len, NULL) !=
            LWM2M_OK) {
            lwm2m_app_errf(err, errlen, "'%s': no readable PUBLIC KEY block", path);
            return -1;
        }
        return 0;
    }
    if (n > cap) {
        lwm2m_app_errf(err, errlen, "'%s': longer than %zu bytes", path, cap);
        return -1;
    }
    memcpy(out, data, n);
    *len = n;
    return 0;
}

static int run_add(lwm2m_sec_store *store, const sec_cli *o)
{
    lwm2m_sec_info info;
    char err[512];
    int rc;
    if (o->rpk_file != NULL) {
        uint8_t key[LWM2M_SEC_PUBLIC_KEY_MAX];
        size_t len = 0;
        rc = read_public_key(o->rpk_file, key, sizeof key, &len, err, sizeof err) == 0
                 ? srv_security_fill_pki(&info, o->endpoint, key, len, false, err, sizeof err)
                 : LWM2M_ERR_INVALID;
    } else if (o->x509) {
        rc = srv_security_fill_pki(&info, o->endpoint, NULL, 0, true, err, sizeof err);
    } else {
        rc = srv_security_fill(&info, o->endpoint, o->identity, o->key, err, sizeof err);
    }
    if (rc != LWM2M_OK) {
        fprintf(stderr, PROG ": security add: %s\n", err);
        return EXIT_FAILED;
    }
    lwm2m_sec_info old;
    bool existed = lwm2m_sec_store_get(store, info.endpoint, &old) == LWM2M_OK;
    err[0] = '\0';
    rc = lwm2m_sec_store_put(store, &info, err, sizeof err);
    if (rc != LWM2M_OK) {
        fprintf(stderr, PROG ": security add: %s\n", err[0] != '\0' ? err : lwm2m_strerror(rc));
        return EXIT_FAILED;
    }
    fprintf(stderr, PROG ": security add: %s credentials of '%s' %s\n",
            lwm2m_sec_mode_name(info.mode), info.endpoint, existed ? "replaced" : "stored");
    return 0;
}

static int run_show(lwm2m_sec_store *store, const char *endpoint)
{
    lwm2m_sec_info info;
    int rc = lwm2m_sec_store_get(store, endpoint, &info);
    if (rc == LWM2M_ERR_NOT_FOUND) {
        fprintf(stderr, PROG ": security show: no credentials for '%.255s'\n", endpoint);
        return EXIT_FAILED;
    }
    if (rc != LWM2M_OK) {
        fprintf(stderr, PROG ": security show: %s\n", lwm2m_sec_store_last_error(store));
        return EXIT_FAILED;
    }
    cJSON *o = srv_security_item(&info);
    char *text = o != NULL ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (text == NULL) {
        fprintf(stderr, PROG ": security show: out of memory\n");
        return EXIT_FAILED;
    }
    int status = puts(text) >= 0 && fflush(stdout) == 0 ? 0 : EXIT_FAILED;
    free(text);
    return status;
}

static int run_list(lwm2m_sec_store *store)
{
    char *json = NULL;
    int rc = srv_security_list_json(store, &json);
    if (rc != LWM2M_OK) {
        fprintf(stderr, PROG ": security list: %s\n",
                rc == LWM2M_ERR_NOMEM ? "out of memory" : lwm2m_sec_store_last_error(store));
        return EXIT_FAILED;
    }
    int status = puts(json) >= 0 && fflush(stdout) == 0 ? 0 : EXIT_FAILED;
    free(json);
    return status;
}

static int run_remove(lwm2m_sec_store *store, const char *endpoint)
{
    int rc = lwm2m_sec_store_remove(store, endpoint);
    if (rc == LWM2M_ERR_NOT_FOUND) {
        fprintf(stderr, PROG ": security remove: no credentials for '%.255s'\n", endpoint);
        return EXIT_FAILED;
    }
    if (rc != LWM2M_OK) {
        fprintf(stderr, PROG ": security remove: %s\n", lwm2m_sec_store_last_error(store));
        return EXIT_FAILED;
    }
    return 0;
}

/* Growing "[...]" of the cert map. */
static int map_one(void *ctx, const char *cn, const char *endpoint)
{
    list_text *l = ctx;
    cJSON *o = cJSON_CreateObject();
    bool ok = o != NULL && cJSON_AddStringToObject(o, "cn", cn) != NULL &&
              cJSON_AddStringToObject(o, "endpoint", endpoint) != NULL;
    char *text = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    ok = text != NULL && append(l, l->len > 1 ? ",\n" : "") && append(l, text);
    free(text);
    if (!ok) {
        l->nomem = true;
        return LWM2M_ERR_NOMEM;
    }
    return 0;
}

static int run_cert_map(lwm2m_sec_store *store, int nargs, char **args)
{
    const char *action = args[0];
    char err[512] = "";
    int rc;
    if (strcmp(action, "add") == 0) {
        rc = lwm2m_sec_store_cert_map_put(store, args[1], args[2], err, sizeof err);
        if (rc != LWM2M_OK) {
            fprintf(stderr, PROG ": security cert-map add: %s\n", err);
            return EXIT_FAILED;
        }
        return 0;
    }
    if (strcmp(action, "remove") == 0) {
        rc = lwm2m_sec_store_cert_map_remove(store, args[1]);
        if (rc != LWM2M_OK) {
            fprintf(stderr, PROG ": security cert-map remove: %s\n",
                    rc == LWM2M_ERR_NOT_FOUND ? "no such CN" : lwm2m_sec_store_last_error(store));
            return EXIT_FAILED;
        }
        return 0;
    }
    (void)nargs;
    list_text l = {NULL, 0, 0, false};
    rc = append(&l, "[") ? lwm2m_sec_store_cert_map_list(store, map_one, &l) : LWM2M_ERR_NOMEM;
    if (rc == LWM2M_OK && !append(&l, "]"))
        rc = LWM2M_ERR_NOMEM;
    if (rc != LWM2M_OK) {
        free(l.text);
        fprintf(stderr, PROG ": security cert-map list: %s\n",
                rc == LWM2M_ERR_NOMEM ? "out of memory" : lwm2m_sec_store_last_error(store));
        return EXIT_FAILED;
    }
    int status = puts(l.text) >= 0 && fflush(stdout) == 0 ? 0 : EXIT_FAILED;
    free(l.text);
    return status;
}

/* The command and its argument count are right for the options given; 0 or EXIT_USAGE. */
static int check_usage(const char *cmd, int nargs, char **args, sec_cli *o)
{
    bool add = strcmp(cmd, "add") == 0;
    bool one = strcmp(cmd, "show") == 0 || strcmp(cmd, "remove") == 0;
    bool map = strcmp(cmd, "cert-map") == 0;
    if (!add && !one && !map && strcmp(cmd, "list") != 0) {
        fprintf(stderr, PROG ": security: unknown command '%s' (try security --help)\n", cmd);
        return EXIT_USAGE;
    }
    if (map) {
        const char *a = nargs > 0 ? args[0] : "";
        if (!((strcmp(a, "add") == 0 && nargs == 3) || (strcmp(a, "list") == 0 && nargs == 1) ||
              (strcmp(a, "remove") == 0 && nargs == 2))) {
            fprintf(stderr, PROG ": security cert-map: expected add CN EP, list or remove CN\n");
            return EXIT_USAGE;
        }
    } else if (add && nargs == 1 && o->endpoint == NULL) {
        o->endpoint = args[0]; /* security add EP ... */
    } else if (nargs != (one ? 1 : 0)) {
        fprintf(stderr, PROG ": security %s: expected %s\n", cmd, one ? "EP" : "no arguments");
        return EXIT_USAGE;
    }
    bool psk = o->identity != NULL || o->key != NULL;
    int modes = (psk ? 1 : 0) + (o->rpk_file != NULL ? 1 : 0) + (o->x509 ? 1 : 0);
    if (add &&
        (o->endpoint == NULL || modes != 1 || (psk && (o->identity == NULL || o->key == NULL)))) {
        fprintf(stderr, PROG ": security add: needs an endpoint and one of --psk-identity with "
                             "--psk-key, --rpk-public-key, --x509\n");
        return EXIT_USAGE;
    }
    if (!add && (o->endpoint != NULL || modes != 0)) {
        fprintf(stderr,
                PROG ": security %s: --endpoint, --psk-identity, --psk-key, --rpk-public-key "
                     "and --x509 go with add\n",
                cmd);
        return EXIT_USAGE;
    }
    return 0;
}

int srv_security_main(int argc, char **argv)
{
    sec_cli o = {SRV_DEFAULT_STORE, NULL, NULL, NULL, NULL, false, false};
    int rc = parse_options(argc, argv, &o);
    if (rc != 0)
        return rc;
    if ((rc = lwm2m_app_command_expected(o.help, argc, usage)) != LWM2M_APP_GO_ON)
        return rc;
    const char *cmd = argv[optind];
    int nargs = argc - optind - 1;
    char **args = argv + optind + 1;
    if ((rc = check_usage(cmd, nargs, args, &o)) != 0)
        return rc;
    lwm2m_sec_store *store = NULL;
    char err[512];
    if (lwm2m_sec_store_open(o.store, &store, err, sizeof err) != LWM2M_OK) {
        fprintf(stderr, PROG ": security %s: store %s: %s\n", cmd, o.store, err);
        return EXIT_FAILED;
    }
    if (strcmp(cmd, "add") == 0)
        rc = run_add(store, &o);
    else if (strcmp(cmd, "list") == 0)
        rc = run_list(store);
    else if (strcmp(cmd, "show") == 0)
        rc = run_show(store, args[0]);
    else if (strcmp(cmd, "cert-map") == 0)
        rc = run_cert_map(store, nargs, args);
    else
        rc = run_remove(store, args[0]);
    lwm2m_sec_store_close(store);
    return rc;
}
