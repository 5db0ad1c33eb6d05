/* `lwm2m-server clients|show|read|...`: thin clients of the server's HTTP API
 * (docs/server-api.md), one HTTP request per operation (an event stream for observe and
 * events). */
#include "cli.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "core/numtext.h"
#include "http_client.h"
#include "lwm2m/path.h"

#define PROG             "lwm2m-server"
#define DEFAULT_API      "http://127.0.0.1:8081"
#define EXIT_FAILED      1
#define EXIT_USAGE       2
#define EXIT_UNREACHABLE 3
#define EP_MAX           256        /* endpoint names, as the registration directory keeps them */
#define INPUT_MAX        (1u << 20) /* a SenML document read from stdin or a file */
#define TIMEOUT_MAX_S    300L       /* --timeout: the server takes ?timeout=1..300 */
#define DURATION_MAX_S   31536000L  /* --duration: a year */
#define API_WAIT_S       10         /* listing, show, opening the event stream */
#define DM_WAIT_S        305        /* a DM request without --timeout: the server's longest */
#define DM_MARGIN_S      5          /* over ?timeout=S, so that the server's 504 comes first */
#define TARGET_MAX       2048

enum option_flag {
    OPT_JSON = 1u << 0,  /* --json: print the API's JSON */
    OPT_SENML = 1u << 1, /* --json SENML: the values to send */
    OPT_UPDATE = 1u << 2,
    OPT_FORMAT = 1u << 3,
    OPT_COUNT = 1u << 4,
    OPT_DURATION = 1u << 5,
    OPT_ENDPOINT = 1u << 6,
};

typedef struct cli {
    const char *api; /* as given, for messages */
    lwm2m_http_url url;
    long timeout_s; /* 0: not given */
    bool json;
    const char *senml;
    char *senml_buf; /* owns --json - / @FILE input */
    bool update;
    const char *format;
    long count;      /* -1: none */
    long duration_s; /* -1: none */
    const char *endpoint;
    int cancel_fd;  /* the signalfd while observe and events run, else -1 */
    char what[400]; /* "read dev1 /3/0/0": how messages name the operation */
} cli;

typedef struct command {
    const char *name;
    const char *args;
    unsigned opts;
    bool dm; /* sends a request to the LwM2M client (--timeout goes to the server) */
    int min_args, max_args;
    const char *summary;
    const char *help;
    int (*run)(cli *o, char **args, int nargs);
} command;

/* ---- messages ---- */

static void fail(const cli *o, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void fail(const cli *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, PROG ": %s: ", o->what);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- JSON helpers ---- */

static const char *json_str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool json_num(const cJSON *obj, const char *key, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(v))
        return false;
    *out = v->valuedouble;
    return true;
}

/* Integers as integers (cJSON keeps doubles), others in their shortest exact form. */
static void print_number(FILE *f, double d)
{
    if (d > -9.2e18 && d < 9.2e18 && (double)(long long)d == d) {
        fprintf(f, "%lld", (long long)d);
        return;
    }
    char buf[LWM2M_DOUBLE_STR_MAX];
    if (lwm2m_fmt_double(d, buf, sizeof buf) == 0)
        fputs("null", f);
    else
        fputs(buf, f);
}

static void print_compact(FILE *f, const cJSON *v)
{
    char *s = cJSON_PrintUnformatted(v);
    fputs(s ? s : "?", f);
    free(s);
}

/* Indented by two spaces per level, as `python3 -m json.tool` would (cJSON_Print uses tabs
 * and "key":<tab>value). */
static void print_pretty(FILE *f, const cJSON *v, int depth)
{
    bool object = cJSON_IsObject(v);
    if ((!object && !cJSON_IsArray(v)) || v->child == NULL) {
        if (object || cJSON_IsArray(v))
            fputs(object ? "{}" : "[]", f);
        else if (cJSON_IsNumber(v))
            print_number(f, v->valuedouble);
        else
            print_compact(f, v);
        return;
    }
    fputc(object ? '{' : '[', f);
    for (const cJSON *e = v->child; e != NULL; e = e->next) {
        fprintf(f, "\n%*s", 2 * (depth + 1), "");
        if (object) {
            cJSON key = {0};
            key.type = cJSON_String;
            key.valuestring = e->string;
            print_compact(f, &key);
            fputs(": ", f);
        }
        print_pretty(f, e, depth + 1);
        if (e->next != NULL)
            fputc(',', f);
    }
    fprintf(f, "\n%*s%c", 2 * depth, "", object ? '}' : ']');
}

/* A raw body on its own line(s). */
static void print_raw(const char *body, size_t len)
{
    fwrite(body, 1, len, stdout);
    if (len == 0 || body[len - 1] != '\n')
        fputc('\n', stdout);
}

/* ---- arguments ---- */

static bool parse_long(const char *s, long min, long max, long *out)
{
    int64_t v;
    if (lwm2m_parse_i64(s, strlen(s), &v) != 0 || v < min || v > max)
        return false;
    *out = (long)v;
    return true;
}

/* "/3/0" or "3/0": 1 to 4 IDs. `norm` gets the path with its leading '/'. */
static bool parse_path_arg(const char *s, lwm2m_path *p, char norm[LWM2M_PATH_STR_MAX])
{
    char tmp[LWM2M_PATH_STR_MAX + 8];
    size_t len = strlen(s);
    if (len == 0 || len + 2 > sizeof tmp)
        return false;
    tmp[0] = '/';
    memcpy(tmp + (s[0] != '/'), s, len + 1);
    len += s[0] != '/';
    if (lwm2m_path_parse(tmp, len, p) != 0 || p->len == 0)
        return false;
    lwm2m_path_format(p, norm, LWM2M_PATH_STR_MAX);
    return true;
}

static bool parse_ep_arg(const char *ep)
{
    size_t len = strlen(ep);
    return len > 0 && len < EP_MAX;
}

/* Percent-encodes all but RFC 3986 unreserved characters. `out` holds 3 * strlen(s) + 1. */
static void pct_encode(const char *s, char *out)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '.' || ch == '_' || ch == '~') {
            *out++ = (char)ch;
        } else {
            *out++ = '%';
            *out++ = hex[ch >> 4];
            *out++ = hex[ch & 15];
        }
    }
    *out = '\0';
}

static const char *const formats[] = {"tlv",  "senml-json", "senml-cbor", "json",
                                      "cbor", "text",       "opaque"};

static bool format_known(const char *f)
{
    for (size_t k = 0; k < sizeof formats / sizeof formats[0]; k++) {
        if (strcmp(f, formats[k]) == 0)
            return true;
    }
    return false;
}

