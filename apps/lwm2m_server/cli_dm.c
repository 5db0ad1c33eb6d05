/* The client commands of one request: clients, show, and the device management ones (read,
 * discover, write, attributes, exec, create, delete, cancel). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli_internal.h"
#include "core/numtext.h"

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

bool cli_parse_ep_arg(const char *ep)
{
    size_t len = strlen(ep);
    return len > 0 && len < EP_MAX;
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

int cli_cmd_clients(cli *o, char **args, int nargs)
{
    (void)args;
    (void)nargs;
    snprintf(o->what, sizeof o->what, "clients");
    answer a;
    int rc = cli_call(o, "GET", "/api/clients", NULL, NULL, false, &a);
    if (rc == 0 && !cJSON_IsArray(a.json)) {
        cli_fail(o, "bad answer from the API at %s: not a JSON array", o->api);
        rc = EXIT_UNREACHABLE;
    }
    if (rc == 0) {
        if (o->json)
            cli_print_raw(a.resp.body, a.resp.body_len);
        else
            cli_print_clients(a.json);
    }
    cli_answer_free(&a);
    return rc;
}

int cli_cmd_show(cli *o, char **args, int nargs)
{
    (void)nargs;
    snprintf(o->what, sizeof o->what, "show %s", args[0]);
    char target[TARGET_MAX];
    int rc = cli_client_target(o, target, args[0], NULL, NULL, NULL);
    answer a;
    memset(&a, 0, sizeof a);
    if (rc == 0)
        rc = cli_call(o, "GET", target, NULL, NULL, false, &a);
    if (rc == 0 && !cJSON_IsObject(a.json)) {
        cli_fail(o, "bad answer from the API at %s: not a JSON object", o->api);
        rc = EXIT_UNREACHABLE;
    }
    if (rc == 0) {
        cli_print_pretty(stdout, a.json, 0);
        fputc('\n', stdout);
    }
    cli_answer_free(&a);
    return rc;
}

/* EP and PATH arguments; `levels` is a bit mask of the allowed path depths (1 << len). */
int cli_dm_args(cli *o, const char *cmd, char **args, unsigned levels, dm_target *t)
{
    t->ep = args[0];
    snprintf(o->what, sizeof o->what, "%s %s %s", cmd, args[0], args[1]);
    if (!cli_parse_ep_arg(t->ep)) {
        cli_fail(o, "bad endpoint name (1 to %d bytes)", EP_MAX - 1);
        return EXIT_USAGE;
    }
    if (!parse_path_arg(args[1], &t->path, t->path_str)) {
        cli_fail(o, "bad path (1 to 4 IDs 0..%u: /O, /O/I, /O/I/R or /O/I/R/RI)", LWM2M_ID_MAX);
        return EXIT_USAGE;
    }
    if (((1u << t->path.len) & levels) == 0) {
        static const char *const need[] = {"", "an object (/O)", "an instance (/O/I)",
                                           "a resource (/O/I/R)", "a resource (/O/I/R[/RI])"};
        unsigned k = levels == 1u << 1 ? 1 : levels == 1u << 2 ? 2 : levels == 1u << 3 ? 3 : 4;
        cli_fail(o, "%s needs %s", cmd, need[k]);
        return EXIT_USAGE;
    }
    snprintf(o->what, sizeof o->what, "%s %s %s", cmd, t->ep, t->path_str);
    return 0;
}

/* What a DM command prints of a 2.xx answer. */
typedef enum dm_print { PRINT_CODE, PRINT_CONTENT, PRINT_LINKS } dm_print;

/* Sends one DM request; on a 2.xx answer prints what `print` says, else the error. */
static int dm_send(cli *o, const char *method, const char *target, const char *ctype,
                   const char *body, dm_print print)
{
    answer a;
    int rc = cli_call(o, method, target, ctype, body, true, &a);
    if (rc == 0 && !cJSON_IsObject(a.json)) {
        cli_fail(o, "bad answer from the API at %s: not a JSON object", o->api);
        rc = EXIT_UNREACHABLE;
    }
    if (rc == 0 && o->json)
        cli_print_raw(a.resp.body, a.resp.body_len);
    if (rc == 0)
        rc = cli_dm_outcome(o, a.json);
    if (rc == 0 && print != PRINT_CODE)
        rc = cli_undecodable(o, a.json);
    if (rc == 0 && !o->json) {
        if (print == PRINT_CONTENT)
            cli_print_content(a.json);
        else if (print == PRINT_LINKS)
            cli_print_links(a.json);
        else
            cli_print_code(a.json);
    }
    cli_answer_free(&a);
    return rc;
}

int cli_dm_target(const cli *o, const dm_target *t, const char *suffix, const char *extra,
                  char *out)
{
    char query[600];
    cli_dm_query(o, query, sizeof query, extra);
    return cli_client_target(o, out, t->ep, t->path_str, suffix, query);
}

