/* `lwm2m-bs-server config ...`: manage the configurations of the store from the shell. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app_options.h"
#include "app_util.h"
#include "bs_admin.h"
#include "lwm2m/ddf.h"
#include "lwm2m/error.h"

#define PROG          "lwm2m-bs-server"
#define INPUT_MAX     (256u * 1024u * 1024u) /* an import file of ~10^5 endpoints */
#define EXIT_FAILED   1
#define EXIT_USAGE    2
#define EXIT_NOTFOUND 3

int bs_config_main(int argc, char **argv);

typedef struct command {
    const char *name;
    const char *args; /* synopsis of the arguments */
    int min_args, max_args;
    bool templates; /* takes --template */
    bool not_found; /* may exit 3 */
    const char *summary;
    const char *help;
} command;

static const command commands[] = {
    {"add", "FILE|-", 1, 1, false, false, "store a document (endpoint or template)",
     "Stores one document (an endpoint's configuration or a template), replacing the one of\n"
     "the same name. An endpoint's plans must pass the consistency check (an endpoint that\n"
     "only names a template is checked when the template is expanded)."},
    {"show", "NAME", 1, 1, true, true, "print the document of an endpoint (template)",
     "Prints the stored document of endpoint NAME (of template NAME with --template) on one\n"
     "line."},
    {"list", "", 0, 0, true, false, "print the endpoint (template) names",
     "Prints a JSON array of the endpoint names, one per line (with --template, of\n"
     "{\"name\": ..., \"match\": ...} objects)."},
    {"remove", "NAME", 1, 1, true, true, "remove an endpoint (template)",
     "Removes endpoint NAME (template NAME with --template)."},
    {"validate", "FILE|-", 1, 1, false, false, "check a document without storing it",
     "Checks a document as `add` does, without storing it. Needs no store."},
    {"import", "[--leshan] FILE|-", 1, 1, false, false,
     "store many documents at once (all or none)",
     "Stores every document of FILE (a JSON array of documents, or one document; with\n"
     "--leshan, a Leshan bootstrap store file) in one transaction: all of them or none.\n"
     "The error names the first failing document."},
    {"export", "[FILE|-]", 0, 1, false, false, "print every document, as import takes them",
     "Prints every template, then every endpoint document, as a JSON array with one\n"
     "document per line, which `import` takes back. With FILE, writes it there instead\n"
     "(through a temporary file and a rename)."},
    {"resolve", "NAME", 1, 1, false, true, "print the configuration an endpoint gets",
     "Prints the configuration endpoint NAME gets at a Bootstrap-Request: its document, or\n"
     "the template it names (or the first one whose match pattern fits NAME) expanded."},
    {"cert-map", "add CN ENDPOINT|list|remove CN", 1, 3, false, true,
     "map X.509 certificate CNs to endpoints",
     "The cert map binds DTLS clients with a certificate (endpoints with \"x509\": {}) whose\n"
     "subject CN is not the endpoint name: a certificate is accepted for an endpoint when\n"
     "its CN is the endpoint's name or maps to it.\n"
     "  add CN ENDPOINT   map CN to ENDPOINT (replacing its mapping)\n"
     "  list              print the map: a JSON array of {\"cn\": ..., \"endpoint\": ...}\n"
     "  remove CN         remove the mapping of CN (exit 3 when there is none)"},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
    fprintf(f, "Usage: " PROG " config [OPTIONS] COMMAND [ARGS]\n"
               "\n"
               "Manages the Bootstrap Server's configurations: per-endpoint documents and\n"
               "templates, in the JSON of docs/bs-config.md.\n"
               "\n"
               "Commands:\n");
    for (size_t k = 0; k < N_COMMANDS; k++) {
        char synopsis[48];
        snprintf(synopsis, sizeof synopsis, "%s %s", commands[k].name, commands[k].args);
        if (strlen(synopsis) > 26)
            fprintf(f, "  %s\n  %-26s %s\n", synopsis, "", commands[k].summary);
        else
            fprintf(f, "  %-26s %s\n", synopsis, commands[k].summary);
    }
    fprintf(f, "\n"
               "Options (before or after COMMAND):\n"
               "  -s, --store SPEC      sqlite:PATH or PATH (default sqlite:lwm2m-bs.db); created\n"
               "                        on first use\n"
               "      --template        show, list and remove act on templates\n"
               "      --object-dir DIR  extra object definitions (OMA DDF XML files)\n"
               "      --leshan          (import) the input is a Leshan bootstrap store file\n"
               "  -h, --help            this help; `config COMMAND --help` for one command\n"
               "\n"
               "Output: JSON on stdout only (show and resolve: one document on one line; list\n"
               "and export: a JSON array with one element per line); messages on stderr.\n"
               "\n"
               "Exit status: 0 done; 1 the operation failed (invalid or inconsistent document,\n"
               "store error); 2 usage error; 3 NAME not found (show, remove, resolve, cert-map\n"
               "remove).\n");
}