/* The whole of `f` (at most INPUT_MAX bytes), NUL-terminated; NULL with errno. */
static char *slurp(FILE *f)
{
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        if (len + 1 == cap) {
            char *bigger = cap > INPUT_MAX ? NULL : realloc(buf, cap * 2);
            if (bigger == NULL) {
                free(buf);
                errno = cap > INPUT_MAX ? EFBIG : ENOMEM;
                return NULL;
            }
            buf = bigger;
            cap *= 2;
        }
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0) {
            if (ferror(f)) {
                free(buf);
                errno = EIO;
                return NULL;
            }
            buf[len] = '\0';
            return buf;
        }
    }
    errno = ENOMEM;
    return NULL;
}

/* --json SENML: the text itself, '-' for stdin or '@FILE'; it must be a JSON array. */
static int load_senml(cli *o, const char *cmd)
{
    const char *src = o->senml;
    if (strcmp(src, "-") == 0 || src[0] == '@') {
        FILE *f = src[0] == '@' ? fopen(src + 1, "r") : stdin;
        if (f == NULL) {
            fprintf(stderr, PROG ": %s: cannot open %s: %s\n", cmd, src + 1, strerror(errno));
            return EXIT_USAGE;
        }
        o->senml_buf = slurp(f);
        int saved = errno;
        if (f != stdin)
            fclose(f);
        if (o->senml_buf == NULL) {
            fprintf(stderr, PROG ": %s: cannot read %s: %s\n", cmd,
                    src[0] == '@' ? src + 1 : "stdin", strerror(saved));
            return EXIT_USAGE;
        }
        o->senml = o->senml_buf;
    }
    cJSON *j = cJSON_Parse(o->senml);
    bool array = cJSON_IsArray(j);
    cJSON_Delete(j);
    if (!array) {
        fprintf(stderr, PROG ": %s: --json: not a JSON array (SenML JSON)\n", cmd);
        return EXIT_USAGE;
    }
    return 0;
}

/* ---- talking to the API ---- */

typedef struct answer {
    lwm2m_http_response resp;
    cJSON *json; /* NULL when the body is empty */
    bool cancelled;
} answer;

static void answer_free(answer *a)
{
    cJSON_Delete(a->json);
    lwm2m_http_response_free(&a->resp);
    memset(a, 0, sizeof *a);
}

static int64_t wait_ms(const cli *o, bool dm)
{
    if (o->timeout_s > 0)
        return (o->timeout_s + (dm ? DM_MARGIN_S : 0)) * 1000;
    return (dm ? DM_WAIT_S : API_WAIT_S) * 1000;
}

/* An HTTP-level failure: prints it, returns the exit status. */
static int transport_error(const cli *o, int rc, const char *err, int64_t waited_ms)
{
    switch (rc) {
    case LWM2M_HTTP_ERR_CONNECT:
        fail(o, "cannot reach the API at %s: %s", o->api, err);
        return EXIT_UNREACHABLE;
    case LWM2M_HTTP_ERR_TIMEOUT:
        fail(o, "no answer from the API at %s within %lld s", o->api,
             (long long)(waited_ms / 1000));
        return EXIT_FAILED;
    case LWM2M_HTTP_ERR_NOMEM:
        fail(o, "out of memory");
        return EXIT_FAILED;
    case LWM2M_HTTP_CANCELLED:
        fail(o, "interrupted");
        return EXIT_FAILED;
    default:
        fail(o, "bad answer from the API at %s: %s", o->api, err);
        return EXIT_UNREACHABLE;
    }
}

/* A non-2xx HTTP status: prints the API's error, returns the exit status. */
static int status_error(const cli *o, int status, const cJSON *j, const char *body, size_t len)
{
    const char *error = json_str(j, "error");
    const char *what = json_str(j, "status");
    char snippet[201];
    if (error == NULL && j == NULL && len > 0) {
        /* Not JSON: the first line of whatever came. */
        size_t k = strcspn(body, "\r\n");
        if (k >= sizeof snippet)
            k = sizeof snippet - 1;
        memcpy(snippet, body, k);
        snippet[k] = '\0';
        error = snippet;
    }
    if (error == NULL) {
        fail(o, "HTTP %d, no details", status);
        return status == 400 || status == 413 ? EXIT_USAGE : EXIT_FAILED;
    }
    if (status == 404) {
        fail(o, "%s", error);
        return EXIT_FAILED;
    }
    if (status == 400 || status == 413) {
        fail(o, "%s", error);
        return EXIT_USAGE;
    }
    if (what != NULL)
        fail(o, "%s: %s", what, error);
    else
        fail(o, "HTTP %d: %s", status, error);
    return EXIT_FAILED;
}

/* One request; 0 with `a` holding a 2xx answer (JSON or empty), else the exit status with
 * the failure printed. `a` is to be freed either way. */
static int call(cli *o, const char *method, const char *target, const char *ctype, const char *body,
                bool dm, answer *a)
{
    memset(a, 0, sizeof *a);
    char err[300];
    lwm2m_http_request req = {method,         target,      "application/json",
                              ctype,          body,        body ? strlen(body) : 0,
                              wait_ms(o, dm), o->cancel_fd};
    int rc = lwm2m_http_exchange(&o->url, &req, &a->resp, err, sizeof err);
    if (rc == LWM2M_HTTP_CANCELLED) {
        a->cancelled = true;
        return EXIT_FAILED;
    }
    if (rc != 0)
        return transport_error(o, rc, err, req.timeout_ms);
    if (a->resp.body_len > 0) {
        a->json = cJSON_ParseWithLength(a->resp.body, a->resp.body_len);
        if (a->json == NULL && a->resp.status >= 200 && a->resp.status <= 299) {
            fail(o, "bad answer from the API at %s: not JSON (HTTP %d)", o->api, a->resp.status);
            return EXIT_UNREACHABLE;
        }
    }
    if (a->resp.status < 200 || a->resp.status > 299)
        return status_error(o, a->resp.status, a->json, a->resp.body ? a->resp.body : "",
                            a->resp.body_len);
    return 0;
}

/* The LwM2M client's answer in a DM reply: 0 for 2.xx, else prints it and gives 1. */
static int dm_outcome(const cli *o, const cJSON *j)
{
    const char *code = json_str(j, "code");
    const char *status = json_str(j, "status");
    if (code == NULL) {
        fail(o, "bad answer from the API at %s: no \"code\"", o->api);
        return EXIT_UNREACHABLE;
    }
    if (code[0] == '2' && code[1] == '.')
        return 0;
    const char *diag = json_str(j, "diagnostic");
    if (diag == NULL)
        diag = json_str(j, "error");
    if (diag != NULL && diag[0] != '\0')
        fail(o, "%s %s: %s", code, status ? status : "", diag);
    else
        fail(o, "%s %s", code, status ? status : "");
    return EXIT_FAILED;
}

/* 2.xx answers whose payload did not decode carry "error" (and "hex"). */
static int undecodable(const cli *o, const cJSON *j)
{
    const char *why = json_str(j, "error");
    if (why == NULL)
        return 0;
    const char *hex = json_str(j, "hex");
    fail(o, "%s %s but its payload does not decode: %s%s%s", json_str(j, "code"),
         json_str(j, "status") ? json_str(j, "status") : "", why, hex ? "; payload " : "",
         hex ? hex : "");
    return EXIT_FAILED;
}