/* The request of a DM command on t, printed as `print` says. */
static int dm_run(cli *o, const dm_target *t, const char *method, const char *suffix,
                  const char *extra, const char *ctype, const char *body, dm_print print)
{
    char target[TARGET_MAX];
    int rc = cli_dm_target(o, t, suffix, extra, target);
    return rc != 0 ? rc : dm_send(o, method, target, ctype, body, print);
}

int cli_cmd_read(cli *o, char **args, int nargs)
{
    (void)nargs;
    dm_target t;
    char format[32];
    int rc = cli_dm_args(o, "read", args, ANY_LEVEL, &t);
    if (rc != 0)
        return rc;
    snprintf(format, sizeof format, "%s%s", o->format ? "format=" : "", o->format ? o->format : "");
    return dm_run(o, &t, "GET", NULL, format, NULL, NULL, PRINT_CONTENT);
}

int cli_cmd_discover(cli *o, char **args, int nargs)
{
    (void)nargs;
    dm_target t;
    int rc = cli_dm_args(o, "discover", args, ANY_LEVEL, &t);
    return rc != 0 ? rc : dm_run(o, &t, "GET", "/discover", NULL, NULL, NULL, PRINT_LINKS);
}

int cli_cmd_write(cli *o, char **args, int nargs)
{
    dm_target t;
    bool senml = o->senml != NULL;
    if (senml == (nargs == 3)) {
        fprintf(stderr, PROG ": write: give either VALUE or --json SENML (try write --help)\n");
        return EXIT_USAGE;
    }
    int rc = cli_dm_args(o, "write", args, senml ? ANY_LEVEL : (1u << 3 | 1u << 4), &t);
    if (rc != 0 || (senml && (rc = load_senml(o, "write")) != 0))
        return rc;
    return dm_run(o, &t, o->update ? "PATCH" : "PUT", NULL, NULL,
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

int cli_cmd_attributes(cli *o, char **args, int nargs)
{
    dm_target t;
    char attrs[512] = "";
    int rc = cli_dm_args(o, "attributes", args, ANY_LEVEL, &t);
    if (rc != 0)
        return rc;
    for (int k = 2; k < nargs; k++) {
        if (!attribute_ok(args[k])) {
            cli_fail(o,
                     "bad attribute '%s' (pmin, pmax, epmin, epmax=SECONDS; gt, lt, st=NUMBER; "
                     "a NAME alone removes it)",
                     args[k]);
            return EXIT_USAGE;
        }
        size_t used = strlen(attrs);
        int n = snprintf(attrs + used, sizeof attrs - used, "%s%s", used ? "&" : "", args[k]);
        if (n < 0 || (size_t)n >= sizeof attrs - used) {
            cli_fail(o, "too many attributes");
            return EXIT_USAGE;
        }
    }
    return dm_run(o, &t, "PUT", "/attributes", attrs, NULL, NULL, PRINT_CODE);
}

int cli_cmd_exec(cli *o, char **args, int nargs)
{
    dm_target t;
    int rc = cli_dm_args(o, "exec", args, 1u << 3, &t);
    return rc != 0 ? rc
                   : dm_run(o, &t, "POST", NULL, NULL, "text/plain", nargs > 2 ? args[2] : "",
                            PRINT_CODE);
}

int cli_cmd_create(cli *o, char **args, int nargs)
{
    (void)nargs;
    dm_target t;
    if (o->senml == NULL) {
        fprintf(stderr, PROG ": create: --json SENML is required (try create --help)\n");
        return EXIT_USAGE;
    }
    int rc = cli_dm_args(o, "create", args, 1u << 1, &t);
    if (rc != 0 || (rc = load_senml(o, "create")) != 0)
        return rc;
    return dm_run(o, &t, "POST", NULL, NULL, "application/senml+json", o->senml, PRINT_CODE);
}

int cli_cmd_delete(cli *o, char **args, int nargs)
{
    (void)nargs;
    dm_target t;
    int rc = cli_dm_args(o, "delete", args, 1u << 2, &t);
    return rc != 0 ? rc : dm_run(o, &t, "DELETE", NULL, NULL, NULL, NULL, PRINT_CODE);
}

int cli_send_cancel(cli *o, const dm_target *t, bool quiet)
{
    if (!quiet)
        return dm_run(o, t, "DELETE", "/observe", NULL, NULL, NULL, PRINT_CODE);
    char target[TARGET_MAX];
    int rc = cli_dm_target(o, t, "/observe", NULL, target);
    if (rc != 0)
        return rc;
    answer a;
    rc = cli_call(o, "DELETE", target, NULL, NULL, true, &a);
    if (rc == 0)
        rc = cli_dm_outcome(o, a.json);
    cli_answer_free(&a);
    return rc;
}

int cli_cmd_cancel(cli *o, char **args, int nargs)
{
    (void)nargs;
    dm_target t;
    int rc = cli_dm_args(o, "cancel", args, ANY_LEVEL, &t);
    return rc != 0 ? rc : cli_send_cancel(o, &t, false);
}