static void command_usage(FILE *f, const command *c)
{
    fprintf(f,
            "Usage: " PROG " config [--store SPEC] [--object-dir DIR]%s %s %s\n"
            "\n"
            "%s\n"
            "\n"
            "Exit status: 0 done, 1 failed, 2 usage error%s.\n",
            c->templates ? " [--template]" : "", c->name, c->args, c->help,
            c->not_found ? ", 3 not found" : "");
}

typedef struct cli {
    const char *store_spec;
    const char *object_dir;
    bool tmpl;
    bool leshan;
    bool help;
} cli;

/* One getopt_long pass over argv[0..argc) (argv[0] is skipped, as by getopt). Returns 0 or
 * EXIT_USAGE with the message printed. */
static int parse_options(int argc, char **argv, const char *optstring, const char *where, cli *o)
{
    enum { OPT_TEMPLATE = 256, OPT_OBJECT_DIR, OPT_LESHAN };
    static const struct option opts[] = {
        {"store", required_argument, NULL, 's'},
        {"template", no_argument, NULL, OPT_TEMPLATE},
        {"object-dir", required_argument, NULL, OPT_OBJECT_DIR},
        {"leshan", no_argument, NULL, OPT_LESHAN},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    /* optind 0 makes glibc (and musl) reinitialise getopt completely, which a second
     * pass over another vector needs. */
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, optstring, opts, NULL)) != -1) {
        switch (c) {
        case 's':
            o->store_spec = optarg;
            break;
        case OPT_TEMPLATE:
            o->tmpl = true;
            break;
        case OPT_OBJECT_DIR:
            o->object_dir = optarg;
            break;
        case OPT_LESHAN:
            o->leshan = true;
            break;
        case 'h':
            o->help = true;
            break;
        default:
            lwm2m_app_bad_option(PROG, where, c, argv);
            return EXIT_USAGE;
        }
    }
    return 0;
}