/* "/api/clients/EP" + path + suffix + query. 0, or EXIT_USAGE when too long. */
static int client_target(const cli *o, char *out, const char *ep, const char *path,
                         const char *suffix, const char *query)
{
    char enc[3 * EP_MAX + 1];
    pct_encode(ep, enc);
    int n = snprintf(out, TARGET_MAX, "/api/clients/%s%s%s%s%s", enc, path ? path : "",
                     suffix ? suffix : "", query && *query ? "?" : "", query ? query : "");
    if (n < 0 || n >= TARGET_MAX) {
        fail(o, "request too long");
        return EXIT_USAGE;
    }
    return 0;
}

/* The DM query: timeout=S when --timeout was given, then `extra`. */
static void dm_query(const cli *o, char *out, size_t cap, const char *extra)
{
    char t[32] = "";
    if (o->timeout_s > 0)
        snprintf(t, sizeof t, "timeout=%ld", o->timeout_s);
    snprintf(out, cap, "%s%s%s", t, *t && extra && *extra ? "&" : "", extra ? extra : "");
}

/* ---- printing values ---- */

static void print_value(FILE *f, const cJSON *item)
{
    const char *type = json_str(item, "type");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, "value");
    if (cJSON_IsString(v) && type != NULL && strcmp(type, "opaque") == 0)
        fprintf(f, "0x%s", v->valuestring);
    else if (cJSON_IsString(v) && type != NULL && strcmp(type, "objlnk") == 0)
        fputs(v->valuestring, f);
    else if (cJSON_IsNumber(v))
        print_number(f, v->valuedouble);
    else if (v == NULL || cJSON_IsNull(v))
        fputs("(no value)", f);
    else
        print_compact(f, v); /* strings quoted and escaped, booleans, anything else as JSON */
}

/* `/3/0/0 = "lwm2m-bootstrap"` for each element of "content". */
static void print_content(const cJSON *j)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(j, "content"))
    {
        const char *path = json_str(item, "path");
        fprintf(stdout, "%s = ", path ? path : "?");
        print_value(stdout, item);
        fputc('\n', stdout);
    }
    fflush(stdout);
}

/* "2.04 CHANGED" (and the location of a created instance). */
static void print_code(const cJSON *j)
{
    const char *location = json_str(j, "location");
    printf("%s %s%s%s\n", json_str(j, "code"), json_str(j, "status") ? json_str(j, "status") : "",
           location ? " " : "", location ? location : "");
}

/* ---- clients, show ---- */

enum { COLS = 7, CELL_MAX = 272 };

static void client_cells(const cJSON *reg, char cells[COLS][CELL_MAX])
{
    static const char *const keys[] = {"endpoint", "id", "version", "binding", "address"};
    for (size_t k = 0; k < 5; k++) {
        const char *s = json_str(reg, keys[k]);
        snprintf(cells[k], CELL_MAX, "%s", s && *s ? s : "-");
    }
    /* 1.1 queue mode is a flag of its own; show it the 1.0 way, in the binding. */
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(reg, "queueMode")) &&
        strchr(cells[3], 'Q') == NULL && strlen(cells[3]) + 1 < CELL_MAX)
        strcat(cells[3], "Q");
    double d;
    if (json_num(reg, "lifetime", &d))
        snprintf(cells[5], CELL_MAX, "%llds", (long long)d);
    else
        strcpy(cells[5], "-");
    if (json_num(reg, "expiresInMs", &d))
        snprintf(cells[6], CELL_MAX, "%llds", (long long)(d / 1000));
    else
        strcpy(cells[6], "-");
}

static void print_clients(const cJSON *list)
{
    static const char *const head[COLS] = {"ENDPOINT", "ID",       "VERSION",   "BINDING",
                                           "ADDRESS",  "LIFETIME", "EXPIRES IN"};
    char cells[COLS][CELL_MAX];
    size_t width[COLS];
    for (size_t k = 0; k < COLS; k++)
        width[k] = strlen(head[k]);
    const cJSON *reg;
    cJSON_ArrayForEach(reg, list)
    {
        client_cells(reg, cells);
        for (size_t k = 0; k < COLS; k++) {
            size_t w = strlen(cells[k]);
            width[k] = w > width[k] ? w : width[k];
        }
    }
    for (size_t k = 0; k + 1 < COLS; k++)
        printf("%-*s  ", (int)width[k], head[k]);
    printf("%s\n", head[COLS - 1]);
    cJSON_ArrayForEach(reg, list)
    {
        client_cells(reg, cells);
        for (size_t k = 0; k + 1 < COLS; k++)
            printf("%-*s  ", (int)width[k], cells[k]);
        printf("%s\n", cells[COLS - 1]);
    }
}

static int cmd_clients(cli *o, char **args, int nargs)
{
    (void)args;
    (void)nargs;
    snprintf(o->what, sizeof o->what, "clients");
    answer a;
    int rc = call(o, "GET", "/api/clients", NULL, NULL, false, &a);
    if (rc == 0 && !cJSON_IsArray(a.json)) {
        fail(o, "bad answer from the API at %s: not a JSON array", o->api);
        rc = EXIT_UNREACHABLE;
    }
    if (rc == 0) {
        if (o->json)
            print_raw(a.resp.body, a.resp.body_len);
        else
            print_clients(a.json);
    }
    answer_free(&a);
    return rc;
}

static int cmd_show(cli *o, char **args, int nargs)
{
    (void)nargs;
    snprintf(o->what, sizeof o->what, "show %s", args[0]);
    char target[TARGET_MAX];
    int rc = client_target(o, target, args[0], NULL, NULL, NULL);
    answer a;
    memset(&a, 0, sizeof a);
    if (rc == 0)
        rc = call(o, "GET", target, NULL, NULL, false, &a);
    if (rc == 0 && !cJSON_IsObject(a.json)) {
        fail(o, "bad answer from the API at %s: not a JSON object", o->api);
        rc = EXIT_UNREACHABLE;
    }
    if (rc == 0) {
        print_pretty(stdout, a.json, 0);
        fputc('\n', stdout);
    }
    answer_free(&a);
    return rc;
}

/* ---- device management ---- */

typedef struct dm_target {
    const char *ep;
    lwm2m_path path;
    char path_str[LWM2M_PATH_STR_MAX];
} dm_target;

/* EP and PATH arguments; `levels` is a bit mask of the allowed path depths (1 << len). */
static int dm_args(cli *o, const char *cmd, char **args, unsigned levels, dm_target *t)
{
    t->ep = args[0];
    snprintf(o->what, sizeof o->what, "%s %s %s", cmd, args[0], args[1]);
    if (!parse_ep_arg(t->ep)) {
        fail(o, "bad endpoint name (1 to %d bytes)", EP_MAX - 1);
        return EXIT_USAGE;
    }
    if (!parse_path_arg(args[1], &t->path, t->path_str)) {
        fail(o, "bad path (1 to 4 IDs 0..%u: /O, /O/I, /O/I/R or /O/I/R/RI)", LWM2M_ID_MAX);
        return EXIT_USAGE;
    }
    if (((1u << t->path.len) & levels) == 0) {
        static const char *const need[] = {"", "an object (/O)", "an instance (/O/I)",
                                           "a resource (/O/I/R)", "a resource (/O/I/R[/RI])"};
        unsigned k = levels == 1u << 1 ? 1 : levels == 1u << 2 ? 2 : levels == 1u << 3 ? 3 : 4;
        fail(o, "%s needs %s", cmd, need[k]);
        return EXIT_USAGE;
    }
    snprintf(o->what, sizeof o->what, "%s %s %s", cmd, t->ep, t->path_str);
    return 0;
}

#define ANY_LEVEL (1u << 1 | 1u << 2 | 1u << 3 | 1u << 4)

/* Sends one DM request; on a 2.xx answer prints what `print` says, else the error. */
typedef enum dm_print { PRINT_CODE, PRINT_CONTENT, PRINT_LINKS } dm_print;

static void print_links(const cJSON *j)
{
    const cJSON *link;
    cJSON_ArrayForEach(link, cJSON_GetObjectItemCaseSensitive(j, "links"))
    {
        const char *path = json_str(link, "path");
        printf("<%s>", path ? path : "?");
        const cJSON *attr;
        cJSON_ArrayForEach(attr, cJSON_GetObjectItemCaseSensitive(link, "attributes"))
        {
            printf(";%s", attr->string);
            if (cJSON_IsString(attr) && attr->valuestring[0] != '\0')
                printf("=%s", attr->valuestring);
            else if (cJSON_IsNumber(attr)) {
                fputc('=', stdout);
                print_number(stdout, attr->valuedouble);
            }
        }
        fputc('\n', stdout);
    }
}

static int dm_send(cli *o, const char *method, const char *target, const char *ctype,
                   const char *body, dm_print print)
{
    answer a;
    int rc = call(o, method, target, ctype, body, true, &a);
    if (rc == 0 && !cJSON_IsObject(a.json)) {
        fail(o, "bad answer from the API at %s: not a JSON object", o->api);
        rc = EXIT_UNREACHABLE;
    }
    if (rc == 0 && o->json)
        print_raw(a.resp.body, a.resp.body_len);
    if (rc == 0)
        rc = dm_outcome(o, a.json);
    if (rc == 0 && print != PRINT_CODE)
        rc = undecodable(o, a.json);
    if (rc == 0 && !o->json) {
        if (print == PRINT_CONTENT)
            print_content(a.json);
        else if (print == PRINT_LINKS)
            print_links(a.json);
        else
            print_code(a.json);
    }
    answer_free(&a);
    return rc;
}

static int cmd_read(cli *o, char **args, int nargs)
{
    (void)nargs;
    dm_target t;
    char query[64], format[32], target[TARGET_MAX];
    int rc = dm_args(o, "read", args, ANY_LEVEL, &t);
    if (rc != 0)
        return rc;
    snprintf(format, sizeof format, "%s%s", o->format ? "format=" : "", o->format ? o->format : "");
    dm_query(o, query, sizeof query, format);
    if ((rc = client_target(o, target, t.ep, t.path_str, NULL, query)) != 0)
        return rc;
    return dm_send(o, "GET", target, NULL, NULL, PRINT_CONTENT);
}

static int cmd_discover(cli *o, char **args, int nargs)
{
    (void)nargs;
    dm_target t;
    char query[64], target[TARGET_MAX];
    int rc = dm_args(o, "discover", args, ANY_LEVEL, &t);
    if (rc != 0)
        return rc;
    dm_query(o, query, sizeof query, NULL);
    if ((rc = client_target(o, target, t.ep, t.path_str, "/discover", query)) != 0)
        return rc;
    return dm_send(o, "GET", target, NULL, NULL, PRINT_LINKS);
}

static int cmd_write(cli *o, char **args, int nargs)
{
    dm_target t;
    char query[64], target[TARGET_MAX];
    bool senml = o->senml != NULL;
    if (senml == (nargs == 3)) {
        fprintf(stderr, PROG ": write: give either VALUE or --json SENML (try write --help)\n");
        return EXIT_USAGE;
    }
    int rc = dm_args(o, "write", args, senml ? ANY_LEVEL : (1u << 3 | 1u << 4), &t);
    if (rc != 0 || (senml && (rc = load_senml(o, "write")) != 0))
        return rc;
    dm_query(o, query, sizeof query, NULL);
    if ((rc = client_target(o, target, t.ep, t.path_str, NULL, query)) != 0)
        return rc;
    return dm_send(o, o->update ? "PATCH" : "PUT", target,
                   senml ? "application/senml+json" : "text/plain", senml ? o->senml : args[2],
                   PRINT_CODE);
}

static bool attribute_ok(const char *a)
{
    static const char *const names[] = {"pmin", "pmax", "epmin", "epmax", "gt", "lt", "st"};
    const char *eq = strchr(a, '=');
    size_t name_len = eq ? (size_t)(eq - a) : strlen(a);
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        if (strlen(names[k]) != name_len || strncmp(a, names[k], name_len) != 0)
            continue;
        if (eq == NULL)
            return true;
        double d;
        bool integer;
        size_t vlen = strlen(eq + 1);
        if (lwm2m_parse_number(eq + 1, vlen, &d, &integer) != 0)
            return false;
        /* Periods are whole non-negative seconds; thresholds any number. */
        return k >= 4 || (integer && d >= 0);
    }
    return false;
}

static int cmd_attributes(cli *o, char **args, int nargs)
{
    dm_target t;
    char attrs[512] = "", query[600], target[TARGET_MAX];
    int rc = dm_args(o, "attributes", args, ANY_LEVEL, &t);
    if (rc != 0)
        return rc;
    for (int k = 2; k < nargs; k++) {
        if (!attribute_ok(args[k])) {
            fail(o,
                 "bad attribute '%s' (pmin, pmax, epmin, epmax=SECONDS; gt, lt, st=NUMBER; "
                 "a NAME alone removes it)",
                 args[k]);
            return EXIT_USAGE;
        }
        size_t used = strlen(attrs);
        int n = snprintf(attrs + used, sizeof attrs - used, "%s%s", used ? "&" : "", args[k]);
        if (n < 0 || (size_t)n >= sizeof attrs - used) {
            fail(o, "too many attributes");
            return EXIT_USAGE;
        }
    }
    dm_query(o, query, sizeof query, attrs);
    if ((rc = client_target(o, target, t.ep, t.path_str, "/attributes", query)) != 0)
        return rc;
    return dm_send(o, "PUT", target, NULL, NULL, PRINT_CODE);
}