/* The whole of a file, or of stdin for "-". NULL with a message on failure. */
static char *read_input(const char *path, size_t *len, const char *where)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, PROG ": %s: cannot open '%s'\n", where, path);
        return NULL;
    }
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    bool too_big = false;
    while (buf != NULL) {
        if (n == cap) {
            char *grown = cap < INPUT_MAX ? realloc(buf, cap * 2) : NULL;
            too_big = cap >= INPUT_MAX;
            if (grown == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    bool failed = ferror(f) != 0;
    if (f != stdin)
        fclose(f);
    if (buf == NULL || failed) {
        fprintf(stderr, PROG ": %s: %s '%s'\n", where,
                too_big  ? "larger than 256 MiB:"
                : failed ? "cannot read"
                         : "out of memory for",
                path);
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

/* Writes `text` and a newline to `path` atomically (temporary file, then rename). */
static int write_file(const char *path, const char *text, const char *where)
{
    size_t n = strlen(path) + 16;
    char *tmp = malloc(n);
    if (tmp == NULL) {
        fprintf(stderr, PROG ": %s: out of memory\n", where);
        return EXIT_FAILED;
    }
    snprintf(tmp, n, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    bool ok = f != NULL && fputs(text, f) >= 0 && fputc('\n', f) != EOF && fflush(f) == 0 &&
              fsync(fileno(f)) == 0;
    if (f != NULL && fclose(f) != 0)
        ok = false;
    if (ok && rename(tmp, path) != 0)
        ok = false;
    if (!ok) {
        fprintf(stderr, PROG ": %s: cannot write '%s'\n", where, path);
        remove(tmp);
    }
    free(tmp);
    return ok ? 0 : EXIT_FAILED;
}

static int print_json(char *json)
{
    int rc = puts(json) >= 0 && fflush(stdout) == 0 ? 0 : EXIT_FAILED;
    free(json);
    return rc;
}

/* Exit status of a failed operation: 3 for an unknown name, else 1. */
static int failed(const char *where, int rc, const char *msg)
{
    fprintf(stderr, PROG ": %s: %s\n", where,
            msg != NULL && msg[0] != '\0' ? msg : lwm2m_strerror(rc));
    return rc == LWM2M_ERR_NOT_FOUND ? EXIT_NOTFOUND : EXIT_FAILED;
}

static int run_input_command(bs_admin *a, const command *c, const cli *o, const char *arg,
                             const char *where)
{
    size_t len = 0;
    char *text = read_input(arg, &len, where);
    if (text == NULL)
        return EXIT_FAILED;
    char err[512] = "";
    int rc;
    if (strcmp(c->name, "add") == 0)
        rc = bs_admin_add(a, text, len, err, sizeof err);
    else if (strcmp(c->name, "validate") == 0)
        rc = bs_admin_validate(a, text, len, err, sizeof err);
    else
        rc = bs_admin_import(a, text, len, o->leshan, err, sizeof err);
    free(text);
    /* A missing template or store entry is no "not found" here: the input is at fault. */
    if (rc < 0)
        return failed(where, rc == LWM2M_ERR_NOT_FOUND ? LWM2M_ERR_INVALID : rc, err);
    if (strcmp(c->name, "import") == 0)
        fprintf(stderr, PROG ": %s: %d document(s) stored\n", where, rc);
    return 0;
}

static int run_resolve(bs_admin *a, const char *name, const char *where)
{
    lwm2m_bs_config *cfg = NULL;
    char err[512] = "";
    int rc = bs_admin_resolve(a, name, &cfg, err, sizeof err);
    if (rc != LWM2M_OK)
        return failed(where, rc, err);
    char *json = lwm2m_bs_config_to_json(cfg);
    lwm2m_bs_config_free(cfg);
    if (json == NULL)
        return failed(where, LWM2M_ERR_NOMEM, NULL);
    return print_json(json);
}

static int run_cert_map(bs_admin *a, int nargs, char **args, const char *where)
{
    const char *action = args[0];
    bool add = strcmp(action, "add") == 0, list = strcmp(action, "list") == 0,
         remove = strcmp(action, "remove") == 0;
    if ((!add && !list && !remove) || (add && nargs != 3) || (list && nargs != 1) ||
        (remove && nargs != 2)) {
        fprintf(stderr,
                PROG ": %s: expected add CN ENDPOINT, list or remove CN (try config "
                     "cert-map --help)\n",
                where);
        return EXIT_USAGE;
    }
    char err[512] = "";
    int rc;
    if (add) {
        rc = lwm2m_bs_store_cert_map_put(a->store, args[1], args[2], err, sizeof err);
        return rc == LWM2M_OK
                   ? 0
                   : failed(where, rc == LWM2M_ERR_NOT_FOUND ? LWM2M_ERR_INVALID : rc, err);
    }
    if (list) {
        char *json = NULL;
        rc = bs_admin_cert_map_list(a, &json);
        return rc == LWM2M_OK ? print_json(json)
                              : failed(where, rc, lwm2m_bs_store_last_error(a->store));
    }
    rc = lwm2m_bs_store_cert_map_remove(a->store, args[1]);
    if (rc == LWM2M_ERR_NOT_FOUND) {
        snprintf(err, sizeof err, "CN '%.255s' is not mapped", args[1]);
        return failed(where, rc, err);
    }
    return rc == LWM2M_OK ? 0 : failed(where, rc, lwm2m_bs_store_last_error(a->store));
}

static int run_command(bs_admin *a, const command *c, const cli *o, int nargs, char **args,
                       const char *where)
{
    lwm2m_bs_entry_kind kind = o->tmpl ? LWM2M_BS_ENTRY_TEMPLATE : LWM2M_BS_ENTRY_ENDPOINT;
    const char *what = o->tmpl ? "template" : "endpoint";
    char *json = NULL;
    char msg[LWM2M_ENDPOINT_MAX + 32];
    int rc;
    if (strcmp(c->name, "add") == 0 || strcmp(c->name, "validate") == 0 ||
        strcmp(c->name, "import") == 0)
        return run_input_command(a, c, o, args[0], where);
    if (strcmp(c->name, "resolve") == 0)
        return run_resolve(a, args[0], where);
    if (strcmp(c->name, "cert-map") == 0)
        return run_cert_map(a, nargs, args, where);
    if (strcmp(c->name, "show") == 0) {
        if ((rc = bs_admin_show(a, kind, args[0], &json)) == LWM2M_OK)
            return print_json(json);
    } else if (strcmp(c->name, "remove") == 0) {
        if ((rc = bs_admin_remove(a, kind, args[0])) == LWM2M_OK)
            return 0;
    } else if (strcmp(c->name, "list") == 0) {
        if ((rc = bs_admin_list(a, kind, &json)) == LWM2M_OK)
            return print_json(json);
    } else {
        if ((rc = bs_admin_export(a, &json)) != LWM2M_OK)
            return failed(where, rc, lwm2m_bs_store_last_error(a->store));
        if (nargs == 0 || strcmp(args[0], "-") == 0)
            return print_json(json);
        rc = write_file(args[0], json, where);
        free(json);
        return rc;
    }
    if (rc == LWM2M_ERR_NOT_FOUND) {
        snprintf(msg, sizeof msg, "no %s '%.255s'", what, args[0]);
        return failed(where, rc, msg);
    }
    return failed(where, rc, lwm2m_bs_store_last_error(a->store));
}

static const command *find_command(const char *name)
{
    for (size_t k = 0; k < N_COMMANDS; k++)
        if (strcmp(commands[k].name, name) == 0)
            return &commands[k];
    return NULL;
}

/* Checks the options against the command; 0 or EXIT_USAGE. */
static int check_usage(const command *c, const cli *o, int nargs, const char *where)
{
    if (nargs < c->min_args || nargs > c->max_args) {
        fprintf(stderr, PROG ": %s: expected %s%s (try config %s --help)\n", where,
                c->args[0] != '\0' ? c->args : "no arguments",
                nargs > c->max_args ? ", got more" : "", c->name);
        return EXIT_USAGE;
    }
    if (o->leshan && strcmp(c->name, "import") != 0) {
        fprintf(stderr, PROG ": %s: --leshan goes with import only\n", where);
        return EXIT_USAGE;
    }
    if (o->tmpl && !c->templates) {
        fprintf(stderr, PROG ": %s: --template goes with show, list and remove only\n", where);
        return EXIT_USAGE;
    }
    return 0;
}

/* Loads the object definitions and opens the store (not for validate), then runs. */
static int run(const command *c, const cli *o, int nargs, char **args, const char *where)
{
    lwm2m_ddf_set ddf = {0};
    lwm2m_objdef_list defs = {NULL, 0};
    bs_admin a = {NULL, NULL};
    char err[512];
    int status = EXIT_FAILED;
    if (lwm2m_app_load_objects(PROG, where, o->object_dir, &ddf, &defs) != 0)
        goto done;
    if (o->object_dir != NULL)
        a.defs = &defs;
    if (strcmp(c->name, "validate") != 0 &&
        lwm2m_bs_store_open(o->store_spec, &a.store, err, sizeof err) != LWM2M_OK) {
        fprintf(stderr, PROG ": %s: store %s: %s\n", where, o->store_spec, err);
        goto done;
    }
    status = run_command(&a, c, o, nargs, args, where);
done:
    lwm2m_bs_store_close(a.store);
    lwm2m_ddf_free(&ddf);
    return status;
}

int bs_config_main(int argc, char **argv)
{
    cli o = {"sqlite:lwm2m-bs.db", NULL, false, false, false};
    /* Options before the command ("+": stop at the command), then the command's own. */
    int rc = parse_options(argc, argv, "+:s:h", "config", &o);
    if (rc != 0)
        return rc;
    if ((rc = lwm2m_app_command_expected(o.help, argc, usage)) != LWM2M_APP_GO_ON)
        return rc;
    int first = optind;
    const command *c = find_command(argv[first]);
    if (c == NULL) {
        fprintf(stderr, PROG ": config: unknown command '%s' (try config --help)\n", argv[first]);
        return EXIT_USAGE;
    }
    char where[32];
    snprintf(where, sizeof where, "config %s", c->name);
    int sub_argc = argc - first;
    char **sub_argv = argv + first;
    if ((rc = parse_options(sub_argc, sub_argv, ":s:h", where, &o)) != 0)
        return rc;
    if (o.help) {
        command_usage(stdout, c);
        return 0;
    }
    int nargs = sub_argc - optind;
    if ((rc = check_usage(c, &o, nargs, where)) != 0)
        return rc;
    return run(c, &o, nargs, sub_argv + optind, where);
}