static int cmd_exec(cli *o, char **args, int nargs)
{
    dm_target t;
    char query[64], target[TARGET_MAX];
    int rc = dm_args(o, "exec", args, 1u << 3, &t);
    if (rc != 0)
        return rc;
    dm_query(o, query, sizeof query, NULL);
    if ((rc = client_target(o, target, t.ep, t.path_str, NULL, query)) != 0)
        return rc;
    return dm_send(o, "POST", target, "text/plain", nargs > 2 ? args[2] : "", PRINT_CODE);
}

static int cmd_create(cli *o, char **args, int nargs)
{
    (void)nargs;
    dm_target t;
    char query[64], target[TARGET_MAX];
    if (o->senml == NULL) {
        fprintf(stderr, PROG ": create: --json SENML is required (try create --help)\n");
        return EXIT_USAGE;
    }
    int rc = dm_args(o, "create", args, 1u << 1, &t);
    if (rc != 0 || (rc = load_senml(o, "create")) != 0)
        return rc;
    dm_query(o, query, sizeof query, NULL);
    if ((rc = client_target(o, target, t.ep, t.path_str, NULL, query)) != 0)
        return rc;
    return dm_send(o, "POST", target, "application/senml+json", o->senml, PRINT_CODE);
}

static int cmd_delete(cli *o, char **args, int nargs)
{
    (void)nargs;
    dm_target t;
    char query[64], target[TARGET_MAX];
    int rc = dm_args(o, "delete", args, 1u << 2, &t);
    if (rc != 0)
        return rc;
    dm_query(o, query, sizeof query, NULL);
    if ((rc = client_target(o, target, t.ep, t.path_str, NULL, query)) != 0)
        return rc;
    return dm_send(o, "DELETE", target, NULL, NULL, PRINT_CODE);
}

static int send_cancel(cli *o, const dm_target *t, bool quiet)
{
    char query[64], target[TARGET_MAX];
    dm_query(o, query, sizeof query, NULL);
    int rc = client_target(o, target, t->ep, t->path_str, "/observe", query);
    if (rc != 0)
        return rc;
    if (!quiet)
        return dm_send(o, "DELETE", target, NULL, NULL, PRINT_CODE);
    answer a;
    rc = call(o, "DELETE", target, NULL, NULL, true, &a);
    if (rc == 0)
        rc = dm_outcome(o, a.json);
    answer_free(&a);
    return rc;
}

static int cmd_cancel(cli *o, char **args, int nargs)
{
    (void)nargs;
    dm_target t;
    int rc = dm_args(o, "cancel", args, ANY_LEVEL, &t);
    return rc != 0 ? rc : send_cancel(o, &t, false);
}

/* ---- event streams: observe, events ---- */

/* SIGINT and SIGTERM as a readable descriptor, so that a stream can stop cleanly. */
static int signals_open(sigset_t *old)
{
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &mask, old) != 0)
        return -1;
    int fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0)
        sigprocmask(SIG_SETMASK, old, NULL);
    return fd;
}

/* Consumes the signals that arrived (they ended the stream) before unblocking them. */
static void signals_close(int fd, const sigset_t *old)
{
    struct signalfd_siginfo si;
    while (read(fd, &si, sizeof si) == (ssize_t)sizeof si)
        continue;
    close(fd);
    sigprocmask(SIG_SETMASK, old, NULL);
}

static int open_events(cli *o, const char *ep, lwm2m_http_stream **st)
{
    char target[TARGET_MAX] = "/api/events", enc[3 * EP_MAX + 1];
    if (ep != NULL) {
        pct_encode(ep, enc);
        snprintf(target, sizeof target, "/api/events?endpoint=%s", enc);
    }
    char err[300];
    lwm2m_http_response head;
    lwm2m_http_request req = {"GET", target, "text/event-stream", NULL,
                              NULL,  0,      wait_ms(o, false),   o->cancel_fd};
    int rc = lwm2m_http_stream_open(&o->url, &req, st, &head, err, sizeof err);
    if (rc == LWM2M_HTTP_CANCELLED)
        return 0; /* Ctrl-C while connecting: *st stays NULL, nothing more to do */
    if (rc != 0)
        return transport_error(o, rc, err, req.timeout_ms);
    if (*st == NULL) {
        cJSON *j = cJSON_ParseWithLength(head.body ? head.body : "", head.body_len);
        rc = status_error(o, head.status, j, head.body ? head.body : "", head.body_len);
        cJSON_Delete(j);
        lwm2m_http_response_free(&head);
        return rc;
    }
    if (strncmp(head.content_type, "text/event-stream", 17) != 0) {
        fail(o, "bad answer from the API at %s: '%s' is not an event stream", o->api,
             head.content_type);
        lwm2m_http_stream_close(*st);
        *st = NULL;
        return EXIT_UNREACHABLE;
    }
    return 0;
}

/* How a stream ended, as an exit status (0 for the endings the user asked for). */
static int stream_end(const cli *o, int rc, const char *err)
{
    switch (rc) {
    case LWM2M_HTTP_STOPPED:
    case LWM2M_HTTP_CANCELLED:
    case LWM2M_HTTP_DEADLINE:
        return 0;
    case LWM2M_HTTP_END:
        fail(o, "the API at %s closed the event stream", o->api);
        return EXIT_UNREACHABLE;
    default:
        return transport_error(o, rc, err, 0);
    }
}

typedef struct events_ctx {
    long count, seen;
} events_ctx;

static int on_event(void *ctx, const char *event, const char *data, size_t len)
{
    events_ctx *e = ctx;
    cJSON *j = cJSON_ParseWithLength(data, len);
    const char *ep = json_str(j, "endpoint");
    printf("%s %s ", event, ep ? ep : "-");
    if (memchr(data, '\n', len) == NULL)
        fwrite(data, 1, len, stdout);
    else if (j != NULL)
        print_compact(stdout, j);
    else
        for (size_t k = 0; k < len; k++)
            fputc(data[k] == '\n' ? ' ' : data[k], stdout);
    fputc('\n', stdout);
    fflush(stdout);
    cJSON_Delete(j);
    e->seen++;
    return e->count >= 0 && e->seen >= e->count;
}

static int cmd_events(cli *o, char **args, int nargs)
{
    (void)args;
    (void)nargs;
    snprintf(o->what, sizeof o->what, "events");
    if (o->endpoint != NULL && !parse_ep_arg(o->endpoint)) {
        fail(o, "bad --endpoint (1 to %d bytes)", EP_MAX - 1);
        return EXIT_USAGE;
    }
    sigset_t old;
    int sfd = signals_open(&old);
    if (sfd < 0) {
        fail(o, "cannot set up signals: %s", strerror(errno));
        return EXIT_FAILED;
    }
    o->cancel_fd = sfd;
    lwm2m_http_stream *st = NULL;
    int rc = open_events(o, o->endpoint, &st);
    if (rc == 0 && st != NULL) {
        char err[300];
        events_ctx e = {o->count, 0};
        int64_t deadline = o->duration_s >= 0 ? lwm2m_http_now_ms() + o->duration_s * 1000 : -1;
        rc = stream_end(o, lwm2m_http_stream_sse(st, deadline, sfd, on_event, &e, err, sizeof err),
                        err);
    }
    lwm2m_http_stream_close(st);
    o->cancel_fd = -1;
    signals_close(sfd, &old);
    return rc;
}

typedef struct observe_ctx {
    cli *o;
    const dm_target *t;
    char id[64]; /* the observation's id as text, "" when the answer named none */
    long seen;
    int status; /* the exit status when a notification or an event ended it */
    bool ended; /* the observation is gone on the server's side: no cancel */
} observe_ctx;

/* "observation": a number (or a string) as text in id[64]. */
static bool obs_id(const cJSON *j, char id[64])
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "observation");
    if (cJSON_IsNumber(v))
        snprintf(id, 64, "%.0f", v->valuedouble);
    else if (cJSON_IsString(v) && v->valuestring[0] != '\0')
        snprintf(id, 64, "%s", v->valuestring);
    else
        return false;
    return true;
}

static int on_notification(void *ctx, const char *event, const char *data, size_t len)
{
    observe_ctx *c = ctx;
    cJSON *j = cJSON_ParseWithLength(data, len);
    const char *ep = json_str(j, "endpoint");
    int stop = 0;
    char id[sizeof c->id];
    if (j == NULL || ep == NULL || strcmp(ep, c->t->ep) != 0) {
        /* not ours */
    } else if (strcmp(event, "deregistered") == 0 || strcmp(event, "expired") == 0 ||
               strcmp(event, "registered") == 0) {
        /* A new registration drops the observations of the old one, as an end does. */
        fail(c->o, "the endpoint %s; the observation is gone", event);
        c->status = EXIT_FAILED;
        c->ended = true;
        stop = 1;
    } else if (strcmp(event, "notification") != 0) {
        /* updated: nothing to do */
    } else if (c->id[0] ? obs_id(j, id) && strcmp(id, c->id) == 0
                        : json_str(j, "path") && strcmp(json_str(j, "path"), c->t->path_str) == 0) {
        if (c->o->json) {
            print_raw(data, len);
            fflush(stdout);
        }
        int rc = dm_outcome(c->o, j);
        if (rc == 0)
            rc = undecodable(c->o, j);
        if (rc != 0) {
            /* An error notification ends the observation at the client. */
            c->status = rc;
            c->ended = true;
            stop = 1;
        } else {
            if (!c->o->json)
                print_content(j);
            c->seen++;
            stop = c->o->count >= 0 && c->seen >= c->o->count;
        }
    }
    cJSON_Delete(j);
    return stop;
}

/* Sends the Observe and prints the first value; c->id gets the observation's id.
 * *established: an observation may exist (to be cancelled); *interrupted: Ctrl-C came first
 * (status 0 then). */
static int observe_start(cli *o, const char *target, observe_ctx *c, bool *established,
                         bool *interrupted)
{
    answer a;
    int rc = call(o, "POST", target, NULL, NULL, true, &a);
    /* Interrupted while waiting: the observation may exist, cancel it in any case. */
    *interrupted = a.cancelled;
    *established = rc == 0 || a.cancelled;
    if (rc == 0 && !cJSON_IsObject(a.json)) {
        fail(o, "bad answer from the API at %s: not a JSON object", o->api);
        rc = EXIT_UNREACHABLE;
    }
    if (rc == 0 && o->json)
        print_raw(a.resp.body, a.resp.body_len);
    if (rc == 0 && (rc = dm_outcome(o, a.json)) != 0)
        *established = false;
    if (rc == 0)
        rc = undecodable(o, a.json);
    if (rc == 0 && !o->json)
        print_content(a.json);
    if (rc == 0 && !obs_id(a.json, c->id))
        c->id[0] = '\0';
    fflush(stdout);
    answer_free(&a);
    return *interrupted ? 0 : rc;
}

static int cmd_observe(cli *o, char **args, int nargs)
{
    (void)nargs;
    dm_target t;
    char query[64], target[TARGET_MAX], what[sizeof o->what];
    int rc = dm_args(o, "observe", args, ANY_LEVEL, &t);
    if (rc != 0)
        return rc;
    dm_query(o, query, sizeof query, NULL);
    if ((rc = client_target(o, target, t.ep, t.path_str, "/observe", query)) != 0)
        return rc;
    sigset_t old;
    int sfd = signals_open(&old);
    if (sfd < 0) {
        fail(o, "cannot set up signals: %s", strerror(errno));
        return EXIT_FAILED;
    }
    o->cancel_fd = sfd;
    /* The stream first: notifications that come before the Observe's answer wait in it. */
    lwm2m_http_stream *st = NULL;
    observe_ctx c = {o, &t, "", 0, 0, false};
    rc = open_events(o, t.ep, &st);
    bool established = false, interrupted = st == NULL;
    if (rc == 0 && !interrupted)
        rc = observe_start(o, target, &c, &established, &interrupted);
    if (rc == 0 && !interrupted && o->count != 0) {
        char err[300];
        int64_t deadline = o->duration_s >= 0 ? lwm2m_http_now_ms() + o->duration_s * 1000 : -1;
        int end = lwm2m_http_stream_sse(st, deadline, sfd, on_notification, &c, err, sizeof err);
        rc = c.status != 0 ? c.status : stream_end(o, end, err);
    }
    lwm2m_http_stream_close(st);
    o->cancel_fd = -1;
    if (established && !c.ended) {
        memcpy(what, o->what, sizeof what);
        snprintf(o->what, sizeof o->what, "cancel %s %s", t.ep, t.path_str);
        int crc = send_cancel(o, &t, true);
        memcpy(o->what, what, sizeof what);
        if (rc == 0)
            rc = crc;
    }
    signals_close(sfd, &old);
    return rc;
}

/* ---- the command table, options, usage ---- */

static const command commands[] = {
    {"clients", "", OPT_JSON, false, 0, 0, "list the registered clients",
     "Lists the registered clients as a table: endpoint, registration id, LwM2M version,\n"
     "binding (Q for queue mode), address, lifetime and the time until the registration\n"
     "expires, sorted by endpoint. --json prints the API's JSON array instead.",
     cmd_clients},
    {"show", "EP", 0, false, 1, 1, "print one registration as JSON",
     "Prints the registration of endpoint EP as indented JSON.", cmd_show},
    {"read", "EP PATH", OPT_JSON | OPT_FORMAT, true, 2, 2, "Read: print the values",
     "Reads PATH on client EP and prints one line per value:\n"
     "  /3/0/0 = \"lwm2m-bootstrap\"\n"
     "(strings quoted as in JSON, opaque values as 0x and hex, object links as O:I).\n"
     "--format F asks the client for one content format (tlv, senml-json, senml-cbor, json,\n"
     "cbor, text, opaque) instead of the negotiated one; --json prints the API's answer.",
     cmd_read},
    {"discover", "EP PATH", OPT_JSON, true, 2, 2, "Discover: print the links",
     "Discovers PATH on client EP and prints one CoRE link per line with its attributes:\n"
     "  </3/0/7>;dim=2;pmin=10\n"
     "--json prints the API's answer.",
     cmd_discover},
    {"write", "EP PATH VALUE", OPT_SENML | OPT_UPDATE, true, 2, 3,
     "Write (--update: partial update)",
     "Writes VALUE to resource PATH (Write-Replace, sent as text/plain in the LwM2M text\n"
     "format: numbers, true/false, base64 for opaque, O:I for object links). With\n"
     "--json SENML instead of VALUE, writes a SenML JSON array (names absolute or relative\n"
     "to PATH; SENML may be '-' for stdin or @FILE). --update sends a partial update\n"
     "(PATCH) instead of a replace. Prints the client's code: 2.04 CHANGED. A VALUE that\n"
     "begins with '-' goes after '--'.",
     cmd_write},
    {"attributes", "EP PATH ATTR...", OPT_JSON, true, 3, 64, "Write-Attributes: pmin=1 pmax=5 ...",
     "Writes the notification attributes of PATH. Each ATTR is NAME=VALUE (pmin, pmax,\n"
     "epmin, epmax: whole seconds; gt, lt, st: numbers) or NAME alone to remove it:\n"
     "  attributes dev1 /3/0/13 pmin=1 pmax=5",
     cmd_attributes},
    {"exec", "EP PATH [ARGS]", OPT_JSON, true, 2, 3, "Execute",
     "Executes resource PATH (/O/I/R) with the argument list ARGS (e.g. 0='a',1).\n"
     "/1/x/8 is the Registration Update Trigger, /1/x/9 the Bootstrap-Request Trigger.",
     cmd_exec},
    {"create", "EP /OBJ --json SENML", OPT_SENML, true, 2, 2, "Create an instance",
     "Creates an instance of object /OBJ with the values of --json SENML (a SenML JSON\n"
     "array; '-' reads it from stdin, @FILE from a file). Prints the client's code:\n"
     "2.01 CREATED.",
     cmd_create},
    {"delete", "EP PATH", OPT_JSON, true, 2, 2, "Delete an instance",
     "Deletes instance PATH (/O/I).", cmd_delete},
    {"observe", "EP PATH", OPT_JSON | OPT_COUNT | OPT_DURATION, true, 2, 2,
     "Observe: print the value, then each notification",
     "Observes PATH on client EP: prints its value, then each notification as it arrives\n"
     "(the lines of read), until --count N notifications, --duration S seconds, Ctrl-C or\n"
     "SIGTERM, and then cancels the observation. Follows /api/events?endpoint=EP, opened\n"
     "before the Observe so that no notification is missed. --json prints the API's answer\n"
     "and each notification event's JSON, one per line. An error notification, or the end\n"
     "or renewal of the endpoint's registration, ends it with status 1.",
     cmd_observe},
    {"cancel", "EP PATH", OPT_JSON, true, 2, 2, "cancel an observation",
     "Cancels the observation of PATH on client EP (an Observe with the Observe option 1).",
     cmd_cancel},
    {"events", "", OPT_COUNT | OPT_DURATION | OPT_ENDPOINT, false, 0, 0,
     "print the server's events as they come",
     "Prints the server's events as they arrive, one per line: the event (registered,\n"
     "updated, deregistered, expired, notification), the endpoint and the event's JSON:\n"
     "  registered dev1 {\"endpoint\":\"dev1\",\"registration\":{...}}\n"
     "until --count N events, --duration S seconds, Ctrl-C or SIGTERM. --endpoint EP\n"
     "keeps only that endpoint's events.",
     cmd_events},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const command *find_command(const char *name)
{
    for (size_t k = 0; name != NULL && k < N_COMMANDS; k++) {
        if (strcmp(commands[k].name, name) == 0)
            return &commands[k];
    }
    return NULL;
}

bool lwm2m_server_cli_is_command(const char *name)
{
    return find_command(name) != NULL;
}

void lwm2m_server_cli_usage(FILE *f)
{
    fprintf(f, "Client commands (talk to a running server's HTTP API, --api URL, default\n"
               "$LWM2M_SERVER_API or " DEFAULT_API "; PATH is /O[/I[/R[/RI]]]):\n");
    for (size_t k = 0; k < N_COMMANDS; k++) {
        char synopsis[48];
        snprintf(synopsis, sizeof synopsis, "%s %s", commands[k].name, commands[k].args);
        fprintf(f, "  %-30s %s\n", synopsis, commands[k].summary);
    }
    fprintf(f, "`" PROG " COMMAND --help` tells a command's options. Exit status: 0 the client\n"
               "answered 2.xx (or the listing worked), 1 it answered an error or did not answer,\n"
               "or the endpoint is not registered, 2 usage error, 3 the API cannot be reached.\n");
}

static void command_usage(FILE *f, const command *c)
{
    fprintf(f, "Usage: " PROG " %s [OPTIONS]%s%s\n\n%s\n\nOptions:\n", c->name,
            c->args[0] ? " " : "", c->args, c->help);
    if (c->opts & OPT_JSON)
        fprintf(f, "      --json             print the API's JSON answer as it came\n");
    if (c->opts & OPT_SENML)
        fprintf(f, "      --json SENML       the values, a SenML JSON array ('-': stdin, @FILE)\n");
    if (c->opts & OPT_UPDATE)
        fprintf(f, "      --update           partial update (PATCH) instead of replace\n");
    if (c->opts & OPT_FORMAT)
        fprintf(f,
                "      --format F         tlv, senml-json, senml-cbor, json, cbor, text, opaque\n");
    if (c->opts & OPT_COUNT)
        fprintf(f, "      --count N          stop after N %s\n",
                c->opts & OPT_ENDPOINT ? "events" : "notifications");
    if (c->opts & OPT_DURATION)
        fprintf(f, "      --duration S       stop after S seconds\n");
    if (c->opts & OPT_ENDPOINT)
        fprintf(f, "      --endpoint EP      only the events of endpoint EP\n");
    fprintf(f, "      --api URL          the server's HTTP API (default $LWM2M_SERVER_API, else\n"
               "                         " DEFAULT_API ")\n");
    if (c->dm)
        fprintf(f,
                "      --timeout S        the server waits S seconds for the client's answer\n"
                "                         (default: its --request-timeout), this command\n"
                "                         S+%d for the server's (default %d)\n",
                DM_MARGIN_S, DM_WAIT_S);
    else
        fprintf(f, "      --timeout S        wait S seconds for the API (default %d)\n",
                API_WAIT_S);
    fprintf(f, "  -h, --help             this help\n\nExit status: %s\n",
            c->dm         ? "0 the client answered 2.xx; 1 it answered an error, did not answer\n"
                            "in time, or EP is not registered; 2 usage error; 3 the API cannot be reached."
            : c->min_args ? "0 done; 1 EP is not registered; 2 usage error; 3 the API cannot be\n"
                            "reached."
                          : "0 done; 1 no answer in time; 2 usage error; 3 the API cannot be\n"
                            "reached.");
}

enum {
    LOPT_API = 256,
    LOPT_TIMEOUT,
    LOPT_JSON,
    LOPT_UPDATE,
    LOPT_FORMAT,
    LOPT_COUNT,
    LOPT_DURATION,
    LOPT_ENDPOINT
};

/* The long options of command `c` only, so that getopt_long refuses the others. */
static void build_options(const command *c, struct option *opts)
{
    size_t n = 0;
    opts[n++] = (struct option){"api", required_argument, NULL, LOPT_API};
    opts[n++] = (struct option){"timeout", required_argument, NULL, LOPT_TIMEOUT};
    opts[n++] = (struct option){"help", no_argument, NULL, 'h'};
    if (c->opts & (OPT_JSON | OPT_SENML))
        opts[n++] = (struct option){"json", c->opts & OPT_SENML ? required_argument : no_argument,
                                    NULL, LOPT_JSON};
    if (c->opts & OPT_UPDATE)
        opts[n++] = (struct option){"update", no_argument, NULL, LOPT_UPDATE};
    if (c->opts & OPT_FORMAT)
        opts[n++] = (struct option){"format", required_argument, NULL, LOPT_FORMAT};
    if (c->opts & OPT_COUNT)
        opts[n++] = (struct option){"count", required_argument, NULL, LOPT_COUNT};
    if (c->opts & OPT_DURATION)
        opts[n++] = (struct option){"duration", required_argument, NULL, LOPT_DURATION};
    if (c->opts & OPT_ENDPOINT)
        opts[n++] = (struct option){"endpoint", required_argument, NULL, LOPT_ENDPOINT};
    opts[n] = (struct option){NULL, 0, NULL, 0};
}

/* One option's value into `o`: 0, or EXIT_USAGE with the message printed. */
static int take_option(const command *c, int opt, const char *arg, cli *o, bool *help)
{
    switch (opt) {
    case 'h':
        *help = true;
        return 0;
    case LOPT_API:
        o->api = arg;
        return 0;
    case LOPT_TIMEOUT:
        if (parse_long(arg, 1, TIMEOUT_MAX_S, &o->timeout_s))
            return 0;
        fprintf(stderr, PROG ": %s: bad --timeout '%s' (1..%ld seconds)\n", c->name, arg,
                TIMEOUT_MAX_S);
        return EXIT_USAGE;
    case LOPT_JSON:
        if (c->opts & OPT_SENML)
            o->senml = arg;
        else
            o->json = true;
        return 0;
    case LOPT_UPDATE:
        o->update = true;
        return 0;
    case LOPT_FORMAT:
        if (format_known(arg)) {
            o->format = arg;
            return 0;
        }
        fprintf(stderr,
                PROG ": %s: bad --format '%s' (tlv, senml-json, senml-cbor, json, cbor, text, "
                     "opaque)\n",
                c->name, arg);
        return EXIT_USAGE;
    case LOPT_COUNT:
        /* observe --count 0: the value alone, then the cancel. */
        if (parse_long(arg, c->opts & OPT_ENDPOINT ? 1 : 0, 1000000000L, &o->count))
            return 0;
        fprintf(stderr, PROG ": %s: bad --count '%s'\n", c->name, arg);
        return EXIT_USAGE;
    case LOPT_DURATION:
        if (parse_long(arg, 1, DURATION_MAX_S, &o->duration_s))
            return 0;
        fprintf(stderr, PROG ": %s: bad --duration '%s' (1..%ld seconds)\n", c->name, arg,
                DURATION_MAX_S);
        return EXIT_USAGE;
    case LOPT_ENDPOINT:
        o->endpoint = arg;
        return 0;
    default:
        return EXIT_USAGE;
    }
}

static int parse_options(const command *c, int argc, char **argv, cli *o, bool *help)
{
    struct option opts[12];
    build_options(c, opts);
    optind = 0; /* GNU: start afresh, whatever parsed argv before */
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        if (opt == '?' || opt == ':') {
            const char *bad = optopt != 0 && optopt < 256 ? NULL : argv[optind - 1];
            if (bad != NULL)
                fprintf(stderr, PROG ": %s: %s option '%s' (try %s --help)\n", c->name,
                        opt == ':' ? "missing argument of" : "unknown", bad, c->name);
            else
                fprintf(stderr, PROG ": %s: %s option '-%c' (try %s --help)\n", c->name,
                        opt == ':' ? "missing argument of" : "unknown", optopt, c->name);
            return EXIT_USAGE;
        }
        int rc = take_option(c, opt, optarg, o, help);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int lwm2m_server_cli_run(int argc, char **argv)
{
    const command *c = argc > 0 ? find_command(argv[0]) : NULL;
    if (c == NULL) {
        fprintf(stderr, PROG ": unknown command '%s'\n", argc > 0 ? argv[0] : "");
        return EXIT_USAGE;
    }
    cli o;
    memset(&o, 0, sizeof o);
    o.count = -1;
    o.duration_s = -1;
    o.cancel_fd = -1;
    snprintf(o.what, sizeof o.what, "%s", c->name);
    bool help = false;
    int rc = parse_options(c, argc, argv, &o, &help);
    if (rc != 0)
        return rc;
    if (help) {
        command_usage(stdout, c);
        return 0;
    }
    int nargs = argc - optind;
    if (nargs < c->min_args || nargs > c->max_args) {
        if (c->max_args == 0)
            fprintf(stderr, PROG ": %s: takes no arguments (try %s --help)\n", c->name, c->name);
        else
            fprintf(stderr, PROG ": %s: expects %s (try %s --help)\n", c->name, c->args, c->name);
        return EXIT_USAGE;
    }
    const char *env = getenv("LWM2M_SERVER_API");
    const char *source = o.api ? "--api" : env && *env ? "LWM2M_SERVER_API" : NULL;
    if (o.api == NULL)
        o.api = env && *env ? env : DEFAULT_API;
    char err[200];
    if (lwm2m_http_url_parse(o.api, &o.url, err, sizeof err) != 0) {
        fprintf(stderr, PROG ": %s: bad %s '%s': %s (http://HOST:PORT)\n", c->name,
                source ? source : "API URL", o.api, err);
        return EXIT_USAGE;
    }
    rc = c->run(&o, argv + optind, nargs);
    fflush(stdout);
    free(o.senml_buf);
    return rc;
}
